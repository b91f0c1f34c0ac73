// GC through the management API and `berth gc --url` (builtin auth): only administrators see the
// status or run a pass; a pass runs as a job and its result is the summary; the status shows the
// last run, the queues, the bytes freed so far and the next run; the pass is audited; the worker
// runs by itself; /metrics carries the GC counters.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { layerOf, pushLayers } from './scan-helpers.ts';

async function waitJob(server: BerthProcess, id: number): Promise<{ state: string; result: { manifests: number; blobs: number; bytes: number } }> {
  for (let i = 0; i < 200; i++) {
    const job = expectStatus(await call(server, 'GET', `/jobs/${id}`, { as: ADMIN }), 200).body as { state: string; result: { manifests: number; blobs: number; bytes: number } };
    if (job.state === 'done' || job.state === 'failed') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('GC through the API and berth gc --url', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;

  before(async () => {
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_GC_REVIEW_DELAY_SECONDS: '1', BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_GC_INTERVAL_SECONDS: '3600', BERTH_SCAN_ENABLED: 'false' },
    });
    alice = await addUser(server, 'alice');
  });
  after(async () => { await server?.stop(); });

  it('refuses the status and a pass to anyone but administrators', async () => {
    expectStatus(await call(server, 'GET', '/gc', { as: alice }), 403, 'DENIED');
    expectStatus(await call(server, 'POST', '/gc/runs', { as: alice, body: {} }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/gc/runs', { as: alice }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/gc'), 401);
  });

  it('runs a pass as a job whose result is the summary, shows it in the status, and audits it', async () => {
    const image = await pushLayers(server, alice, 'alice/app', 'v1', [layerOf({ 'a.txt': randomBytes(4000) })]);
    await new Promise((r) => setTimeout(r, 1300));
    const del = await fetch(`${server.url}/v2/alice/app/manifests/${image.digest}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    assert.equal(del.status, 202);

    const dry = expectStatus(await call(server, 'POST', '/gc/runs', { as: ADMIN, body: { dryRun: true } }), 201).body as { job: number };
    const dryJob = await waitJob(server, dry.job);
    assert.equal(dryJob.state, 'done');
    assert.ok(dryJob.result.blobs >= 2, `the dry run would free the layer and the config: ${JSON.stringify(dryJob.result)}`);

    const queued = expectStatus(await call(server, 'POST', '/gc/runs', { as: ADMIN, body: {} }), 201).body as { job: number };
    const job = await waitJob(server, queued.job);
    assert.equal(job.state, 'done');
    assert.equal(job.result.blobs, dryJob.result.blobs, 'the pass frees what the dry run said');
    assert.ok(job.result.bytes > 4000);

    const status = expectStatus(await call(server, 'GET', '/gc', { as: ADMIN }), 200).body as { lastRun: { trigger: string; blobs: number } | null; lastCollection: { blobs: number } | null; bytesFreed: number; nextRunAt: string | null; queue: { manifests: number; blobs: number; byteDeletes: number } };
    assert.equal(status.lastCollection?.blobs, job.result.blobs);
    assert.ok(status.bytesFreed >= job.result.bytes);
    assert.ok(status.nextRunAt && Date.parse(status.nextRunAt) > Date.now(), `the worker's next run is ahead: ${status.nextRunAt}`);
    assert.equal(status.queue.byteDeletes, 0, 'the bytes went (no deletion delay)');
    const runs = expectStatus(await call(server, 'GET', '/gc/runs?limit=5', { as: ADMIN }), 200).body as { runs: { trigger: string; dryRun: boolean }[] };
    assert.ok(runs.runs.some((r) => r.trigger === 'api' && !r.dryRun) && runs.runs.some((r) => r.dryRun));

    // The audit log is written in batches: give it a moment.
    let audited: { actor: string; detail: string }[] = [];
    for (let i = 0; i < 30 && !audited.length; i++) {
      audited = (expectStatus(await call(server, 'GET', '/audit?action=gc.run', { as: ADMIN }), 200).body as { entries: { actor: string; detail: string }[] }).entries;
      if (!audited.length) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(audited.length >= 1, 'the pass is in the audit log');
    assert.match(audited[0]!.detail, /"blobs":\d+/);

    const metrics = await (await fetch(server.metricsUrl)).text();
    assert.match(metrics, /berth_gc_blobs_deleted_total \d+/);
    assert.match(metrics, /berth_gc_queue_depth\{queue="blobs"\} \d+/);
    const freed = Number(/berth_gc_bytes_freed_total (\d+)/.exec(metrics)?.[1]);
    assert.ok(freed >= job.result.bytes, `the bytes counter counts them: ${freed}`);
  });

  it('berth gc --url runs a pass on the server and prints the summary; berth gc status too', async () => {
    const image = await pushLayers(server, alice, 'alice/cli', 'v1', [layerOf({ 'b.txt': randomBytes(6000) })]);
    await new Promise((r) => setTimeout(r, 1300));
    await fetch(`${server.url}/v2/alice/cli/manifests/${image.digest}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    const env = { BERTH_PASSWORD: ADMIN_PASSWORD };
    const json = ok(await berth(['gc', '--url', server.url, '--user', 'admin', '--json'], { env }));
    const summary = JSON.parse(json.stdout) as { manifests: number; blobs: number; bytes: number };
    assert.ok(summary.blobs >= 2 && summary.bytes > 6000, json.stdout);
    const text = ok(await berth(['gc', '--url', server.url, '--user', 'admin'], { env }));
    assert.match(text.stdout, /freed 0 manifests, 0 blobs, 0 B/);
    const st = ok(await berth(['gc', 'status', '--url', server.url, '--user', 'admin'], { env }));
    assert.match(st.stdout, /last run: .* \(api\)/);
    const refused = await berth(['gc', '--url', server.url, '--user', 'alice'], { env: { BERTH_PASSWORD: 'alice-password' } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /only system administrators/);
  });
});
