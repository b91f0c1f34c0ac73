// The streaming tar reader: archives made by the real GNU tar (gnu, pax and ustar formats) and
// hand-made headers (pax records, GNU long names, base-256 sizes), read whole and split at
// arbitrary chunk boundaries; bounded reads, skips, truncation and malformed input.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, linkSync, writeFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { normalizeTarPath, readTar, TarEntryTooLargeError, TarError, TarReader } from '../../../../../src/features/scan/inventory/tar.ts';
import { chunked, END, entry, gnuLong, header, pax, randomSizes, run, tempDir } from './fixtures.ts';

interface Seen {
  path: string;
  type: string;
  size: number;
  mode: number;
  linkpath?: string;
  data?: string;
}

/** Reads every entry, reading files' data (small archives only). */
async function list(source: AsyncIterable<Uint8Array>): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const e of readTar(source)) {
    const s: Seen = { path: e.path, type: e.type, size: e.size, mode: e.mode };
    if (e.linkpath !== undefined) s.linkpath = e.linkpath;
    if (e.type === 'file') s.data = (await e.read(1 << 20)).toString('utf8');
    out.push(s);
  }
  return out;
}

const LONG_DIR = `deep/${'d'.repeat(45)}/${'e'.repeat(45)}/${'f'.repeat(45)}`;
const LONG_FILE = `${LONG_DIR}/${'g'.repeat(80)}.txt`;

describe('tar reader with archives of the real GNU tar', () => {
  let tmp: ReturnType<typeof tempDir>;
  const archives: Record<string, Buffer> = {};
  before(() => {
    tmp = tempDir('tar');
    const root = join(tmp.dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, LONG_DIR), { recursive: true });
    writeFileSync(join(root, 'etc/os-release'), 'ID=debian\n');
    writeFileSync(join(root, 'etc/empty'), '');
    writeFileSync(join(root, 'etc/exact512'), 'x'.repeat(512));
    writeFileSync(join(root, LONG_FILE), 'long\n');
    writeFileSync(join(root, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync(`../${LONG_FILE}`, join(root, 'etc/longlink'));
    symlinkSync('os-release', join(root, 'etc/short'));
    linkSync(join(root, 'etc/os-release'), join(root, 'etc/hard'));
    for (const format of ['gnu', 'pax', 'ustar', 'posix'] as const) {
      // ustar cannot hold a 100+ char symlink target: leave that one out of it.
      const exclude = format === 'ustar' ? ['--exclude=./etc/longlink'] : [];
      archives[format] = run('tar', ['-C', root, `--format=${format}`, '--sort=name', '--owner=0', '--group=0', ...exclude, '-cf', '-', '.']);
    }
  });
  after(() => tmp.remove());

  for (const format of ['gnu', 'pax', 'ustar', 'posix']) {
    it(`reads a ${format} archive: paths, types, sizes, modes, links and data`, async () => {
      const seen = await list(chunked(archives[format]!));
      const byPath = new Map(seen.map((s) => [s.path, s]));
      assert.equal(byPath.get('')?.type, 'dir');
      // --sort=name: etc/hard is written first with the data; etc/os-release becomes a link to it.
      assert.deepEqual(byPath.get('etc/hard'), { path: 'etc/hard', type: 'file', size: 10, mode: 0o644, data: 'ID=debian\n' });
      assert.deepEqual(byPath.get('etc/os-release'), { path: 'etc/os-release', type: 'hardlink', size: 0, mode: 0o644, linkpath: 'etc/hard' });
      assert.equal(byPath.get('etc/empty')?.data, '');
      assert.equal(byPath.get('etc/exact512')?.data, 'x'.repeat(512));
      assert.equal(byPath.get(LONG_FILE)?.data, 'long\n');
      assert.equal(byPath.get('run.sh')?.mode, 0o755);
      assert.deepEqual(byPath.get('etc/short'), { path: 'etc/short', type: 'symlink', size: 0, mode: 0o777, linkpath: 'os-release' });
      if (format !== 'ustar') assert.equal(byPath.get('etc/longlink')?.linkpath, `../${LONG_FILE}`);
      assert.equal(byPath.get(LONG_DIR)?.type, 'dir');
    });
  }

  it('gives the same entries whatever the chunk boundaries (1 byte, 511/513, random)', async () => {
    const expected = await list(chunked(archives.pax!));
    for (const sizes of [[1], [511, 513], [7, 1024, 3], randomSizes(42, 500, 3000)]) {
      assert.deepEqual(await list(chunked(archives.pax!, sizes)), expected, `chunks ${sizes.slice(0, 3).join(',')}...`);
      assert.deepEqual(await list(chunked(archives.gnu!, sizes)), await list(chunked(archives.gnu!)));
    }
  });

  it('counts every byte of the tar stream, including the end blocks and record padding', async () => {
    const r = new TarReader(chunked(archives.gnu!, [777]));
    for await (const e of r.entries()) await e.skip();
    assert.equal(r.bytesRead, archives.gnu!.length);
  });

  it('reads a file stream (fs.createReadStream) and a truncated file fails with TarError', async () => {
    const p = join(tmp.dir, 'cut.tar');
    writeFileSync(p, archives.gnu!.subarray(0, 1500));
    await assert.rejects(list(createReadStream(p)), (e: unknown) => e instanceof TarError && e.code === 'TAR_TRUNCATED');
  });
});

describe('tar reader with hand-made headers', () => {
  it('applies pax path, linkpath and size records (size beyond the header field)', async () => {
    const longPath = `a/${'p'.repeat(200)}/file`;
    const data = Buffer.from('hello pax');
    const tar = Buffer.concat([
      pax({ path: longPath, size: String(data.length), mtime: '1.5' }),
      // The header says size 0 and a short name; the pax records override both, so the data
      // follows as the pax size says.
      header({ name: 'short', size: 0 }),
      data, Buffer.alloc(512 - data.length),
      pax({ linkpath: `/target/${'t'.repeat(150)}`, path: 'link' }),
      entry({ name: 'ignored', type: '2', linkname: 'x' }),
      END,
    ]);
    const seen = await list(chunked(tar, [100]));
    assert.deepEqual(seen, [
      { path: longPath, type: 'file', size: 9, mode: 0o644, data: 'hello pax' },
      { path: 'link', type: 'symlink', size: 0, mode: 0o644, linkpath: `/target/${'t'.repeat(150)}` },
    ]);
  });

  it('applies GNU long names (L) and long link names (K) to the next entry only', async () => {
    const name = `x/${'n'.repeat(300)}`;
    const link = `y/${'k'.repeat(300)}`;
    const tar = Buffer.concat([
      gnuLong(name, 'L'),
      gnuLong(link, 'K'),
      entry({ name: '././@LongLink', type: '1', linkname: 'short', format: 'gnu' }),
      entry({ name: 'plain', format: 'gnu' }, 'p'),
      END,
    ]);
    assert.deepEqual(await list(chunked(tar, [3])), [
      { path: name, type: 'hardlink', size: 0, mode: 0o644, linkpath: link },
      { path: 'plain', type: 'file', size: 1, mode: 0o644, data: 'p' },
    ]);
  });

  it('joins the ustar prefix, but not in GNU headers (which keep other fields there)', async () => {
    const tar = Buffer.concat([
      entry({ name: 'file', prefix: 'some/prefix' }, 'u'),
      entry({ name: 'gnufile', prefix: 'not-a-prefix', format: 'gnu' }, 'g'),
      END,
    ]);
    assert.deepEqual((await list(chunked(tar))).map((s) => s.path), ['some/prefix/file', 'gnufile']);
  });

  it('reads base-256 sizes and ignores the size of header-only types (dirs, links, devices)', async () => {
    const tar = Buffer.concat([
      entry({ name: 'big-field', base256Size: true }, 'b256'),
      // A directory whose size field is non-zero: no data follows (as Go's archive/tar reads it).
      header({ name: 'dir/', type: '5', size: 1000 }),
      header({ name: 'dev', type: '3', size: 5 }),
      entry({ name: 'after' }, 'ok'),
      END,
    ]);
    assert.deepEqual((await list(chunked(tar))).map((s) => [s.path, s.type, s.size, s.data]), [
      ['big-field', 'file', 4, 'b256'],
      ['dir', 'dir', 0, undefined],
      ['dev', 'other', 0, undefined],
      ['after', 'file', 2, 'ok'],
    ]);
  });

  it('normalises paths: no "./" or "/" prefix, no "." segments, ".." clamped at the root', async () => {
    assert.equal(normalizeTarPath('./usr/bin/'), 'usr/bin');
    assert.equal(normalizeTarPath('/etc//passwd'), 'etc/passwd');
    assert.equal(normalizeTarPath('a/./b/../c'), 'a/c');
    assert.equal(normalizeTarPath('../../etc/shadow'), 'etc/shadow');
    assert.equal(normalizeTarPath('./'), '');
    const tar = Buffer.concat([entry({ name: './var/lib/dpkg/status' }, 's'), entry({ name: '/abs/x' }, 'a'), END]);
    assert.deepEqual((await list(chunked(tar))).map((s) => s.path), ['var/lib/dpkg/status', 'abs/x']);
  });

  it('read(max) refuses an entry over max without consuming it; the next entry still reads', async () => {
    const tar = Buffer.concat([entry({ name: 'big' }, 'x'.repeat(2000)), entry({ name: 'small' }, 'ok'), END]);
    const got: string[] = [];
    for await (const e of readTar(chunked(tar, [100]))) {
      if (e.path === 'big') {
        await assert.rejects(e.read(1999), (err: unknown) => err instanceof TarEntryTooLargeError && err.size === 2000);
        assert.equal((await e.read(2000)).length, 2000); // the refusal did not use the entry up
      } else got.push((await e.read(10)).toString());
    }
    assert.deepEqual(got, ['ok']);
  });

  it('skip() and unread entries discard data as it streams: a 64 MiB entry passes through 64 KiB chunks', async () => {
    const size = 64 * 1024 * 1024;
    let produced = 0;
    let maxHeld = 0;
    const chunk = Buffer.alloc(65536, 7);
    async function* source(): AsyncGenerator<Buffer> {
      yield header({ name: 'huge', size });
      for (let i = 0; i < size / chunk.length; i++) {
        produced += chunk.length;
        maxHeld = Math.max(maxHeld, process.memoryUsage().arrayBuffers);
        yield chunk;
      }
      yield entry({ name: 'tail' }, 't');
      yield END;
    }
    const base = process.memoryUsage().arrayBuffers;
    const seen: string[] = [];
    for await (const e of readTar(source())) {
      seen.push(e.path);
      if (e.path === 'huge') await e.skip();
    }
    assert.deepEqual(seen, ['huge', 'tail']);
    assert.equal(produced, size);
    assert.ok(maxHeld - base < 16 * 1024 * 1024, `array buffers grew by ${maxHeld - base} bytes`);
  });

  it('chunks() streams an entry in order, and leaving it early skips the rest', async () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const tar = Buffer.concat([entry({ name: 'bin' }, data), entry({ name: 'next' }, 'n'), END]);
    for await (const e of readTar(chunked(tar, [333]))) {
      if (e.path !== 'bin') continue;
      const parts: Buffer[] = [];
      for await (const c of e.chunks()) parts.push(Buffer.from(c));
      assert.deepEqual(Buffer.concat(parts), data);
    }
    const paths: string[] = [];
    for await (const e of readTar(chunked(tar, [333]))) {
      paths.push(e.path);
      if (e.path === 'bin') for await (const _c of e.chunks()) break;
    }
    assert.deepEqual(paths, ['bin', 'next']);
  });

  it('an entry cannot be read after the reader moved past it', async () => {
    const tar = Buffer.concat([entry({ name: 'a' }, 'a'), entry({ name: 'b' }, 'b'), END]);
    const it = readTar(chunked(tar))[Symbol.asyncIterator]();
    const first = (await it.next()).value!;
    await it.next();
    await assert.rejects(first.read(10), /already passed/);
    await it.return(undefined);
  });

  it('ends cleanly at the end-of-archive blocks, and at a block boundary without them (as Go does)', async () => {
    const one = entry({ name: 'a' }, 'a');
    assert.deepEqual((await list(chunked(one))).map((s) => s.path), ['a']);
    assert.deepEqual((await list(chunked(Buffer.concat([one, Buffer.alloc(512)])))).map((s) => s.path), ['a']);
    assert.deepEqual((await list(chunked(Buffer.concat([one, END, Buffer.alloc(9216)])))).map((s) => s.path), ['a']);
    assert.deepEqual(await list(chunked(Buffer.alloc(0))), []);
  });

  it('fails with TAR_TRUNCATED inside a header, inside data, inside padding, inside a pax header', async () => {
    const tar = Buffer.concat([pax({ path: 'p'.repeat(300) }), entry({ name: 'a' }, 'x'.repeat(700)), END]);
    const paxLen = pax({ path: 'p'.repeat(300) }).length;
    for (const cut of [100, 511, paxLen - 100, paxLen + 200, paxLen + 512 + 600, paxLen + 512 + 800]) {
      await assert.rejects(list(chunked(tar.subarray(0, cut), [64])), (e: unknown) => e instanceof TarError && e.code === 'TAR_TRUNCATED', `cut at ${cut}`);
    }
  });

  it('fails with TAR_MALFORMED on non-tar bytes, a bad checksum, a bad number and a bad pax record', async () => {
    const malformed = (e: unknown): boolean => e instanceof TarError && e.code === 'TAR_MALFORMED';
    await assert.rejects(list(chunked(Buffer.alloc(2048, 'not a tar file '))), malformed);
    const bad = entry({ name: 'a' }, 'a');
    bad[0] = 'b'.charCodeAt(0); // the checksum no longer matches
    await assert.rejects(list(chunked(bad)), /checksum/);
    const badSize = header({ name: 'a' });
    badSize.write('9999', 124, 'latin1');
    badSize.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of badSize) sum += x;
    badSize.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await assert.rejects(list(chunked(Buffer.concat([badSize, END]))), /bad size field/);
    const badPax = entry({ name: 'PaxHeaders/x', type: 'x' }, '99 path=x\n');
    await assert.rejects(list(chunked(Buffer.concat([badPax, entry({ name: 'a' }), END]))), malformed);
    // A zero block followed by a header is not the end of an archive.
    await assert.rejects(list(chunked(Buffer.concat([Buffer.alloc(512), entry({ name: 'a' }, 'a')]))), malformed);
  });

  it('a failing source rejects the iteration with its error; stopping early returns the source', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield entry({ name: 'a' }, 'a');
      throw new Error('storage went away');
    }
    await assert.rejects(list(failing()), /storage went away/);
    let returned = false;
    async function* endless(): AsyncGenerator<Buffer> {
      try {
        for (;;) yield entry({ name: 'x' }, 'x');
      } finally {
        returned = true;
      }
    }
    for await (const e of readTar(endless())) if (e.path === 'x') break;
    assert.equal(returned, true);
  });
});
