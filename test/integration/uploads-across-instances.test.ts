// A chunked upload whose requests land on different instances (issue 14), on PostgreSQL and one
// shared store:
// - storage.uploadHashState auto saves the running digest in the upload row with each chunk's
//   offset, so the next instance continues it and no instance reads the upload back from
//   storage. The same walk with uploadHashState memory reads it back, which is what the metric
//   would show if the saved state were not used.
// - the writer lease: while one instance writes a chunk, a second request at the same offset on
//   another instance is refused with 416 and the upload's Range, so the bytes stored at an offset
//   are always those of the request that was recorded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

const T = { timeout: 120_000 };

async function metric(server: BerthProcess, name: string): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is missing from /metrics`);
  return Number(line.split(' ')[1]);
}

async function sum(servers: BerthProcess[], name: string): Promise<number> {
  let total = 0;
  for (const s of servers) total += await metric(s, name);
  return total;
}

function sha256(...parts: Buffer[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return `sha256:${h.digest('hex')}`;
}

/** POST on the first server, one PATCH per chunk on the next ones in turn, PUT on the one after. */
async function walk(servers: BerthProcess[], repo: string, chunks: Buffer[], digest: string): Promise<Response> {
  const post = await fetch(`${servers[0]!.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(post.status, 202);
  let path = new URL(post.headers.get('location')!, servers[0]!.url).pathname + new URL(post.headers.get('location')!, servers[0]!.url).search;
  let offset = 0;
  let turn = 1;
  for (const chunk of chunks) {
    const server = servers[turn++ % servers.length]!;
    const res = await fetch(`${server.url}${path}`, {
      method: 'PATCH', body: chunk,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
    });
    assert.equal(res.status, 202, `PATCH at ${offset} on ${server.url}: ${await res.text()}`);
    offset += chunk.length;
    const loc = new URL(res.headers.get('location')!, server.url);
    path = loc.pathname + loc.search;
  }
  const closer = servers[turn % servers.length]!;
  const sep = path.includes('?') ? '&' : '?';
  return fetch(`${closer.url}${path}${sep}digest=${encodeURIComponent(digest)}`, { method: 'PUT' });
}

describe('upload digests across instances (PostgreSQL, a shared store)', () => {
  let db: TestDatabase;
  const shared: BerthProcess[] = [];
  const memory: BerthProcess[] = [];

  before(async () => {
    db = await createTestDatabase('berth_hashstate');
    const data = await mkdtemp(join(tmpdir(), 'berth-hashstate-'));
    const env = { BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url };
    // One at a time: the first runs the migrations.
    for (let i = 0; i < 3; i++) shared.push(await startBerth({ dataDir: data, env }));
    for (let i = 0; i < 2; i++) memory.push(await startBerth({ dataDir: data, env: { ...env, BERTH_STORAGE_UPLOAD_HASH_STATE: 'memory' } }));
  });
  after(async () => {
    for (const s of [...shared, ...memory]) await s.stop();
    await db?.drop();
  });

  it('PATCHes on three instances and the PUT on another: the blob is whole and nothing is read back', T, async () => {
    const chunks = [randomBytes(3 << 20), randomBytes(1 << 20), randomBytes(2 << 20), randomBytes(12345)];
    const digest = sha256(...chunks);
    const rereadBefore = await sum(shared, 'berth_upload_digest_reread_bytes_total');
    const continuedBefore = await sum(shared, 'berth_upload_digest_continued_total');
    const put = await walk(shared, 'hs/chunked', chunks, digest);
    assert.equal(put.status, 201, await put.text());
    for (const s of shared) {
      const got = Buffer.from(await (await fetch(`${s.url}/v2/hs/chunked/blobs/${digest}`)).arrayBuffer());
      assert.equal(sha256(got), digest, `${s.url} serves the blob whole`);
    }
    assert.equal(await sum(shared, 'berth_upload_digest_reread_bytes_total') - rereadBefore, 0, 'no instance read the upload back');
    // Chunks 2-4 and the PUT each continued the state another instance saved.
    assert.ok(await sum(shared, 'berth_upload_digest_continued_total') - continuedBefore >= 4);
  });

  it("docker's pattern (POST, one PATCH with the whole layer, PUT) on three instances reads nothing back", T, async () => {
    const layer = randomBytes(5 << 20);
    const before = await sum(shared, 'berth_upload_digest_reread_bytes_total');
    const put = await walk(shared, 'hs/docker', [layer], sha256(layer));
    assert.equal(put.status, 201, await put.text());
    assert.equal(await sum(shared, 'berth_upload_digest_reread_bytes_total') - before, 0);
  });

  it('a wrong digest on another instance is DIGEST_INVALID and the upload goes on from the saved state', T, async () => {
    const a = randomBytes(70_000);
    const b = randomBytes(50_000);
    const post = await fetch(`${shared[0]!.url}/v2/hs/wrong/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(post.headers.get('location')!, shared[0]!.url);
    const path = loc.pathname + loc.search;
    const sep = path.includes('?') ? '&' : '?';
    const p1 = await fetch(`${shared[1]!.url}${path}`, { method: 'PATCH', body: a, headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${a.length - 1}` } });
    assert.equal(p1.status, 202);
    const wrong = await fetch(`${shared[2]!.url}${path}${sep}digest=${sha256(b)}`, { method: 'PUT', body: b, headers: { 'content-type': 'application/octet-stream', 'content-range': `${a.length}-${a.length + b.length - 1}` } });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DIGEST_INVALID');
    const status = await fetch(`${shared[0]!.url}${path}`);
    assert.equal(status.headers.get('range'), `0-${a.length - 1}`, 'the failed PUT left the upload as it was');
    const right = await fetch(`${shared[0]!.url}${path}${sep}digest=${sha256(a, b)}`, { method: 'PUT', body: b, headers: { 'content-type': 'application/octet-stream', 'content-range': `${a.length}-${a.length + b.length - 1}` } });
    assert.equal(right.status, 201, await right.text());
  });

  it('a PATCH at the offset another instance is writing is refused with 416 and the Range; the upload stays whole', T, async () => {
    const first = randomBytes(256 * 1024);
    const rival = randomBytes(first.length);
    const second = randomBytes(100_000);
    const post = await fetch(`${shared[0]!.url}/v2/hs/lease/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(post.headers.get('location')!, shared[0]!.url);
    const path = loc.pathname + loc.search;
    // A slow PATCH on instance 0: half the chunk now, the rest once the rival was answered.
    const target = new URL(`${shared[0]!.url}${path}`);
    const req = request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'PATCH', headers: {
      'content-type': 'application/octet-stream', 'content-length': String(first.length), 'content-range': `0-${first.length - 1}`,
    } });
    const slow = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
      req.on('error', reject);
    });
    req.write(first.subarray(0, first.length / 2));
    await new Promise((r) => setTimeout(r, 500)); // the slow PATCH holds the lease by now
    const refused = await fetch(`${shared[1]!.url}${path}`, { method: 'PATCH', body: rival, headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${rival.length - 1}` } });
    assert.equal(refused.status, 416, await refused.text());
    assert.equal(refused.headers.get('range'), '0-0', 'nothing recorded yet');
    req.end(first.subarray(first.length / 2));
    assert.equal(await slow, 202);
    const next = await fetch(`${shared[2]!.url}${path}`, { method: 'PATCH', body: second, headers: { 'content-type': 'application/octet-stream', 'content-range': `${first.length}-${first.length + second.length - 1}` } });
    assert.equal(next.status, 202, await next.text());
    const sep = path.includes('?') ? '&' : '?';
    const put = await fetch(`${shared[1]!.url}${path}${sep}digest=${sha256(first, second)}`, { method: 'PUT' });
    assert.equal(put.status, 201, await put.text());
    const got = Buffer.from(await (await fetch(`${shared[0]!.url}/v2/hs/lease/blobs/${sha256(first, second)}`)).arrayBuffer());
    assert.equal(sha256(got), sha256(first, second), 'the stored bytes are those of the recorded request, not the rival');
  });

  it('with uploadHashState memory the same walk reads the upload back (what the saved state avoids)', T, async () => {
    const chunks = [randomBytes(1 << 20), randomBytes(1 << 20)];
    const before = await sum(memory, 'berth_upload_digest_reread_bytes_total');
    const put = await walk(memory, 'hs/memory', chunks, sha256(...chunks));
    assert.equal(put.status, 201, await put.text());
    assert.equal(await sum(memory, 'berth_upload_digest_reread_bytes_total') - before, 2 << 20, 'the closing instance re-read both chunks');
  });
});
