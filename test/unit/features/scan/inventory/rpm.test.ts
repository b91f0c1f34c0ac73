// The rpmdb.sqlite reader: header blobs written here in rpm's header format (index entries,
// then the data store, big-endian), stored in a real SQLite Packages table, opened from a Buffer;
// WAL-mode files, gpg-pubkey pseudo-packages, epochs, source rpms, corrupt headers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseRpmdbSqlite, parseRpmHeader, parseSourceRpm, RpmHeaderError, RPMTAG } from '../../../../../src/features/scan/inventory/rpm.ts';
import { tempDir } from './fixtures.ts';

type Value = { type: 4; value: number[] } | { type: 6; value: string } | { type: 8; value: string[] } | { type: 9; value: string[] } | { type: 7; value: Buffer };

/** Encodes a header blob the way rpmdb stores one: il, dl, index entries, data store. */
export function encodeHeader(tags: [number, Value][]): Buffer {
  const parts: Buffer[] = [];
  let dataLen = 0;
  const index: Buffer[] = [];
  for (const [tag, v] of tags) {
    let bytes: Buffer;
    let count: number;
    if (v.type === 4) {
      // Integers are aligned to their width in the data store.
      const padLen = (4 - (dataLen % 4)) % 4;
      if (padLen) {
        parts.push(Buffer.alloc(padLen));
        dataLen += padLen;
      }
      bytes = Buffer.alloc(4 * v.value.length);
      v.value.forEach((n, i) => bytes.writeUInt32BE(n, i * 4));
      count = v.value.length;
    } else if (v.type === 6) {
      bytes = Buffer.from(`${v.value}\0`);
      count = 1;
    } else if (v.type === 7) {
      bytes = v.value;
      count = v.value.length;
    } else {
      bytes = Buffer.from(v.value.map((s) => `${s}\0`).join(''));
      count = v.value.length;
    }
    const e = Buffer.alloc(16);
    e.writeUInt32BE(tag, 0);
    e.writeUInt32BE(v.type, 4);
    e.writeInt32BE(dataLen, 8);
    e.writeUInt32BE(count, 12);
    index.push(e);
    parts.push(bytes);
    dataLen += bytes.length;
  }
  const pre = Buffer.alloc(8);
  pre.writeUInt32BE(tags.length, 0);
  pre.writeUInt32BE(dataLen, 4);
  return Buffer.concat([pre, ...index, ...parts]);
}

interface PkgSpec { name: string; version: string; release: string; epoch?: number; arch?: string; srpm?: string; license?: string }

function pkgHeader(p: PkgSpec): Buffer {
  const tags: [number, Value][] = [
    // rpm puts a region trailer tag (HEADER_IMMUTABLE, 63) first; readers must step over it.
    [63, { type: 7, value: Buffer.alloc(16, 0xaa) }],
    [RPMTAG.NAME, { type: 6, value: p.name }],
    [RPMTAG.VERSION, { type: 6, value: p.version }],
    [RPMTAG.RELEASE, { type: 6, value: p.release }],
    [1004, { type: 9, value: ['A summary', 'Ein Resumee'] }],
  ];
  if (p.epoch !== undefined) tags.push([RPMTAG.EPOCH, { type: 4, value: [p.epoch] }]);
  if (p.license) tags.push([RPMTAG.LICENSE, { type: 6, value: p.license }]);
  if (p.arch) tags.push([RPMTAG.ARCH, { type: 6, value: p.arch }]);
  if (p.srpm) tags.push([RPMTAG.SOURCERPM, { type: 6, value: p.srpm }]);
  tags.push([1118, { type: 8, value: ['/usr/bin', '/usr/lib64'] }]);
  return encodeHeader(tags);
}

const PACKAGES: PkgSpec[] = [
  { name: 'bash', version: '5.1.8', release: '9.el9', arch: 'x86_64', srpm: 'bash-5.1.8-9.el9.src.rpm', license: 'GPLv3+' },
  { name: 'openssl-libs', version: '3.0.7', release: '27.el9', epoch: 1, arch: 'x86_64', srpm: 'openssl-3.0.7-27.el9.src.rpm', license: 'ASL 2.0' },
  { name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b' },
  { name: 'tzdata', version: '2024a', release: '1.el9', arch: 'noarch', srpm: 'tzdata-2024a-1.el9.src.rpm' },
];

/** An rpmdb.sqlite with rpm's table layout, as a Buffer (sqlite3_serialize). */
function rpmdb(pkgs: PkgSpec[]): Buffer {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
  const ins = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
  for (const p of pkgs) ins.run(pkgHeader(p));
  const out = db.serialize();
  db.close();
  return out;
}

describe('rpm header blobs', () => {
  it('decodes strings, i18n strings, string arrays and integers by tag', () => {
    const h = parseRpmHeader(pkgHeader(PACKAGES[1]!), [RPMTAG.NAME, RPMTAG.EPOCH, 1004, 1118]);
    assert.equal(h.get(RPMTAG.NAME), 'openssl-libs');
    assert.deepEqual(h.get(RPMTAG.EPOCH), [1]);
    assert.equal(h.get(1004), 'A summary');
    assert.deepEqual(h.get(1118), ['/usr/bin', '/usr/lib64']);
  });

  it('rejects headers whose index or strings run past the blob', () => {
    const good = pkgHeader(PACKAGES[0]!);
    assert.throws(() => parseRpmHeader(good.subarray(0, good.length - 10)), RpmHeaderError);
    assert.throws(() => parseRpmHeader(Buffer.alloc(4)), RpmHeaderError);
    const bad = Buffer.from(good);
    bad.writeInt32BE(1 << 20, 8 + 16 + 8); // NAME's offset, far outside the data
    assert.throws(() => parseRpmHeader(bad), /runs past/);
  });

  it('parses source rpm names', () => {
    assert.deepEqual(parseSourceRpm('openssl-3.0.7-27.el9.src.rpm'), { name: 'openssl', version: '3.0.7', release: '27.el9' });
    assert.deepEqual(parseSourceRpm('python-3.11-3.11.5-1.fc39.nosrc.rpm'), { name: 'python-3.11', version: '3.11.5', release: '1.fc39' });
    assert.equal(parseSourceRpm('weird'), undefined);
  });
});

describe('parseRpmdbSqlite', () => {
  const expected = [
    { name: 'bash', version: '5.1.8-9.el9', type: 'rpm', location: 'var/lib/rpm/rpmdb.sqlite', arch: 'x86_64', licenses: ['GPLv3+'] },
    { name: 'openssl-libs', version: '1:3.0.7-27.el9', type: 'rpm', location: 'var/lib/rpm/rpmdb.sqlite', arch: 'x86_64', source: { name: 'openssl', version: '1:3.0.7-27.el9' }, licenses: ['ASL 2.0'] },
    { name: 'tzdata', version: '2024a-1.el9', type: 'rpm', location: 'var/lib/rpm/rpmdb.sqlite', arch: 'noarch' },
  ];

  it('lists every package but gpg-pubkey keys, with epoch:version-release, arch, source and license', () => {
    assert.deepEqual(parseRpmdbSqlite(rpmdb(PACKAGES), 'var/lib/rpm/rpmdb.sqlite'), expected);
  });

  it('reads a WAL-mode database file as rpm leaves it on disk', () => {
    const tmp = tempDir('rpmdb');
    try {
      const path = join(tmp.dir, 'rpmdb.sqlite');
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
      for (const p of PACKAGES) db.prepare('INSERT INTO Packages (blob) VALUES (?)').run(pkgHeader(p));
      db.close(); // checkpoints the WAL into the main file
      const file = readFileSync(path);
      assert.equal(file[18], 2, 'the file says WAL mode');
      assert.deepEqual(parseRpmdbSqlite(file, 'var/lib/rpm/rpmdb.sqlite'), expected);
    } finally {
      tmp.remove();
    }
  });

  it('fails clearly on a file that is not SQLite, or has no Packages table', () => {
    assert.throws(() => parseRpmdbSqlite(Buffer.alloc(4096, 1), 'x'), /not an SQLite database/);
    const db = new Database(':memory:');
    db.exec('CREATE TABLE Other (x)');
    const buf = db.serialize();
    db.close();
    assert.throws(() => parseRpmdbSqlite(buf, 'x'), /no such table: Packages/);
  });
});
