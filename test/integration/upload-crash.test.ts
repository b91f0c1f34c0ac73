// SIGKILL in the middle of a push (hardening issue, defect 4): the server is killed at random
// points of chunked and monolithic pushes, after part of a chunk reached its data file but before
// the chunk's offset was recorded, then restarted. The recorded offset must be the truth: the
// upload's status reports it, a resume from it succeeds, a PUT whose digest covers the stray bytes
// beyond it is refused, and every blob served hashes to its digest. Leftovers of the interrupted
// pushes are then swept by the start-up janitor (defect 11) while an upload in progress survives.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, utimes } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { openMetadata } from '../../src/metadata/db.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

const MiB = 1024 * 1024;
const CHUNK = 10 * MiB;
const CHUNKS = 3;
const ROUNDS = Number(process.env.UPLOAD_CRASH_ROUNDS ?? 20);
const SEED = Number(process.env.UPLOAD_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends the headers and the first `partial` bytes of a body of `length`, then keeps quiet. */
function stalledRequest(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer, partial: number): Socket {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.on('connect', () => {
    const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Length: ${body.length}`, 'Content-Type: application/octet-stream'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    sock.write(body.subarray(0, partial));
  });
  return sock;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

/** Files under dir whose names start with prefix (recursively). */
async function filesNamed(dir: string, prefix: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile() && e.name.startsWith(prefix)).map((e) => join(e.parentPath ?? e.path, e.name));
  } catch {
    return [];
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('SIGKILL at random points of pushes, then restart', { timeout: 900_000 }, () => {
  let server: BerthProcess;
  const repo = 'crash/target';
  const url = (p: string) => `${server.url}${p}`;

  before(async () => {
    server = await startBerth({ auth: 'none' });
  });
  after(async () => {
    await server?.stop();
  });

  async function startSession(): Promise<{ path: string; id: string }> {
    const res = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
    assert.equal(res.status, 202);
    const path = new URL(res.headers.get('location')!, server.url).pathname;
    return { path, id: path.split('/').pop()! };
  }

  async function patch(path: string, data: Buffer, start: number): Promise<void> {
    const res = await fetch(url(path), { method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${start + data.length - 1}` }, body: data });
    assert.equal(res.status, 202, `PATCH ${start}: ${await res.text()}`);
  }

  async function rangeOf(path: string): Promise<string | null> {
    const res = await fetch(url(path));
    await res.arrayBuffer();
    assert.equal(res.status, 204, `GET ${path}`);
    return res.headers.get('range');
  }

  const dataFile = (id: string) => join(server.dataDir, 'storage', 'uploads', id, 'data');

  it(`${ROUNDS} kills in chunked, finishing-PUT and monolithic pushes (seed ${SEED}); every blob served hashes to its digest`, async () => {
    const rnd = prng(SEED);
    const pushed = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const kind = (['chunked', 'chunked', 'finishing-put', 'monolithic-post', 'monolithic-put'] as const)[Math.floor(rnd() * 5)]!;
      const blob = randomBytes(CHUNK * CHUNKS);
      const digest = digestOf(blob);
      const what = `round ${round} (${kind}, seed ${SEED})`;
      // Kill while chunk `at` is partly on disk: more than one write batch in, less than all of it.
      const at = kind.startsWith('monolithic') ? 0 : 1 + Math.floor(rnd() * (CHUNKS - 1));
      const partial = Math.floor(CHUNK * (0.5 + rnd() * 0.4));
      let session: { path: string; id: string } | undefined;
      let sock: Socket;
      if (kind === 'monolithic-post') {
        const before = new Set(await filesNamed(join(server.dataDir, 'storage'), '.tmp-'));
        sock = stalledRequest(server.port, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {}, blob, partial);
        await waitFor(`${what}: a temp file with bytes`, async () => {
          for (const f of await filesNamed(join(server.dataDir, 'storage'), '.tmp-')) if (!before.has(f) && (await sizeOf(f)) >= 4 * MiB) return true;
          return false;
        });
      } else {
        session = await startSession();
        const chunks = kind === 'monolithic-put' ? 0 : at;
        for (let i = 0; i < chunks; i++) await patch(session.path, blob.subarray(i * CHUNK, (i + 1) * CHUNK), i * CHUNK);
        const offset = chunks * CHUNK;
        if (kind === 'chunked') {
          const chunk = blob.subarray(offset, offset + CHUNK);
          sock = stalledRequest(server.port, 'PATCH', session.path, { 'Content-Range': `${offset}-${offset + CHUNK - 1}` }, chunk, partial);
          await waitFor(`${what}: stray bytes beyond the offset`, async () => (await sizeOf(dataFile(session!.id))) > offset);
        } else if (kind === 'finishing-put') {
          const rest = blob.subarray(offset);
          sock = stalledRequest(server.port, 'PUT', `${session.path}?digest=${digest}`, {}, rest, partial);
          await waitFor(`${what}: stray bytes beyond the offset`, async () => (await sizeOf(dataFile(session!.id))) > offset);
        } else {
          const before = new Set(await filesNamed(join(server.dataDir, 'storage'), '.tmp-'));
          sock = stalledRequest(server.port, 'PUT', `${session.path}?digest=${digest}`, {}, blob, partial);
          await waitFor(`${what}: a temp file with bytes`, async () => {
            for (const f of await filesNamed(join(server.dataDir, 'storage'), '.tmp-')) if (!before.has(f) && (await sizeOf(f)) >= 4 * MiB) return true;
            return false;
          });
        }
      }
      await server.kill();
      sock.destroy();
      server = await server.restart();

      // Nothing half-written is visible.
      const head = await fetch(url(`/v2/${repo}/blobs/${digest}`), { method: 'HEAD' });
      assert.equal(head.status, 404, `${what}: the interrupted blob is visible after the restart`);

      if (session && kind !== 'monolithic-put') {
        const recorded = at * CHUNK;
        assert.equal(await rangeOf(session.path), `0-${recorded - 1}`, `${what}: the status after the restart`);
        const onDisk = await sizeOf(dataFile(session.id));
        assert.ok(onDisk > recorded, `${what}: expected stray bytes on disk (${onDisk}) beyond the recorded ${recorded}`);
        if (round % 2 === 0) {
          // The probe's move: claim the digest of everything the data file holds.
          const stray = await readFile(dataFile(session.id));
          const res = await fetch(url(`${session.path}?digest=${digestOf(stray)}`), { method: 'PUT' });
          assert.equal(res.status, 400, `${what}: a PUT with the digest of the stray bytes: ${await res.text()}`);
          assert.equal((await fetch(url(`/v2/${repo}/blobs/${digestOf(stray)}`), { method: 'HEAD' })).status, 404);
          assert.equal(await rangeOf(session.path), `0-${recorded - 1}`, `${what}: the refused PUT changed the upload`);
        }
        // Resume from the recorded offset.
        for (let i = at; i < CHUNKS - 1; i++) await patch(session.path, blob.subarray(i * CHUNK, (i + 1) * CHUNK), i * CHUNK);
        const last = blob.subarray((CHUNKS - 1) * CHUNK);
        const res = await fetch(url(`${session.path}?digest=${digest}`), {
          method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-range': `${(CHUNKS - 1) * CHUNK}-${blob.length - 1}` }, body: last,
        });
        assert.equal(res.status, 201, `${what}: the resumed upload's PUT: ${await res.text()}`);
      } else {
        // A monolithic push starts again.
        const res = await fetch(url(`/v2/${repo}/blobs/uploads/?digest=${digest}`), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: blob });
        assert.equal(res.status, 201, `${what}: the repeated push: ${await res.text()}`);
      }
      pushed.set(digest, blob.length);
    }

    for (const [digest, size] of pushed) {
      const res = await fetch(url(`/v2/${repo}/blobs/${digest}`));
      const got = Buffer.from(await res.arrayBuffer());
      assert.equal(res.status, 200);
      assert.equal(got.length, size, `${digest}: served ${got.length} bytes, pushed ${size}`);
      assert.equal(`sha256:${createHash('sha256').update(got).digest('hex')}`, digest, `${digest}: the bytes served do not hash to the digest`);
    }
  });

  it('the start-up sweep removes what the interrupted pushes left and keeps an upload in progress', async () => {
    // One upload in progress, recently touched: it must survive.
    const live = await startSession();
    await patch(live.path, Buffer.from('still going'), 0);
    // An abandoned one, and the temp files of killed monolithic pushes, made old.
    const abandoned = await startSession();
    await patch(abandoned.path, randomBytes(1000), 0);
    const temps = await filesNamed(join(server.dataDir, 'storage'), '.tmp-');
    await server.stop();
    const old = new Date(Date.now() - 48 * 3600_000);
    for (const f of temps) await utimes(f, old, old);
    await utimes(dataFile(abandoned.id), old, old);
    const meta = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
    try {
      await meta.db.updateTable('uploads').set({ updated_at: 0 }).where('id', '!=', live.id).execute();
    } finally {
      await meta.close();
    }
    server = await server.restart();
    await waitFor('the sweep', async () => (await filesNamed(join(server.dataDir, 'storage'), '.tmp-')).length === 0 && (await sizeOf(dataFile(abandoned.id))) === -1);
    const gone = await fetch(url(abandoned.path));
    assert.equal(gone.status, 404, 'the abandoned upload is ended');
    assert.equal(await rangeOf(live.path), '0-10', 'the upload in progress is untouched');
    const uploadsLeft = await readdir(join(server.dataDir, 'storage', 'uploads'));
    assert.deepEqual(uploadsLeft, [live.id], 'only the live upload keeps a folder');
  });
});
