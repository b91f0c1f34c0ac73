// The streaming Go build info scanner, on synthetic ELF images built here in the Go 1.18+ inline
// layout, fed in chunks of every small size; decoys (the magic unaligned, or aligned with a bad
// header), the old pointer format, non-ELF files, and the package list it gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GoBuildInfoScanner, goPackages, goToolchainVersion, parseModInfo, type GoScanResult } from '../../../../../src/features/scan/inventory/go-buildinfo.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const SENTINEL_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const SENTINEL_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** The .go.buildinfo bytes of a Go 1.18+ binary. */
function buildInfo(goVersion: string, modinfo: string, flags = 2): Buffer {
  const header = Buffer.alloc(32);
  MAGIC.copy(header);
  header[14] = 8;
  header[15] = flags;
  const mod = Buffer.concat([SENTINEL_START, Buffer.from(modinfo), SENTINEL_END]);
  return Buffer.concat([header, uvarint(goVersion.length), Buffer.from(goVersion), uvarint(mod.length), mod]);
}

/** An "ELF file": the ELF magic, filler, then `section` at the (16-aligned) offset. */
function elf(section: Buffer, at: number, filler = 0x41, total = at + section.length + 4096): Buffer {
  const b = Buffer.alloc(total, filler);
  b.write('\x7fELF', 0, 'latin1');
  section.copy(b, at);
  return b;
}

function scan(data: Buffer, chunk: number): GoScanResult {
  const s = new GoBuildInfoScanner();
  for (let i = 0; i < data.length; i += chunk) if (!s.push(data.subarray(i, i + chunk))) break;
  return s.result();
}

const MODINFO = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\tv1.4.0\th1:abc=',
  'dep\tgithub.com/google/uuid\tv1.3.0\th1:uuid=',
  'dep\tgolang.org/x/net\tv0.7.0\th1:net=',
  '=>\tgolang.org/x/net\tv0.17.0\th1:net17=',
  'dep\texample.com/local\tv0.0.0',
  '=>\t../local\t',
  'build\t-compiler=gc',
  'build\tCGO_ENABLED=0',
  'build\tvcs.revision=0123abcd',
  '',
].join('\n');

describe('GoBuildInfoScanner', () => {
  const info = buildInfo('go1.21.5', MODINFO);
  const binary = elf(info, 4096 * 3);

  it('finds and decodes the inline build info whatever the chunk size (1 to 40 bytes, and large)', () => {
    const want = parseModInfo('go1.21.5', MODINFO);
    for (let c = 1; c <= 40; c++) assert.deepEqual(scan(binary, c), { kind: 'found', info: want }, `chunk ${c}`);
    for (const c of [4093, 4096, 65536, binary.length]) assert.deepEqual(scan(binary, c), { kind: 'found', info: want });
  });

  it('decodes path, main module, deps, replacements and build settings', () => {
    const r = scan(binary, 1000);
    assert.equal(r.kind, 'found');
    if (r.kind !== 'found') return;
    assert.equal(r.info.goVersion, 'go1.21.5');
    assert.equal(r.info.path, 'example.com/app/cmd/app');
    assert.deepEqual(r.info.main, { path: 'example.com/app', version: 'v1.4.0', sum: 'h1:abc=' });
    assert.deepEqual(r.info.deps[1], { path: 'golang.org/x/net', version: 'v0.7.0', sum: 'h1:net=', replace: { path: 'golang.org/x/net', version: 'v0.17.0', sum: 'h1:net17=' } });
    assert.deepEqual(r.info.deps[2]!.replace, { path: '../local', version: '' });
    assert.deepEqual(r.info.settings, [['-compiler', 'gc'], ['CGO_ENABLED', '0'], ['vcs.revision', '0123abcd']]);
  });

  it('lists stdlib, the main module and deps as built (replacements; local folders left out)', () => {
    const r = scan(binary, 65536);
    assert.ok(r.kind === 'found');
    assert.deepEqual(goPackages(r.info, 'usr/bin/app').map((p) => `${p.name}@${p.version}`), [
      'stdlib@v1.21.5', 'example.com/app@v1.4.0', 'github.com/google/uuid@v1.3.0', 'golang.org/x/net@v0.17.0',
    ]);
    // A "(devel)" main module has no release to name.
    const devel = parseModInfo('go1.22', 'path\tx/cmd\nmod\tx\t(devel)\t\n');
    assert.deepEqual(goPackages(devel, 'p').map((p) => `${p.name}@${p.version}`), ['stdlib@v1.22.0']);
  });

  it('steps over decoys: the magic unaligned, and aligned with a bad pointer size or version', () => {
    const decoy1 = Buffer.concat([MAGIC, Buffer.alloc(40, 0)]); // ptr size 0
    const decoy2 = Buffer.from(buildInfo('xx1.0', 'path\tz\n'));
    const b = elf(info, 8192);
    MAGIC.copy(b, 1003); // unaligned
    decoy1.copy(b, 2048);
    decoy2.copy(b, 4096);
    for (const c of [1, 7, 16, 100, 5000]) {
      const r = scan(b, c);
      assert.equal(r.kind, 'found', `chunk ${c}`);
      assert.equal(r.kind === 'found' && r.info.goVersion, 'go1.21.5');
    }
  });

  it('reports the pre-1.18 pointer format as unsupported, unless a real inline header follows', () => {
    const r = scan(elf(buildInfo('go1.16', 'path\tx\n', 0), 4096), 512);
    assert.equal(r.kind, 'unsupported');
    const both = elf(info, 16384);
    buildInfo('go1.16', 'path\tx\n', 0).copy(both, 4096);
    const r2 = scan(both, 512);
    assert.equal(r2.kind === 'found' && r2.info.goVersion, 'go1.21.5');
  });

  it('answers at once for non-ELF files, and "none" for ELF files without build info', () => {
    const s = new GoBuildInfoScanner();
    assert.equal(s.push(Buffer.from('#!/bin/sh\necho hi\n')), false);
    assert.deepEqual(s.result(), { kind: 'none' });
    // The ELF magic split over pushes.
    const t = new GoBuildInfoScanner();
    assert.equal(t.push(Buffer.from('\x7fE', 'latin1')), true);
    assert.equal(t.push(Buffer.from('LF', 'latin1')), true);
    assert.deepEqual(scan(elf(Buffer.alloc(0), 64, 0x42, 100_000), 4096), { kind: 'none' });
  });

  it('module info without the sentinels means no module info; too large is unsupported', () => {
    const header = Buffer.alloc(32);
    MAGIC.copy(header);
    header[14] = 8;
    header[15] = 2;
    const bare = Buffer.concat([header, uvarint(6), Buffer.from('go1.20'), uvarint(5), Buffer.from('hello')]);
    const r = scan(elf(bare, 4096), 100);
    assert.deepEqual(r, { kind: 'found', info: { goVersion: 'go1.20', deps: [], settings: [] } });
    const s = new GoBuildInfoScanner({ maxModInfo: 100 });
    s.push(elf(buildInfo('go1.21.0', 'x'.repeat(500)), 4096));
    assert.equal(s.result().kind, 'unsupported');
  });

  it('keeps memory bounded: a 256 MiB binary scanned in 64 KiB pushes holds no chunk', () => {
    const s = new GoBuildInfoScanner();
    const filler = Buffer.alloc(65536, 0x90);
    filler.write('\x7fELF', 0, 'latin1');
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    for (let i = 0; i < 4096; i++) {
      s.push(filler);
      if (i % 256 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    s.push(buildInfo('go1.21.1', 'path\tbig\n'));
    assert.equal(s.result().kind, 'found');
    assert.ok(peak < 8 * 1024 * 1024, `grew by ${peak}`);
  });

  it('toolchain versions as semver', () => {
    assert.equal(goToolchainVersion('go1.19.8'), 'v1.19.8');
    assert.equal(goToolchainVersion('go1.22'), 'v1.22.0');
    assert.equal(goToolchainVersion('go1.21rc2'), 'v1.21.0-rc.2');
    assert.equal(goToolchainVersion('go1.22.1 X:boringcrypto'), 'v1.22.1');
    assert.equal(goToolchainVersion('devel go1.23-abc'), undefined);
  });
});
