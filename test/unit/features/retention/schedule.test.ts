// The retention scheduler on the durable job runner, with an injected clock (an in-memory SQLite
// database, the real JobRunner and RetentionSettings; the run itself is a stand-in that records
// its calls): the next occurrence is queued from the cron, runs when the clock reaches it, and
// queues the one after; instances that queue the same occurrence get one job; a changed or
// removed schedule ends the old chain; a run that fails does not end the schedule; occurrences
// missed while the server was down run once.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SYSTEM } from '../../../../src/auth/directory/actor.ts';
import { parsePolicy } from '../../../../src/features/retention/rules.ts';
import type { RetentionRunner } from '../../../../src/features/retention/runner.ts';
import { RETENTION_JOB, RetentionScheduler } from '../../../../src/features/retention/schedule.ts';
import { RetentionSettings } from '../../../../src/features/retention/settings.ts';
import { JobRunner } from '../../../../src/jobs/runner.ts';
import { openMetadata, type MetadataDb } from '../../../../src/metadata/db.ts';

const T0 = Date.parse('2026-03-04T10:00:30Z');

describe('retention scheduler (injected clock)', () => {
  let metadata: MetadataDb;
  let clock = T0;
  const now = () => clock;
  let runs: { project: string; trigger: string; at: number }[] = [];
  let fail = false;
  let jobs: JobRunner;
  let settings: RetentionSettings;
  let scheduler: RetentionScheduler;
  let projectId = 0;

  const runner = {
    async run(project: { name: string }, _policy: unknown, options: { trigger: string }) {
      runs.push({ project: project.name, trigger: options.trigger, at: clock });
      if (fail) throw new Error('the database went away');
      return { id: runs.length, text: 'deleted 0 tags, 0 B', skipped: [], error: null };
    },
  } as unknown as RetentionRunner;

  const pending = async () => (await metadata.db.selectFrom('jobs').select(['key', 'run_after', 'state']).where('kind', '=', RETENTION_JOB).where('state', 'in', ['pending', 'running']).orderBy('run_after').execute())
    .map((j) => [j.key, new Date(Number(j.run_after)).toISOString()]);
  /** Advances the clock and lets the runner take what is due (bounded wait for it to finish). */
  const tick = async (to: string) => {
    clock = Date.parse(to);
    for (let i = 0; i < 50; i++) {
      jobs.wake();
      await new Promise((r) => setTimeout(r, 20));
      const busy = await metadata.db.selectFrom('jobs').select('id').where('kind', '=', RETENTION_JOB).where((eb) => eb.or([eb('state', '=', 'running'), eb.and([eb('state', '=', 'pending'), eb('run_after', '<=', clock)])])).execute();
      if (!busy.length) return;
    }
    assert.fail(`jobs still due or running at ${to}`);
  };

  before(async () => {
    metadata = await openMetadata({ dialect: 'sqlite', location: ':memory:' });
    await metadata.db.insertInto('projects').values({ name: 'acme', visibility: 'private', created_at: T0, updated_at: T0 }).execute();
    projectId = Number((await metadata.db.selectFrom('projects').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id);
  });
  beforeEach(async () => {
    await jobs?.close(1000);
    scheduler?.close();
    await metadata.db.deleteFrom('jobs').execute();
    await metadata.db.deleteFrom('retention_policies').execute();
    clock = T0;
    runs = [];
    fail = false;
    jobs = new JobRunner(metadata.db, { pollMs: 60_000, leaseMs: 60_000, keepMs: 86_400_000, onError: () => {}, backoffMs: 1000, now });
    settings = new RetentionSettings(metadata.db, () => {}, now);
    scheduler = new RetentionScheduler(metadata.db, jobs, settings, runner, (e) => { throw e; }, now);
    scheduler.register();
    settings.onSaved = async (id, project, schedule) => { await scheduler.ensure(id, project, schedule); };
    await jobs.start();
  });
  after(async () => {
    await jobs?.close(1000);
    scheduler?.close();
    await metadata?.close();
  });

  const set = (yaml: string) => settings.set(SYSTEM, 'acme', parsePolicy(yaml), yaml);

  it('"* * * * *" runs at every whole minute, each run queueing the next', async () => {
    await set('schedule: "* * * * *"\nrules: []\n');
    assert.deepEqual(await pending(), [[`retention:${projectId}:${Date.parse('2026-03-04T10:01:00Z')}`, '2026-03-04T10:01:00.000Z']]);
    await tick('2026-03-04T10:00:59Z');
    assert.deepEqual(runs, [], 'not before its time');
    await tick('2026-03-04T10:01:00Z');
    assert.deepEqual(runs, [{ project: 'acme', trigger: 'schedule', at: Date.parse('2026-03-04T10:01:00Z') }]);
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-04T10:02:00.000Z']);
    await tick('2026-03-04T10:02:00.500Z');
    assert.equal(runs.length, 2);
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-04T10:03:00.000Z']);
  });

  it('ranges, steps and the day-of-week rule decide the next occurrence', async () => {
    // Weekdays at 09:30 and 17:30; T0 is a Wednesday 10:00.
    await set('schedule: "30 9-17/8 * * MON-FRI"\nrules: []\n');
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-04T17:30:00.000Z']);
    await tick('2026-03-04T17:30:00Z');
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-05T09:30:00.000Z']);
    await tick('2026-03-06T17:31:00Z'); // Friday evening: Thursday's 09:30 ran late, once, and queued the next from now
    assert.deepEqual(runs.map((r) => new Date(r.at).toISOString()), ['2026-03-04T17:30:00.000Z', '2026-03-06T17:31:00.000Z']);
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-09T09:30:00.000Z'], 'Monday: the weekend is skipped');
  });

  it('one job per occurrence, however many instances queue it', async () => {
    await set('schedule: "0 * * * *"\nrules: []\n');
    await scheduler.ensureAll();
    const other = new RetentionScheduler(metadata.db, jobs, settings, runner, () => {}, now);
    await other.ensureAll();
    await other.ensure(projectId, 'acme', '0 * * * *');
    assert.equal((await pending()).length, 1);
    await tick('2026-03-04T11:00:00Z');
    assert.equal(runs.length, 1);
  });

  it('a changed schedule ends the old chain; a removed one ends it too', async () => {
    await set('schedule: "0 12 * * *"\nrules: []\n');
    await set('schedule: "0 11 * * *"\nrules: []\n');
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-04T11:00:00.000Z', '2026-03-04T12:00:00.000Z']);
    await tick('2026-03-04T12:00:00Z');
    assert.equal(runs.length, 1, 'the 11:00 job ran; the 12:00 job of the old schedule did nothing');
    const done = await metadata.db.selectFrom('jobs').select(['result', 'run_after']).where('kind', '=', RETENTION_JOB).where('state', '=', 'done').orderBy('run_after').execute();
    assert.match(String(done[1]!.result), /the schedule changed \(now 0 11 \* \* \*\)/);
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-05T11:00:00.000Z']);
    await set('rules: []\n');
    await tick('2026-03-05T11:00:00Z');
    assert.equal(runs.length, 1);
    assert.deepEqual(await pending(), [], 'no schedule, no next run');
  });

  it('a run that fails is retried, and the schedule goes on', async () => {
    await set('schedule: "*/30 * * * *"\nrules: []\n');
    fail = true;
    await tick('2026-03-04T10:30:00Z');
    assert.equal(runs.length, 1);
    const queued = (await pending()).map((p) => p[1]);
    assert.ok(queued.includes('2026-03-04T11:00:00.000Z'), `the next occurrence is queued despite the failure: ${queued}`);
    fail = false;
    await tick('2026-03-04T10:30:05Z'); // the retry, after its backoff
    assert.equal(runs.length, 2);
    assert.deepEqual((await pending()).map((p) => p[1]), ['2026-03-04T11:00:00.000Z']);
  });
});
