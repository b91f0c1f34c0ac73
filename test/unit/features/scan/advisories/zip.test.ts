// The ZIP reader on real archives made by Debian's `zip` (Info-ZIP): stored and deflated
// entries, directories, thousands of entries (a central directory read in many blocks), ZIP64
// records, a corrupted entry, and a 160 MiB entry streamed with flat memory.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipFormatError, ZipReader, openZip, zipEntries, type ZipEntry } from '../../../../../src/features/scan/advisories/zip.ts';
import { requireTool } from '../versions/fuzz.ts';

let dir: string;
const zipIn = (cwd: string, args: string[]): void => {
  execFileSync('zip', ['-q', '-X', ...args], { cwd });
};

async function list(path: string): Promise<ZipEntry[]> {
  const zip = await ZipReader.open(path);
  try {
    const out: ZipEntry[] = [];
    for await (const e of zip.entries()) out.push(e);
    return out;
  } finally {
    await zip.close();
  }
}

const RECORD = JSON.stringify({ id: 'GHSA-35jh-r3h4-6jhm', summary: 'Command Injection in lodash', padding: 'x'.repeat(5000) });
const BIG = 160 * 1024 * 1024;

describe('zip reader', () => {
  before(() => {
    requireTool('zip', 'zip');
    dir = mkdtempSync(join(tmpdir(), 'berth-zip-'));
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'stored.json'), '{"id":"STORED-1"}');
    writeFileSync(join(src, 'deflated.json'), RECORD);
    writeFileSync(join(src, 'sub', 'nested.json'), '{"id":"NESTED-1"}');
    writeFileSync(join(src, 'empty.json'), '');
    zipIn(src, ['-0', join(dir, 'mixed.zip'), 'stored.json']); // -0: stored
    zipIn(src, ['-9', '-r', join(dir, 'mixed.zip'), 'deflated.json', 'sub', 'empty.json']);
    zipIn(src, ['-fz', join(dir, 'zip64.zip'), 'stored.json', 'deflated.json']); // forces ZIP64 records
    // Thousands of small records, as osv.dev's all.zip holds.
    const many = join(dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 3000; i++) writeFileSync(join(many, `PYSEC-2024-${String(i).padStart(5, '0')}.json`), `{"id":"PYSEC-2024-${i}"}`);
    zipIn(many, ['-r', join(dir, 'many.zip'), '.']);
    // A sparse 160 MiB file with a marker at each end: it compresses to almost nothing.
    const fd = openSync(join(src, 'big.bin'), 'w');
    ftruncateSync(fd, BIG);
    writeSync(fd, Buffer.from('BEGIN'), 0, 5, 0);
    writeSync(fd, Buffer.from('END'), 0, 3, BIG - 3);
    closeSync(fd);
    zipIn(src, [join(dir, 'big.zip'), 'big.bin']);
    rmSync(join(src, 'big.bin'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists stored, deflated and directory entries and reads them back', async () => {
    const entries = await list(join(dir, 'mixed.zip'));
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.deepEqual([...byName.keys()].sort(), ['deflated.json', 'empty.json', 'stored.json', 'sub/', 'sub/nested.json']);
    assert.equal(byName.get('stored.json')!.method, 0);
    assert.equal(byName.get('deflated.json')!.method, 8);
    assert.ok(byName.get('deflated.json')!.compressedSize < RECORD.length / 10);
    assert.equal(byName.get('sub/')!.isDirectory, true);

    const read: Record<string, string> = {};
    for await (const e of zipEntries(join(dir, 'mixed.zip'))) read[e.name] = (await e.read()).toString('utf8');
    assert.deepEqual(read, { 'stored.json': '{"id":"STORED-1"}', 'deflated.json': RECORD, 'sub/nested.json': '{"id":"NESTED-1"}', 'empty.json': '' });
  });

  it('reads ZIP64 end records and extra fields', async () => {
    const raw = readFileSync(join(dir, 'zip64.zip'));
    assert.ok(raw.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'the archive has a ZIP64 end of central directory record');
    const got: Record<string, string> = {};
    for await (const e of zipEntries(join(dir, 'zip64.zip'))) got[e.name] = (await e.read()).toString('utf8');
    assert.deepEqual(got, { 'stored.json': '{"id":"STORED-1"}', 'deflated.json': RECORD });
  });

  it('walks a central directory of thousands of entries', async () => {
    const zip = await ZipReader.open(join(dir, 'many.zip'));
    try {
      assert.equal(zip.entryCount, 3000);
      let n = 0;
      for await (const e of zip.entries()) {
        const body = JSON.parse((await zip.read(e)).toString('utf8')) as { id: string };
        assert.equal(`${body.id.replace(/-(\d+)$/, (_, d: string) => `-${d.padStart(5, '0')}`)}.json`, e.name);
        n++;
      }
      assert.equal(n, 3000);
    } finally {
      await zip.close();
    }
  });

  it('fails an entry whose bytes do not match their CRC-32, read whole or streamed', async () => {
    const bad = join(dir, 'corrupt.zip');
    copyFileSync(join(dir, 'mixed.zip'), bad);
    const bytes = readFileSync(bad);
    const at = bytes.indexOf('STORED-1');
    assert.ok(at > 0);
    bytes[at] = 'X'.charCodeAt(0);
    writeFileSync(bad, bytes);
    const zip = await ZipReader.open(bad);
    try {
      for await (const e of zip.entries()) {
        if (e.name === 'stored.json') {
          await assert.rejects(zip.read(e), /CRC-32 mismatch/);
          await assert.rejects(async () => {
            for await (const _ of await zip.openEntry(e)) void _;
          }, /CRC-32 mismatch/);
        } else if (!e.isDirectory) {
          await zip.read(e);
        }
      }
    } finally {
      await zip.close();
    }
  });

  it('fails a deflated entry whose compressed bytes are damaged', async () => {
    const bad = join(dir, 'corrupt-deflate.zip');
    const bytes = readFileSync(join(dir, 'mixed.zip'));
    const entry = (await list(join(dir, 'mixed.zip'))).find((e) => e.name === 'deflated.json')!;
    // The local header is 30 bytes plus the name and extra field; damage the middle of the data.
    const nameLen = bytes.readUInt16LE(entry.offset + 26);
    const extraLen = bytes.readUInt16LE(entry.offset + 28);
    const mid = entry.offset + 30 + nameLen + extraLen + Math.floor(entry.compressedSize / 2);
    bytes[mid] = bytes[mid]! ^ 0xff;
    writeFileSync(bad, bytes);
    const zip = await ZipReader.open(bad);
    try {
      await assert.rejects(zip.read(entry), ZipFormatError);
      await assert.rejects(async () => {
        for await (const _ of await zip.openEntry(entry)) void _;
      });
    } finally {
      await zip.close();
    }
  });

  it('rejects what is not a ZIP file', async () => {
    writeFileSync(join(dir, 'not.zip'), 'just some text, no end of central directory record here');
    await assert.rejects(ZipReader.open(join(dir, 'not.zip')), ZipFormatError);
    writeFileSync(join(dir, 'tiny.zip'), '');
    await assert.rejects(ZipReader.open(join(dir, 'tiny.zip')), ZipFormatError);
  });

  it('streams a 160 MiB entry with flat memory, and read() refuses it', async (t) => {
    const [entry] = await list(join(dir, 'big.zip'));
    const zip = await ZipReader.open(join(dir, 'big.zip'));
    try {
      assert.equal(entry!.size, BIG);
      assert.ok(entry!.compressedSize < 1024 * 1024, `compressed to ${entry!.compressedSize} bytes`);
      await assert.rejects(zip.read(entry!), /over the/);

      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      let n = 0;
      let head = '';
      let last: Buffer = Buffer.alloc(0);
      for await (const chunk of await zip.openEntry(entry!)) {
        const b = chunk as Buffer;
        if (n === 0) head = b.subarray(0, 5).toString();
        n += b.length;
        last = b;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      assert.equal(n, BIG);
      assert.equal(head, 'BEGIN');
      assert.equal(last.subarray(last.length - 3).toString(), 'END');
      const grew = peak - rssBefore;
      t.diagnostic(`RSS grew by ${(grew / 1048576).toFixed(1)} MiB while streaming ${BIG / 1048576} MiB`);
      assert.ok(grew < 80 * 1024 * 1024, `RSS grew by ${(grew / 1048576).toFixed(1)} MiB while streaming ${BIG / 1048576} MiB`);
    } finally {
      await zip.close();
    }
  });
});

describe('openZip', () => {
  it('lists the file entries of an archive and reads them', async () => {
    requireTool('zip', 'zip');
    const d = mkdtempSync(join(tmpdir(), 'berth-openzip-'));
    try {
      mkdirSync(join(d, 'osv'));
      writeFileSync(join(d, 'osv', 'GHSA-35jh-r3h4-6jhm.json'), RECORD);
      writeFileSync(join(d, 'osv', 'GO-2023-2102.json'), '{"id":"GO-2023-2102"}');
      zipIn(d, ['-r', join(d, 'all.zip'), 'osv']);
      const zip = await openZip(join(d, 'all.zip'));
      try {
        assert.deepEqual(zip.entries.map((e) => e.name).sort(), ['osv/GHSA-35jh-r3h4-6jhm.json', 'osv/GO-2023-2102.json']);
        const go = zip.entries.find((e) => e.name.endsWith('GO-2023-2102.json'))!;
        assert.equal((await zip.read(go)).toString(), '{"id":"GO-2023-2102"}');
      } finally {
        await zip.close();
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
