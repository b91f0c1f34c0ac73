// The one job runner (src/jobs/) on a real database, SQLite and PostgreSQL: with two runners on
// the same database (two instances), every job runs exactly once; an open key is queued once; a
// failing job is retried with backoff, then failed for good; a job whose instance died (its lease
// ran out) is taken over, and one that died with its instance too often is given up; closing
// asks running jobs to stop, and they are due again for the next start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobRunner, type RunnerOptions } from '../../src/jobs/runner.ts';
import { openMetadata, type MetadataDb } from '../../src/metadata/db.ts';
import { countJobs, findJob } from '../../src/metadata/jobs.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const options = (over: Partial<RunnerOptions> = {}): RunnerOptions => ({ pollMs: 50, leaseMs: 2000, keepMs: 86_400_000, backoffMs: 20, onError: () => {}, ...over });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(25);
  }
}

function suite(dialect: 'sqlite' | 'postgres'): void {
  describe(`the job runner on ${dialect}`, { timeout: 120_000 }, () => {
    let a: MetadataDb;
    let b: MetadataDb;
    let dir: string | undefined;
    let pgdb: TestDatabase | undefined;
    const runners: JobRunner[] = [];
    const runner = (db: MetadataDb, over: Partial<RunnerOptions> = {}) => {
      const r = new JobRunner(db.db, options(over));
      runners.push(r);
      return r;
    };

    before(async () => {
      if (dialect === 'sqlite') {
        dir = mkdtempSync(join(tmpdir(), 'berth-jobs-'));
        a = await openMetadata({ dialect: 'sqlite', location: join(dir, 'berth.db') });
        b = await openMetadata({ dialect: 'sqlite', location: join(dir, 'berth.db') });
      } else {
        pgdb = await createTestDatabase('berth_jobs');
        a = await openMetadata({ dialect: 'postgres', location: pgdb.url });
        b = await openMetadata({ dialect: 'postgres', location: pgdb.url });
      }
    });
    after(async () => {
      for (const r of runners) await r.close(1000);
      await a?.close();
      await b?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      await pgdb?.drop();
    });

    it('two instances on one database run each job exactly once, within each kind\'s concurrency', async () => {
      const runs = new Map<number, number>();
      let running = 0;
      let most = 0;
      const handler = {
        concurrency: 2,
        async run(payload: unknown) {
          const n = (payload as { n: number }).n;
          runs.set(n, (runs.get(n) ?? 0) + 1);
          running++;
          most = Math.max(most, running);
          await sleep(5);
          running--;
          return { n };
        },
      };
      const one = runner(a);
      const two = runner(b);
      one.register('count', handler);
      two.register('count', handler);
      for (let n = 0; n < 60; n++) await one.enqueue('count', { n });
      await Promise.all([one.start('one:1'), two.start('two:1')]);
      await until('60 jobs done', async () => (await countJobs(a.db, 'count')).done === 60);
      assert.equal(runs.size, 60);
      assert.deepEqual([...runs.values()].filter((x) => x !== 1), [], 'no job ran twice');
      assert.ok(most <= 4, `at most 2 per instance at once (saw ${most})`);
    });

    it('an open key is queued once; once done, the key may be queued again', async () => {
      const r = runner(a);
      const first = await r.enqueue('keyed', {}, { key: 'k1' });
      const again = await r.enqueue('keyed', {}, { key: 'k1' }, b.db);
      assert.deepEqual(again, { id: first.id, deduplicated: true });
      r.register('keyed', { run: async () => 'ok' });
      await r.start('keyed:1');
      await until('keyed done', async () => (await findJob(a.db, first.id))?.state === 'done');
      const third = await r.enqueue('keyed', {}, { key: 'k1' });
      assert.equal(third.deduplicated, false);
      assert.notEqual(third.id, first.id);
    });

    it('a failing job is retried with backoff, then failed for good with its last error', async () => {
      const r = runner(a);
      const tries: number[] = [];
      r.register('flaky', { maxAttempts: 3, run: async (_p, ctx) => { tries.push(ctx.attempt); throw new Error(`attempt ${ctx.attempt} broke`); } });
      const { id } = await r.enqueue('flaky', {});
      await r.start('flaky:1');
      await until('the job failed for good', async () => (await findJob(a.db, id))?.state === 'failed');
      const row = (await findJob(a.db, id))!;
      assert.deepEqual(tries, [1, 2, 3]);
      assert.equal(row.attempts, 3);
      assert.equal(row.last_error, 'attempt 3 broke');
    });

    it('a job whose instance died is taken over when its lease runs out; one that died too often is given up', async () => {
      const now = Date.now();
      const insert = async (attempts: number) => Number((await a.db.insertInto('jobs').values({
        kind: 'orphan', key: null, payload: '{}', state: 'running', priority: 0, attempts, run_after: now, lease_owner: 'dead-host:5000', lease_until: now - 1,
        progress: null, last_error: null, result: null, created_at: now, updated_at: now, finished_at: null,
      }).returning('id').executeTakeFirstOrThrow()).id);
      const orphan = await insert(1);
      const poison = await insert(5);
      const ran: number[] = [];
      const r = runner(b);
      r.register('orphan', { maxAttempts: 5, run: async (_p, ctx) => { ran.push(ctx.id); return 'resumed'; } });
      await r.start('alive:1');
      await until('the orphan resumed', async () => (await findJob(a.db, orphan))?.state === 'done');
      await until('the poison given up', async () => (await findJob(a.db, poison))?.state === 'failed');
      assert.deepEqual(ran, [orphan]);
      assert.equal((await findJob(a.db, orphan))!.attempts, 2);
      assert.match((await findJob(a.db, poison))!.last_error ?? '', /given up/);
    });

    it('a restarted instance frees the leases its killed predecessor held at once', async () => {
      const now = Date.now();
      const id = Number((await a.db.insertInto('jobs').values({
        kind: 'mine', key: null, payload: '{}', state: 'running', priority: 0, attempts: 1, run_after: now, lease_owner: 'host:5001', lease_until: now + 3_600_000,
        progress: null, last_error: null, result: null, created_at: now, updated_at: now, finished_at: null,
      }).returning('id').executeTakeFirstOrThrow()).id);
      const r = runner(a);
      r.register('mine', { run: async () => 'again' });
      await r.start('host:5001');
      await until('the job ran again', async () => (await findJob(a.db, id))?.state === 'done', 5000);
    });

    it('closing asks a running job to stop; it is due again for the next start, not failed', async () => {
      const r = runner(a);
      let started = false;
      r.register('long', {
        run: (_p, ctx) => new Promise((_resolve, reject) => {
          started = true;
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped')));
        }),
      });
      const { id } = await r.enqueue('long', {});
      await r.start('long:1');
      await until('the job started', async () => started);
      await r.close(5000);
      const row = (await findJob(a.db, id))!;
      assert.equal(row.state, 'pending');
      const next = runner(b);
      next.register('long', { run: async () => 'finished' });
      await next.start('long:2');
      await until('the next start finished it', async () => (await findJob(a.db, id))?.state === 'done');
    });
  });
}

suite('sqlite');
suite('postgres');
