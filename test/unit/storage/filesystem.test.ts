// Filesystem-only details of the FilesystemDriver that the shared contract cannot see:
// where files land, that temp files never survive, and the root is never escaped or removed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
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
    assert.match(raw[0]!, /^d\/\.tmp-[0-9a-f]+$/, 'the temp file sits next to its target');
    const listed: string[] = [];
    for await (const p of driver.list('')) listed.push(p);
    assert.deepEqual(listed, []);
    assert.equal(await driver.stat('d/obj'), undefined);
    release();
    assert.equal(await pending, 4);
    assert.deepEqual(await rawFiles(root), ['d/obj']);
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
