// A full disk (hardening issue, defect 11): a push that runs out of space gets 507 STORAGE_FULL
// and leaves nothing behind, cancelling an upload works on the full disk (its bytes are freed
// before its row is written), and once space is free pushes work again. The data directory is a
// small tmpfs, so the test needs root (CI runs as root).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

const MiB = 1024 * 1024;

describe('a full disk', { timeout: 300_000 }, () => {
  let mount: string;
  let server: BerthProcess;

  before(async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test mounts a 48 MiB tmpfs as the data directory and needs root (CI runs as root): run it with sudo');
    }
    mount = await mkdtemp(join(tmpdir(), 'berth-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mount]);
    server = await startBerth({ auth: 'none', dataDir: join(mount, 'data') });
  });
  after(async () => {
    await server?.stop();
    if (mount) {
      execFileSync('umount', [mount]);
      await rm(mount, { recursive: true, force: true });
    }
  });

  const url = (p: string) => `${server.url}${p}`;

  it('a push past the free space gets 507 and stores nothing; cancelling the upload works on the full disk; then pushes work again', async () => {
    const start = await fetch(url('/v2/full/app/blobs/uploads/'), { method: 'POST' });
    assert.equal(start.status, 202);
    const upload = new URL(start.headers.get('location')!, server.url).pathname;
    // Fill the disk through the upload, chunk by chunk (smaller and smaller), until even a 4 KiB
    // chunk does not fit.
    let offset = 0;
    let refused: Response | undefined;
    for (const size of [4 * MiB, 256 * 1024, 16 * 1024, 4096]) {
      for (let i = 0; i < 200; i++) {
        const chunk = randomBytes(size);
        const res = await fetch(url(upload), { method: 'PATCH', headers: { 'content-range': `${offset}-${offset + chunk.length - 1}`, 'content-type': 'application/octet-stream' }, body: chunk });
        if (res.status === 202) {
          offset += chunk.length;
          continue;
        }
        refused = res;
        break;
      }
    }
    assert.ok(refused, 'the disk filled up');
    assert.equal(refused.status, 507, await refused.clone().text());
    const body = await refused.json() as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'STORAGE_FULL');
    assert.match(body.errors[0]!.message, /storage is full/);
    // The refused chunk left the upload where it was.
    const status = await fetch(url(upload));
    assert.equal(status.headers.get('range'), `0-${offset - 1}`);
    // A monolithic push on the full disk: 507, nothing visible.
    const blob = randomBytes(8 * MiB);
    const mono = await fetch(url(`/v2/full/app/blobs/uploads/?digest=${digestOf(blob)}`), { method: 'POST', body: blob });
    assert.equal(mono.status, 507);
    assert.equal((await fetch(url(`/v2/full/app/blobs/${digestOf(blob)}`), { method: 'HEAD' })).status, 404);
    // Fill what is left with rows (new upload sessions) until the database cannot grow either.
    let dbFull = false;
    for (let i = 0; i < 5000 && !dbFull; i++) {
      const res = await fetch(url('/v2/full/app/blobs/uploads/'), { method: 'POST' });
      await res.arrayBuffer();
      if (res.status === 507) dbFull = true;
      else assert.equal(res.status, 202);
    }
    assert.ok(dbFull, 'the database ran out of space too');
    // Cancel works although the disk is full.
    const cancel = await fetch(url(upload), { method: 'DELETE' });
    assert.equal(cancel.status, 204, await cancel.text());
    assert.equal((await fetch(url(upload))).status, 404);
    // The space is back: the same blob goes in now, and reads back whole.
    const again = await fetch(url(`/v2/full/app/blobs/uploads/?digest=${digestOf(blob)}`), { method: 'POST', body: blob });
    assert.equal(again.status, 201, await again.text());
    const got = Buffer.from(await (await fetch(url(`/v2/full/app/blobs/${digestOf(blob)}`))).arrayBuffer());
    assert.ok(got.equals(blob));
    assert.equal((await fetch(url('/healthz'))).status, 200);
    assert.match(server.logs(), /storage is full/, 'the operator is told');
  });
});
