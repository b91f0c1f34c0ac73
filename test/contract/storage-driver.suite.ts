// The StorageDriver contract (DESIGN.md, Tests: contract suites). Every driver proves itself by
// calling storageDriverContract from a three-line test. Each test works under its own folder and
// deletes it afterwards; the last test checks that nothing is left behind in the whole store.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { StorageNotFoundError, StoragePathError, type StorageDriver } from '../../src/storage/driver.ts';

export interface DriverFixture {
  driver: StorageDriver;
  cleanup: () => Promise<void>;
}

const MiB = 1024 * 1024;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

async function listAll(driver: StorageDriver, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const p of driver.list(prefix)) out.push(p);
  return out.sort();
}

/** A source that yields `data` in chunks of `chunkSize`, lazily, as a network body would. */
function chunked(data: Uint8Array, chunkSize = 64 * 1024): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < data.length; i += chunkSize) yield Buffer.from(data.subarray(i, i + chunkSize));
  })(), { objectMode: false });
}

/** A source that yields `good` in chunks, then fails with an error (a dropped client). */
function failingAfter(good: Uint8Array, chunkSize = 16 * 1024): Readable {
  return Readable.from((async function* () {
    for (let i = 0; i < good.length; i += chunkSize) {
      yield Buffer.from(good.subarray(i, i + chunkSize));
      await new Promise((r) => setImmediate(r));
    }
    throw new Error('source failed midway');
  })(), { objectMode: false });
}

/** A source that yields `good` in chunks, then is destroyed without an error and without ending. */
function endingEarly(good: Uint8Array, chunkSize = 512 * 1024): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= good.length) {
        setImmediate(() => this.destroy());
        return;
      }
      const chunk = Buffer.from(good.subarray(at, at + chunkSize));
      at += chunkSize;
      setImmediate(() => this.push(chunk));
    },
  });
}

export function storageDriverContract(name: string, makeDriver: () => Promise<DriverFixture>): void {
  describe(`StorageDriver contract: ${name}`, () => {
    let fixture: DriverFixture;
    let driver: StorageDriver;
    let counter = 0;

    before(async () => {
      fixture = await makeDriver();
      driver = fixture.driver;
    });
    after(async () => {
      await driver?.close?.();
      await fixture?.cleanup();
    });

    /** Runs body with a fresh folder (`t<n>/`) and deletes that folder afterwards, pass or fail. */
    async function inFolder(body: (dir: string) => Promise<void>): Promise<void> {
      const dir = `contract-t${++counter}/`;
      try {
        await body(dir);
      } finally {
        await driver.deletePrefix(dir);
      }
    }

    describe('put, stat, read', () => {
      it('round-trips bytes', () => inFolder(async (d) => {
        const data = Buffer.from('hello, berth');
        assert.equal(await driver.put(`${d}a`, data), data.length);
        const info = await driver.stat(`${d}a`);
        assert.ok(info);
        assert.equal(info.size, data.length);
        assert.ok(info.modified instanceof Date);
        assert.ok(Math.abs(info.modified.getTime() - Date.now()) < 10 * 60_000, 'modified is about now');
        assert.deepEqual(await readAll(await driver.read(`${d}a`)), data);
      }));

      it('round-trips an empty object', () => inFolder(async (d) => {
        assert.equal(await driver.put(`${d}empty`, new Uint8Array(0)), 0);
        assert.equal((await driver.stat(`${d}empty`))?.size, 0);
        assert.equal((await readAll(await driver.read(`${d}empty`))).length, 0);
      }));

      it('round-trips a Readable source', () => inFolder(async (d) => {
        const data = randomBytes(100_000);
        assert.equal(await driver.put(`${d}x/y/z`, chunked(data, 7_000)), data.length);
        assert.equal((await driver.stat(`${d}x/y/z`))?.size, data.length);
        assert.deepEqual(await readAll(await driver.read(`${d}x/y/z`)), data);
      }));

      it('round-trips a 20 MiB streamed source', () => inFolder(async (d) => {
        const data = randomBytes(20 * MiB);
        assert.equal(await driver.put(`${d}big`, chunked(data)), data.length);
        assert.equal((await driver.stat(`${d}big`))?.size, data.length);
        assert.equal(sha256(await readAll(await driver.read(`${d}big`))), sha256(data));
      }));

      it('overwrites an object with shorter content, leaving nothing of the old one', () => inFolder(async (d) => {
        await driver.put(`${d}o`, Buffer.from('the first, longer version'));
        await driver.put(`${d}o`, chunked(Buffer.from('second')));
        assert.equal((await driver.stat(`${d}o`))?.size, 6);
        assert.equal((await readAll(await driver.read(`${d}o`))).toString(), 'second');
      }));
    });

    describe('ranged reads', () => {
      const data = Buffer.from('0123456789abcdefghij');
      it('reads the first byte, a middle range, the last byte and the whole object', () => inFolder(async (d) => {
        await driver.put(`${d}r`, data);
        const read = async (start: number, end: number) => (await readAll(await driver.read(`${d}r`, { start, end }))).toString();
        assert.equal(await read(0, 0), '0');
        assert.equal(await read(5, 9), '56789');
        assert.equal(await read(19, 19), 'j');
        assert.equal(await read(0, 19), data.toString());
      }));

      it('reads a range that spans many chunks of a large object', () => inFolder(async (d) => {
        const big = randomBytes(3 * MiB + 17);
        await driver.put(`${d}big`, big);
        const start = MiB - 5;
        const end = 2 * MiB + 11;
        const got = await readAll(await driver.read(`${d}big`, { start, end }));
        assert.equal(got.length, end - start + 1);
        assert.deepEqual(got, big.subarray(start, end + 1));
      }));
    });

    describe('missing objects', () => {
      it('stat returns undefined and read throws StorageNotFoundError', () => inFolder(async (d) => {
        assert.equal(await driver.stat(`${d}nope`), undefined);
        assert.equal(await driver.stat(`${d}no/such/folder/nope`), undefined);
        await assert.rejects(driver.read(`${d}nope`), StorageNotFoundError);
        await assert.rejects(driver.read(`${d}nope`, { start: 0, end: 0 }), StorageNotFoundError);
      }));

      it('a folder is not an object', () => inFolder(async (d) => {
        await driver.put(`${d}dir/child`, Buffer.from('x'));
        assert.equal(await driver.stat(`${d}dir`), undefined);
        await assert.rejects(driver.read(`${d}dir`), StorageNotFoundError);
      }));
    });

    describe('put atomicity', () => {
      it('a source that fails midway leaves no object and no leftovers', () => inFolder(async (d) => {
        await driver.put(`${d}keep`, Buffer.from('sibling'));
        await assert.rejects(driver.put(`${d}p`, failingAfter(randomBytes(200_000))), /source failed midway/);
        assert.equal(await driver.stat(`${d}p`), undefined);
        await assert.rejects(driver.read(`${d}p`), StorageNotFoundError);
        assert.deepEqual(await listAll(driver, d), [`${d}keep`]);
      }));

      it('a failed overwrite keeps the old object whole', () => inFolder(async (d) => {
        const old = randomBytes(50_000);
        await driver.put(`${d}p`, old);
        await assert.rejects(driver.put(`${d}p`, failingAfter(randomBytes(300_000))), /source failed midway/);
        assert.deepEqual(await readAll(await driver.read(`${d}p`)), old);
        assert.deepEqual(await listAll(driver, d), [`${d}p`]);
      }));

      it('readers see the old object while a put is in progress', () => inFolder(async (d) => {
        await driver.put(`${d}p`, Buffer.from('old'));
        let release!: () => void;
        const gate = new Promise<void>((r) => { release = r; });
        const source = Readable.from((async function* () {
          yield Buffer.from('new-part-1;');
          await gate;
          yield Buffer.from('new-part-2');
        })(), { objectMode: false });
        const pending = driver.put(`${d}p`, source);
        await new Promise((r) => setTimeout(r, 30));
        assert.equal((await readAll(await driver.read(`${d}p`))).toString(), 'old');
        assert.equal((await driver.stat(`${d}p`))?.size, 3);
        assert.deepEqual(await listAll(driver, d), [`${d}p`]);
        release();
        assert.equal(await pending, 21);
        assert.equal((await readAll(await driver.read(`${d}p`))).toString(), 'new-part-1;new-part-2');
      }));
    });

    describe('append', () => {
      it('appends from 0 to create the object', () => inFolder(async (d) => {
        const data = randomBytes(100_000);
        assert.equal(await driver.append(`${d}up/data`, chunked(data, 10_000), 0), data.length);
        assert.equal((await driver.stat(`${d}up/data`))?.size, data.length);
        assert.deepEqual(await readAll(await driver.read(`${d}up/data`)), data);
      }));

      it('appends at the right offset', () => inFolder(async (d) => {
        assert.equal(await driver.append(`${d}a`, chunked(Buffer.from('hello ')), 0), 6);
        assert.equal(await driver.append(`${d}a`, chunked(Buffer.from('world')), 6), 11);
        assert.equal(await driver.append(`${d}a`, chunked(Buffer.alloc(0)), 11), 11);
        assert.equal((await readAll(await driver.read(`${d}a`))).toString(), 'hello world');
      }));

      it('rejects a wrong offset with EOFFSET and the current size, leaving the object unchanged', () => inFolder(async (d) => {
        await driver.append(`${d}a`, chunked(Buffer.from('abcdef')), 0);
        for (const wrong of [0, 3, 7, 100]) {
          await assert.rejects(driver.append(`${d}a`, chunked(Buffer.from('XYZ')), wrong), (err: unknown) => {
            const e = err as { code?: string; actual?: number };
            assert.equal(e.code, 'EOFFSET');
            assert.equal(e.actual, 6);
            return true;
          });
        }
        assert.equal((await readAll(await driver.read(`${d}a`))).toString(), 'abcdef');
      }));

      it('rejects a non-zero offset on a missing object, creating nothing', () => inFolder(async (d) => {
        await assert.rejects(driver.append(`${d}none`, chunked(Buffer.from('x')), 5), (err: unknown) => {
          const e = err as { code?: string; actual?: number };
          assert.equal(e.code, 'EOFFSET');
          assert.equal(e.actual, 0);
          return true;
        });
        assert.equal(await driver.stat(`${d}none`), undefined);
        assert.deepEqual(await listAll(driver, d), []);
      }));

      it('restores the old size when the source fails midway', () => inFolder(async (d) => {
        const first = randomBytes(70_000);
        await driver.append(`${d}a`, chunked(first), 0);
        await assert.rejects(driver.append(`${d}a`, failingAfter(randomBytes(5 * MiB), 256 * 1024), first.length), /source failed midway/);
        assert.equal((await driver.stat(`${d}a`))?.size, first.length);
        assert.deepEqual(await readAll(await driver.read(`${d}a`)), first);
        assert.deepEqual(await listAll(driver, d), [`${d}a`]);
        // The object is still usable at its old size.
        assert.equal(await driver.append(`${d}a`, chunked(Buffer.from('more')), first.length), first.length + 4);
      }));

      it('restores the old size when the source ends early (destroyed without an error)', () => inFolder(async (d) => {
        await driver.append(`${d}a`, chunked(Buffer.from('0123')), 0);
        await assert.rejects(driver.append(`${d}a`, endingEarly(randomBytes(6 * MiB)), 4));
        assert.equal((await driver.stat(`${d}a`))?.size, 4);
        assert.equal((await readAll(await driver.read(`${d}a`))).toString(), '0123');
      }));

      it('a failed first append leaves an empty or no object', () => inFolder(async (d) => {
        await assert.rejects(driver.append(`${d}a`, failingAfter(randomBytes(100_000)), 0), /source failed midway/);
        assert.equal((await driver.stat(`${d}a`))?.size ?? 0, 0);
        // Starting again from 0 works either way.
        assert.equal(await driver.append(`${d}a`, chunked(Buffer.from('fresh')), 0), 5);
        assert.equal((await readAll(await driver.read(`${d}a`))).toString(), 'fresh');
      }));

      it('an onChunk that throws fails the append and restores the old size', () => inFolder(async (d) => {
        await driver.append(`${d}a`, chunked(Buffer.from('base')), 0);
        let seen = 0;
        await assert.rejects(driver.append(`${d}a`, chunked(randomBytes(1 * MiB), 64 * 1024), 4, () => {
          if (++seen === 3) throw new Error('hash failed');
        }), /hash failed/);
        assert.equal((await readAll(await driver.read(`${d}a`))).toString(), 'base');
      }));

      it('onChunk sees exactly the written bytes, in order', () => inFolder(async (d) => {
        const first = randomBytes(3 * MiB + 123);
        const second = randomBytes(5 * MiB + 7);
        const hash = createHash('sha256');
        let seen = 0;
        const onChunk = (chunk: Buffer): void => { seen += chunk.length; hash.update(chunk); };
        await driver.append(`${d}a`, chunked(first, 100_000), 0, onChunk);
        await driver.append(`${d}a`, chunked(second, 33_333), first.length, onChunk);
        const all = Buffer.concat([first, second]);
        assert.equal(seen, all.length);
        assert.equal(hash.digest('hex'), sha256(all));
        assert.equal(sha256(await readAll(await driver.read(`${d}a`))), sha256(all));
      }));
    });

    describe('truncate', () => {
      it('cuts an object under construction back to a size, and appends continue from there', () => inFolder(async (d) => {
        await driver.append(`${d}u/data`, chunked(Buffer.from('0123456789')), 0);
        await driver.truncate(`${d}u/data`, 6);
        assert.equal((await driver.stat(`${d}u/data`))?.size, 6);
        assert.equal(await driver.append(`${d}u/data`, chunked(Buffer.from('xy')), 6), 8);
        assert.equal((await readAll(await driver.read(`${d}u/data`))).toString(), '012345xy');
      }));

      it('refuses to grow an object, with EOFFSET and its size; a missing object is empty', () => inFolder(async (d) => {
        await driver.append(`${d}u/data`, chunked(Buffer.from('abc')), 0);
        await assert.rejects(driver.truncate(`${d}u/data`, 4), (err: unknown) => (err as { code?: string; actual?: number }).code === 'EOFFSET' && (err as { actual?: number }).actual === 3);
        await driver.truncate(`${d}none`, 0);
        await assert.rejects(driver.truncate(`${d}none`, 2), (err: unknown) => (err as { code?: string; actual?: number }).code === 'EOFFSET' && (err as { actual?: number }).actual === 0);
        assert.equal(await driver.stat(`${d}none`), undefined);
      }));
    });

    describe('purgeStale', () => {
      it('never removes committed objects or objects under construction, however old', () => inFolder(async (d) => {
        await driver.put(`${d}blob`, Buffer.from('committed'));
        await driver.append(`${d}u/data`, chunked(Buffer.from('partial')), 0);
        await driver.purgeStale(new Date(Date.now() + 3600_000));
        assert.deepEqual(await listAll(driver, d), [`${d}blob`, `${d}u/data`]);
      }));
    });

    describe('commit', () => {
      it('moves the object to dest and src is gone', () => inFolder(async (d) => {
        const data = randomBytes(300_000);
        await driver.append(`${d}uploads/u1/data`, chunked(data), 0);
        await driver.commit(`${d}uploads/u1/data`, `${d}blobs/sha256/ab/abcd`);
        assert.equal(await driver.stat(`${d}uploads/u1/data`), undefined);
        assert.equal((await driver.stat(`${d}blobs/sha256/ab/abcd`))?.size, data.length);
        assert.deepEqual(await readAll(await driver.read(`${d}blobs/sha256/ab/abcd`)), data);
        assert.deepEqual(await listAll(driver, d), [`${d}blobs/sha256/ab/abcd`]);
      }));

      it('committing the same content onto an existing dest is safe', () => inFolder(async (d) => {
        const data = randomBytes(10_000);
        await driver.append(`${d}u1`, chunked(data), 0);
        await driver.commit(`${d}u1`, `${d}blob`);
        await driver.append(`${d}u2`, chunked(data), 0);
        await driver.commit(`${d}u2`, `${d}blob`);
        assert.deepEqual(await readAll(await driver.read(`${d}blob`)), data);
        assert.deepEqual(await listAll(driver, d), [`${d}blob`]);
      }));

      it('two concurrent commits of the same bytes to one dest both succeed', () => inFolder(async (d) => {
        const data = randomBytes(2 * MiB);
        await Promise.all([
          driver.append(`${d}uploads/a/data`, chunked(data), 0),
          driver.append(`${d}uploads/b/data`, chunked(data), 0),
        ]);
        await Promise.all([
          driver.commit(`${d}uploads/a/data`, `${d}blobs/x`),
          driver.commit(`${d}uploads/b/data`, `${d}blobs/x`),
        ]);
        assert.equal(sha256(await readAll(await driver.read(`${d}blobs/x`))), sha256(data));
        assert.equal(await driver.stat(`${d}uploads/a/data`), undefined);
        assert.equal(await driver.stat(`${d}uploads/b/data`), undefined);
        assert.deepEqual(await listAll(driver, d), [`${d}blobs/x`]);
      }));

      it('committing a missing src throws StorageNotFoundError', () => inFolder(async (d) => {
        await assert.rejects(driver.commit(`${d}nope`, `${d}dest`), StorageNotFoundError);
        assert.equal(await driver.stat(`${d}dest`), undefined);
      }));
    });

    describe('stage', () => {
      it('nothing is visible until commit; commit makes the bytes readable at dest', () => inFolder(async (d) => {
        const data = randomBytes(300_000);
        const hash = createHash('sha256');
        const staged = await driver.stage(`${d}blobs/sha256/ab/abcd`, chunked(data), (c) => hash.update(c));
        try {
          assert.equal(staged.size, data.length);
          assert.equal(hash.digest('hex'), sha256(data));
          assert.equal(await driver.stat(`${d}blobs/sha256/ab/abcd`), undefined);
          assert.deepEqual(await listAll(driver, d), []);
          await staged.commit();
        } finally {
          await staged.discard();
        }
        assert.deepEqual(await readAll(await driver.read(`${d}blobs/sha256/ab/abcd`)), data);
        assert.deepEqual(await listAll(driver, d), [`${d}blobs/sha256/ab/abcd`]);
      }));

      it('discard leaves nothing, and a discarded object cannot be committed', () => inFolder(async (d) => {
        const data = randomBytes(10_000);
        const dropped = await driver.stage(`${d}blob`, Buffer.from(data));
        await dropped.discard();
        await dropped.discard();
        assert.deepEqual(await listAll(driver, d), []);
        await assert.rejects(dropped.commit());
        assert.equal(await driver.stat(`${d}blob`), undefined);
      }));

      it('a source that fails leaves nothing behind', () => inFolder(async (d) => {
        await assert.rejects(driver.stage(`${d}blob`, failingAfter(randomBytes(100_000))), /source failed midway/);
        assert.deepEqual(await listAll(driver, d), []);
      }));

      it('stages again into a folder that was deleted meanwhile', () => inFolder(async (d) => {
        await driver.put(`${d}sub/a`, Buffer.from('a'));
        await driver.deletePrefix(`${d}sub/`);
        await driver.put(`${d}sub/b`, Buffer.from('b'));
        assert.deepEqual(await listAll(driver, d), [`${d}sub/b`]);
      }));
    });

    describe('delete and deletePrefix', () => {
      it('deletes one object; deleting a missing one is fine', () => inFolder(async (d) => {
        await driver.put(`${d}a`, Buffer.from('a'));
        await driver.put(`${d}b`, Buffer.from('b'));
        await driver.delete(`${d}a`);
        assert.equal(await driver.stat(`${d}a`), undefined);
        await assert.rejects(driver.read(`${d}a`), StorageNotFoundError);
        await driver.delete(`${d}a`);
        await driver.delete(`${d}never/was/here`);
        assert.deepEqual(await listAll(driver, d), [`${d}b`]);
      }));

      it('deletePrefix removes a whole folder and leaves its siblings alone', () => inFolder(async (d) => {
        for (const p of ['up/x/data', 'up/x/meta', 'up/x/deep/er/obj', 'up/xy/data', 'up/x2', 'up/keep']) {
          await driver.put(`${d}${p}`, Buffer.from(p));
        }
        await driver.deletePrefix(`${d}up/x/`);
        assert.deepEqual(await listAll(driver, d), [`${d}up/keep`, `${d}up/x2`, `${d}up/xy/data`]);
        // Without the trailing slash it is the same folder, still not a string prefix.
        await driver.put(`${d}up/x/again`, Buffer.from('again'));
        await driver.deletePrefix(`${d}up/x`);
        assert.deepEqual(await listAll(driver, d), [`${d}up/keep`, `${d}up/x2`, `${d}up/xy/data`]);
        assert.equal((await readAll(await driver.read(`${d}up/xy/data`))).toString(), 'up/xy/data');
        await driver.deletePrefix(`${d}no/such/folder/`);
      }));
    });

    describe('list', () => {
      it('returns exactly what exists, recursively, as driver paths', () => inFolder(async (d) => {
        const paths = ['a', 'b/c', 'b/d/e', 'b/d/f', 'bc/g'].map((p) => `${d}${p}`);
        for (const p of paths) await driver.put(p, Buffer.from(p));
        await driver.append(`${d}u/data`, chunked(Buffer.from('partial')), 0);
        assert.deepEqual(await listAll(driver, d), [...paths, `${d}u/data`].sort());
        assert.deepEqual(await listAll(driver, `${d}b/`), [`${d}b/c`, `${d}b/d/e`, `${d}b/d/f`]);
        assert.deepEqual(await listAll(driver, `${d}b`), [`${d}b/c`, `${d}b/d/e`, `${d}b/d/f`]);
        assert.deepEqual(await listAll(driver, `${d}nothing/here/`), []);
        for (const p of await listAll(driver, d)) assert.ok(await driver.stat(p), `listed ${p} exists`);
        await driver.delete(`${d}b/c`);
        assert.deepEqual(await listAll(driver, `${d}b/`), [`${d}b/d/e`, `${d}b/d/f`]);
      }));
    });

    describe('path tricks', () => {
      const bad = ['../x', '/etc/passwd', 'a/../../b', 'a//b', 'a/./b', '..', 'a\\..\\b', 'a/\0b'];
      const none = (): Readable => Readable.from([], { objectMode: false });
      it('every method rejects invalid paths with StoragePathError', () => inFolder(async (d) => {
        await driver.put(`${d}ok`, Buffer.from('ok'));
        for (const p of [...bad, '']) {
          const msg = `path ${JSON.stringify(p)}`;
          await assert.rejects(driver.stat(p), StoragePathError, `stat ${msg}`);
          await assert.rejects(driver.read(p), StoragePathError, `read ${msg}`);
          await assert.rejects(driver.read(p, { start: 0, end: 0 }), StoragePathError, `read range ${msg}`);
          await assert.rejects(driver.put(p, Buffer.from('x')), StoragePathError, `put ${msg}`);
          await assert.rejects(driver.put(p, none()), StoragePathError, `put stream ${msg}`);
          await assert.rejects(driver.append(p, none(), 0), StoragePathError, `append ${msg}`);
          await assert.rejects(driver.commit(p, `${d}dest`), StoragePathError, `commit src ${msg}`);
          await assert.rejects(driver.commit(`${d}ok`, p), StoragePathError, `commit dest ${msg}`);
          await assert.rejects(driver.delete(p), StoragePathError, `delete ${msg}`);
          await assert.rejects(driver.deletePrefix(p), StoragePathError, `deletePrefix ${msg}`);
        }
        // '' is the whole store for list (and only for list); the others are rejected there too.
        for (const p of bad) {
          await assert.rejects(listAll(driver, p), StoragePathError, `list ${JSON.stringify(p)}`);
        }
        // Nothing was touched by any of it.
        assert.deepEqual(await listAll(driver, d), [`${d}ok`]);
      }));
    });

    it('leaves nothing behind: the store is empty after every test cleaned its folder', async () => {
      assert.deepEqual(await listAll(driver, ''), []);
    });
  });
}
