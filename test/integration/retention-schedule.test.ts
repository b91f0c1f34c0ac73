// Scheduled retention on real servers: two Berth instances (in process) on one data directory, a
// policy with schedule "* * * * *" set through the API. Its next occurrence is one pending job (at
// the next whole minute); when it is due (here: made due at once, instead of waiting up to a
// minute) exactly one instance runs it, as trigger "schedule", deleting through the registry, and
// the next minute's job is queued. A schedule removed ends the chain.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { RETENTION_JOB } from '../../src/features/retention/schedule.ts';
import { addUser, age, api, createProject, expectOk, pushImage, startRetentionServer, tagsOf, until, type Creds, type TestServer } from './retention-helpers.ts';

describe('scheduled retention across two instances', { timeout: 120_000 }, () => {
  let s: TestServer;
  let second: RunningServer;
  let alice: Creds;

  before(async () => {
    s = await startRetentionServer();
    second = await startServer(parseConfig({ server: { listen: '127.0.0.1:0', metrics: { listen: '' } }, storage: { dataDir: s.dataDir }, auth: { mode: 'builtin' }, log: { level: 'silent' }, scan: { enabled: false } }));
    alice = await addUser(s, 'alice');
    await createProject(s, alice, 'nightly');
  });
  after(async () => {
    await second?.close();
    await s?.close();
  });

  const pendingJobs = () => s.db.selectFrom('jobs').select(['id', 'key', 'run_after', 'payload']).where('kind', '=', RETENTION_JOB).where('state', '=', 'pending').orderBy('run_after').execute();

  it('"* * * * *": one job per minute, run once by one of the instances, deleting what the rules do not keep', async () => {
    for (const [i, t] of ['1', '2', '3', '4'].entries()) {
      await pushImage(s, alice, 'nightly/app', t);
      await age(s.db, 'nightly/app', t, 10 - i);
    }
    const set = expectOk(await api(s, 'PUT', '/projects/nightly/retention', { as: alice, raw: 'schedule: "* * * * *"\nrules:\n  - mostRecentlyPushed: 2\n', contentType: 'application/yaml' })).body;
    assert.equal(set.schedule, '* * * * *');
    const nextMinute = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
    assert.ok([nextMinute, nextMinute + 60_000].includes(Date.parse(set.nextRuns[0])), set.nextRuns[0]);
    // Both instances sweep the schedules at start; the set queued one too: still one job.
    let jobs = await pendingJobs();
    assert.equal(jobs.length, 1, JSON.stringify(jobs));
    const first = jobs[0]!;
    assert.equal(Number(first.run_after), Date.parse(set.nextRuns[0]));
    assert.equal(Number(first.run_after) % 60_000, 0, 'at a whole minute');

    // The clock reaches it.
    await s.db.updateTable('jobs').set({ run_after: Date.now() }).where('id', '=', first.id).execute();
    await until(async () => (await s.db.selectFrom('retention_runs').select('id').where('trigger', '=', 'schedule').execute()).length === 1, 'the scheduled run', 15_000);
    await until(async () => (await s.db.selectFrom('jobs').select('state').where('id', '=', first.id).executeTakeFirst())?.state === 'done', 'the job to finish');
    assert.deepEqual(await tagsOf(s, alice, 'nightly/app'), ['3', '4']);
    const runs = expectOk(await api(s, 'GET', '/projects/nightly/retention/runs', { as: alice })).body.runs;
    assert.deepEqual(runs.map((r: { trigger: string; dryRun: boolean; tags: number; requestedBy: string }) => [r.trigger, r.dryRun, r.tags, r.requestedBy]), [['schedule', false, 2, 'system']]);
    // The next occurrence is queued from the cron: the minute after the one that ran.
    jobs = await pendingJobs();
    assert.equal(jobs.length, 1);
    assert.equal(Number(jobs[0]!.run_after), Number(first.run_after) + 60_000 * Math.max(1, Math.ceil((Date.now() - Number(first.run_after) + 1) / 60_000)));
    // Let it run too (again made due now): still one run per occurrence, across both instances.
    await s.db.updateTable('jobs').set({ run_after: Date.now() }).where('id', '=', jobs[0]!.id).execute();
    await until(async () => (await s.db.selectFrom('retention_runs').select('id').where('trigger', '=', 'schedule').execute()).length === 2, 'the second scheduled run', 15_000);
    await new Promise((r) => setTimeout(r, 2500)); // both instances poll every second: a duplicate would show by now
    assert.equal((await s.db.selectFrom('retention_runs').select('id').where('trigger', '=', 'schedule').execute()).length, 2);
    assert.equal((await pendingJobs()).length, 1);

    // Without a schedule the chain ends: the pending job does nothing when it comes due.
    expectOk(await api(s, 'PUT', '/projects/nightly/retention', { as: alice, raw: 'rules:\n  - mostRecentlyPushed: 1\n', contentType: 'application/yaml' }));
    const last = (await pendingJobs())[0]!;
    await s.db.updateTable('jobs').set({ run_after: Date.now() }).where('id', '=', last.id).execute();
    await until(async () => (await s.db.selectFrom('jobs').select('state').where('id', '=', last.id).executeTakeFirst())?.state === 'done', 'the stale job to finish');
    const row = await s.db.selectFrom('jobs').select('result').where('id', '=', last.id).executeTakeFirstOrThrow();
    assert.match(String(row.result), /the schedule changed \(now none\)/);
    assert.deepEqual(await pendingJobs(), []);
    assert.deepEqual(await tagsOf(s, alice, 'nightly/app'), ['3', '4'], 'nothing ran');
  });
});
