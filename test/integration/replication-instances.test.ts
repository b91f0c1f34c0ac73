// Two Berth instances on one PostgreSQL database and one store run each replication once: the
// job runner's claim makes one instance take a run, whichever instance was asked. The target is
// a third Berth whose access log counts what reached it: each blob and manifest is written once.
// Covered: a manual run asked of either instance, an on-push run (the push on one instance), and
// a scheduled occurrence (queued by both instances under one key).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { basic, headManifest, pushMultiArch, runRule, type Registry } from './replication-helpers.ts';

const PASSWORD = 'replication-pg-Admin-1';

/** Successful writes the target logged: blob upload PUTs and manifest PUTs, by URL. */
function writes(target: BerthProcess): { blobs: number; manifests: Map<string, number> } {
  let blobs = 0;
  const manifests = new Map<string, number>();
  // The helper's log may hold a line twice (two listeners on stdout): one request is one reqId.
  const seen = new Set<string>();
  for (const line of target.logs().split('\n')) {
    if (!line.includes('"msg":"request"')) continue;
    let rec: { method?: string; url?: string; status?: number; reqId?: string };
    try { rec = JSON.parse(line) as typeof rec; } catch { continue; }
    if (!rec.reqId || seen.has(rec.reqId)) continue;
    seen.add(rec.reqId);
    if (rec.method !== 'PUT' || rec.status !== 201 || !rec.url) continue;
    if (rec.url.includes('/blobs/uploads/')) blobs++;
    else if (rec.url.includes('/manifests/')) manifests.set(rec.url, (manifests.get(rec.url) ?? 0) + 1);
  }
  return { blobs, manifests };
}

async function until(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('replication: two instances on one PostgreSQL run each job once', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let one: BerthProcess;
  let two: BerthProcess;
  let target: BerthProcess;
  let src: Registry;
  const env = { BERTH_PASSWORD: PASSWORD };

  before(async () => {
    db = await createTestDatabase('berth_repl');
    const data = await mkdtemp(join(tmpdir(), 'berth-repl-pg-'));
    const common = { BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url, BERTH_ADMIN_PASSWORD: PASSWORD, BERTH_SCAN_ENABLED: 'false' };
    one = await startBerth({ auth: 'builtin', dataDir: data, env: common });
    two = await startBerth({ auth: 'builtin', dataDir: data, env: common });
    target = await startBerth({ auth: 'none' });
    src = { url: one.url, authorization: basic('admin', PASSWORD) };
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await target?.stop();
    await db?.drop();
  });

  it('a manual run asked of either instance copies each blob and manifest once', async () => {
    const image = await pushMultiArch(src, 'library/app', 'v1');
    ok(await berth(['replicate', 'add', 'out', '--to', target.url, '--repos', 'library/*', '--url', one.url, '--user', 'admin'], { env }));
    const run = await runRule(two.url, 'out', PASSWORD);
    assert.equal(run.state, 'done', JSON.stringify(run));
    assert.equal(run.summary.copied, 4);
    assert.equal(await headManifest({ url: target.url }, 'library/app', 'v1'), image.index);
    const w = writes(target);
    assert.equal(w.blobs, image.blobs.length, `each blob uploaded once: ${w.blobs}`);
    assert.ok([...w.manifests.values()].every((n) => n === 1) && w.manifests.size === 4, JSON.stringify([...w.manifests]));
    // The job ran once: one try, on one instance.
    const job = await fetch(`${one.url}/api/v1/jobs/${run.id && (await jobOf(one, run.id))}`, { headers: { authorization: src.authorization! } });
    const row = (await job.json()) as { attempts: number; state: string };
    assert.deepEqual([row.state, row.attempts], ['done', 1]);
  });

  it('an on-push rule and a scheduled occurrence each run once across the two instances', async () => {
    ok(await berth(['replicate', 'add', 'live', '--to', target.url, '--repos', 'library/live', '--on-push', '--schedule', '* * * * *', '--url', two.url, '--user', 'admin'], { env }));
    // Both instances learn of the rule (reloaded every 5 s) before the push.
    await new Promise((r) => setTimeout(r, 6000));
    const before = writes(target).blobs;
    const image = await pushMultiArch(src, 'library/live', 'v1');
    await until('the on-push copy', 20_000, async () => (await headManifest({ url: target.url }, 'library/live', image.signature)) !== undefined && (await headManifest({ url: target.url }, 'library/live', 'v1')) === image.index);
    // The scheduled occurrence of the next minute: queued by both instances, run by one.
    await until('a scheduled run', 80_000, async () => {
      const runs = JSON.parse(ok(await berth(['replicate', 'history', 'live', '--json', '--url', one.url, '--user', 'admin'], { env })).stdout) as { trigger: string; state: string }[];
      return runs.some((r) => r.trigger === 'schedule' && r.state === 'done');
    });
    const runs = JSON.parse(ok(await berth(['replicate', 'history', 'live', '--json', '--url', one.url, '--user', 'admin'], { env })).stdout) as { trigger: string; state: string; summary: { copied: number; blobsCopied: number } }[];
    const scheduled = runs.filter((r) => r.trigger === 'schedule');
    assert.equal(scheduled.length, 1, `one scheduled run for the occurrence: ${JSON.stringify(runs)}`);
    assert.equal(scheduled[0]!.summary.copied, 0, 'it found everything there already');
    assert.equal(writes(target).blobs - before, image.blobs.length, 'each blob of the pushed image uploaded once');
    for (const [url, n] of writes(target).manifests) assert.equal(n, 1, `${url} written once`);
  });
});

/** The job of a run, from the run's row (GET /replication/runs/{id}). */
async function jobOf(server: BerthProcess, run: number): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/replication/runs/${run}`, { headers: { authorization: basic('admin', PASSWORD) } });
  const body = (await res.json()) as { job: number };
  return body.job;
}
