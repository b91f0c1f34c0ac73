// Filesystem-only details of the FilesystemDriver that the shared contract cannot see:
// where files land, that temp files never survive (and stale ones are purged), file modes, and
// that the root is never escaped or removed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { StoragePathError } from '../../../src/storage/driver.ts';
import { FilesystemDriver, StorageOffsetError } from '../../../src/storage/filesystem.ts';

/** Every file under dir, relative, including hidden temp files. */
async function rawFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort();
}

function failingAfter(good: Buffer): Readable {
  return Readable.from((async function* () {
    yield good;
    await new Promise((r) => setImmediate(r));
    throw new Error('boom');
  })(), { objectMode: false });
}

describe('FilesystemDriver', () => {
  let root: string;
  let driver: FilesystemDriver;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-fs-unit-'));
    driver = new FilesystemDriver(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('is named filesystem and stores objects as files at root/<path>', async () => {
    assert.equal(driver.name, 'filesystem');
    await driver.put('blobs/sha256/ab/abcd', Buffer.from('data'));
    assert.equal((await stat(join(root, 'blobs/sha256/ab/abcd'))).size, 4);
    assert.deepEqual(await rawFiles(root), ['blobs/sha256/ab/abcd']);
  });

  it('never leaves temp files after a put, successful or failed', async () => {
    await driver.put('d/ok', Readable.from([randomBytes(1000)], { objectMode: false }));
    await assert.rejects(driver.put('d/bad', failingAfter(randomBytes(100_000))), /boom/);
    await assert.rejects(driver.put('d/ok', failingAfter(randomBytes(100_000))), /boom/);
    assert.deepEqual(await rawFiles(root), ['d/ok']);
  });

  it('shows no temp file while a put is in progress, and list skips it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const pending = driver.put('d/obj', Readable.from((async function* () {
      yield Buffer.from('part');
      await gate;
    })(), { objectMode: false }));
    await new Promise((r) => setTimeout(r, 30));
    const raw = await rawFiles(root);
    assert.equal(raw.length, 1);
    assert.match(raw[0]!, /^\.tmp-staging\/\.tmp-[0-9a-f]+$/, 'the temp file sits in the staging folder');
    const listed: string[] = [];
    for await (const p of driver.list('')) listed.push(p);
    assert.deepEqual(listed, []);
    assert.equal(await driver.stat('d/obj'), undefined);
    release();
    assert.equal(await pending, 4);
    assert.deepEqual(await rawFiles(root), ['d/obj']);
  });

  it('files are 0600 and folders 0700, whatever the umask', async () => {
    const old = process.umask(0o000);
    try {
      await driver.put('blobs/sha256/ab/abcd', Buffer.from('data'));
      await driver.append('uploads/u1/data', Readable.from([Buffer.from('x')]), 0);
      const staged = await driver.stage('blobs/sha256/cd/cdef', Buffer.from('y'));
      await staged.commit();
    } finally {
      process.umask(old);
    }
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    assert.ok(entries.length >= 8);
    for (const e of entries) {
      const full = join(e.parentPath ?? e.path, e.name);
      const mode = (await stat(full)).mode & 0o777;
      assert.equal(mode, e.isDirectory() ? 0o700 : 0o600, `${full.slice(root.length)} has mode ${mode.toString(8)}`);
    }
  });

  it('truncate cuts bytes beyond a size, refuses to grow, and treats a missing object as empty', async () => {
    await driver.append('uploads/u/data', Readable.from([Buffer.from('0123456789')]), 0);
    await driver.truncate('uploads/u/data', 4);
    assert.equal((await stat(join(root, 'uploads/u/data'))).size, 4);
    await driver.truncate('uploads/u/data', 4);
    await assert.rejects(driver.truncate('uploads/u/data', 5), (e: unknown) => e instanceof StorageOffsetError && e.actual === 4);
    await driver.truncate('uploads/none/data', 0);
    await assert.rejects(driver.truncate('uploads/none/data', 1), (e: unknown) => e instanceof StorageOffsetError && e.actual === 0);
  });

  it('purgeStale removes old temp files (staging and the old next-to-target layout) and keeps new ones and objects', async () => {
    await driver.put('blobs/sha256/ab/abcd', Buffer.from('keep'));
    await mkdir(join(root, '.tmp-staging'), { recursive: true });
    await writeFile(join(root, '.tmp-staging', '.tmp-old'), 'x');
    await writeFile(join(root, '.tmp-staging', '.tmp-new'), 'x');
    await writeFile(join(root, 'blobs/sha256/ab', '.tmp-legacy'), 'x'.repeat(1000));
    const old = new Date(Date.now() - 48 * 3600_000);
    await utimes(join(root, '.tmp-staging', '.tmp-old'), old, old);
    await utimes(join(root, 'blobs/sha256/ab', '.tmp-legacy'), old, old);
    await utimes(join(root, 'blobs/sha256/ab/abcd'), old, old);
    assert.equal(await driver.purgeStale(new Date(Date.now() - 24 * 3600_000)), 2);
    assert.deepEqual(await rawFiles(root), ['.tmp-staging/.tmp-new', 'blobs/sha256/ab/abcd']);
    // A second purge finds nothing more; the new temp file is still there.
    assert.equal(await driver.purgeStale(new Date(Date.now() - 24 * 3600_000)), 0);
  });

  it('a failed first append removes the file it created', async () => {
    await assert.rejects(driver.append('uploads/u/data', failingAfter(randomBytes(10_000)), 0), /boom/);
    assert.deepEqual(await rawFiles(root), []);
  });

  it('an offset mismatch is a StorageOffsetError with expected and actual sizes', async () => {
    await driver.append('u', Readable.from([Buffer.from('abc')], { objectMode: false }), 0);
    const err = await driver.append('u', Readable.from([Buffer.from('d')], { objectMode: false }), 2).catch((e: unknown) => e);
    assert.ok(err instanceof StorageOffsetError);
    assert.equal(err.code, 'EOFFSET');
    assert.equal(err.expected, 2);
    assert.equal(err.actual, 3);
  });

  it('rejects object paths that name a folder and the reserved temp prefix', async () => {
    await assert.rejects(driver.put('a/', Buffer.from('x')), StoragePathError);
    await assert.rejects(driver.stat('a/b/'), StoragePathError);
    await assert.rejects(driver.put('a/.tmp-123', Buffer.from('x')), StoragePathError);
    await assert.rejects(driver.stat('.tmp-x/y'), StoragePathError);
    assert.deepEqual(await rawFiles(root), []);
  });

  it('deletePrefix never removes root or anything outside it', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'berth-fs-outside-'));
    try {
      await writeFile(join(outside, 'precious'), 'x');
      await driver.put('a/b', Buffer.from('x'));
      for (const p of ['', '/', '.', '..', `../${outside.split('/').pop()}`, outside]) {
        await assert.rejects(driver.deletePrefix(p), StoragePathError, JSON.stringify(p));
      }
      assert.deepEqual(await rawFiles(root), ['a/b']);
      assert.deepEqual(await readdir(outside), ['precious']);
      // A file named as a prefix is not a folder: nothing happens to it.
      await driver.deletePrefix('a/b');
      assert.deepEqual(await rawFiles(root), ['a/b']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('lists nothing, and stats nothing, when root does not exist yet', async () => {
    const fresh = new FilesystemDriver(join(root, 'not-yet'));
    const listed: string[] = [];
    for await (const p of fresh.list('')) listed.push(p);
    assert.deepEqual(listed, []);
    assert.equal(await fresh.stat('x'), undefined);
    await fresh.put('x', Buffer.from('made'));
    assert.equal((await fresh.stat('x'))?.size, 4);
  });

  it('rejects an invalid range', async () => {
    await driver.put('r', Buffer.from('0123'));
    await assert.rejects(driver.read('r', { start: 3, end: 1 }), RangeError);
    await assert.rejects(driver.read('r', { start: -1, end: 1 }), RangeError);
  });

  it('keeps memory flat while appending a large stream', async () => {
    const chunk = randomBytes(1024 * 1024);
    const total = 256;
    const source = Readable.from((function* () { for (let i = 0; i < total; i++) yield chunk; })(), { objectMode: false });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
    try {
      assert.equal(await driver.append('big', source, 0), total * chunk.length);
    } finally {
      clearInterval(timer);
    }
    assert.ok(peak - before < 96 * 1024 * 1024, `rss grew by ${Math.round((peak - before) / 1048576)} MiB for a 256 MiB append`);
  });
});
