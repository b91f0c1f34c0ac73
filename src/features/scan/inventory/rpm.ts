// The rpm database of rpm >= 4.16 (rpmdb.sqlite: Fedora 33+, RHEL/UBI 9, openSUSE, ...) into
// packages. Pure: the SQLite file arrives as a Buffer and is opened in memory by better-sqlite3
// (sqlite3_deserialize), never written to disk.
//
// Not supported: the BerkeleyDB `Packages` file (RHEL/CentOS 7 and 8, Amazon Linux 2) and
// SUSE's NDB `Packages.db`. Reading them needs a BerkeleyDB hash-page reader; select.ts records
// such files as unsupported so a report can say so instead of showing no packages.
import Database from 'better-sqlite3';
import type { RawPackage } from './types.ts';

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
} as const;

// Header data types (rpm's rpmTagType).
const T_INT8 = 2;
const T_INT16 = 3;
const T_INT32 = 4;
const T_INT64 = 5;
const T_STRING = 6;
const T_STRING_ARRAY = 8;
const T_I18NSTRING = 9;

export class RpmHeaderError extends Error {
  constructor(message: string) {
    super(`rpm header: ${message}`);
    this.name = 'RpmHeaderError';
  }
}

export type RpmTagValue = string | string[] | number[];

/**
 * Decodes a header blob as rpmdb stores it (no lead, no magic): u32 il (index entries), u32 dl
 * (data bytes), il entries of {u32 tag, u32 type, i32 offset, u32 count}, then the data store.
 * All big-endian. Returns the tags asked for (strings, string arrays, or integers).
 */
export function parseRpmHeader(blob: Uint8Array, wanted: readonly number[] = Object.values(RPMTAG)): Map<number, RpmTagValue> {
  const b = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 8) throw new RpmHeaderError('shorter than its preamble');
  const il = b.readUInt32BE(0);
  const dl = b.readUInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il > 0xffff || dataStart + dl > b.length) throw new RpmHeaderError(`index of ${il} entries and ${dl} data bytes do not fit in ${b.length} bytes`);
  const data = b.subarray(dataStart, dataStart + dl);
  const want = new Set(wanted);
  const out = new Map<number, RpmTagValue>();
  const str = (off: number): [string, number] => {
    const end = data.indexOf(0, off);
    if (off < 0 || off >= data.length || end === -1) throw new RpmHeaderError(`string at ${off} runs past the data`);
    return [data.toString('utf8', off, end), end + 1];
  };
  for (let i = 0; i < il; i++) {
    const e = 8 + i * 16;
    const tag = b.readUInt32BE(e);
    if (!want.has(tag)) continue;
    const type = b.readUInt32BE(e + 4);
    const offset = b.readInt32BE(e + 8);
    const count = b.readUInt32BE(e + 12);
    if (type === T_STRING) {
      out.set(tag, str(offset)[0]);
    } else if (type === T_STRING_ARRAY || type === T_I18NSTRING) {
      const list: string[] = [];
      let off = offset;
      for (let k = 0; k < count; k++) {
        const [s, next] = str(off);
        list.push(s);
        off = next;
      }
      // An i18n string is one string per locale; the first is the untranslated "C" one.
      out.set(tag, type === T_I18NSTRING ? (list[0] ?? '') : list);
    } else if (type === T_INT8 || type === T_INT16 || type === T_INT32 || type === T_INT64) {
      const width = type === T_INT8 ? 1 : type === T_INT16 ? 2 : type === T_INT32 ? 4 : 8;
      if (offset < 0 || offset + width * count > data.length) throw new RpmHeaderError(`integers of tag ${tag} run past the data`);
      const nums: number[] = [];
      for (let k = 0; k < count; k++) {
        const o = offset + k * width;
        nums.push(width === 1 ? data.readUInt8(o) : width === 2 ? data.readUInt16BE(o) : width === 4 ? data.readUInt32BE(o) : Number(data.readBigUInt64BE(o)));
      }
      out.set(tag, nums);
    }
  }
  return out;
}

/** "bash-5.1.8-6.el9.src.rpm" into its name, version and release. */
export function parseSourceRpm(value: string): { name: string; version: string; release: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(value);
  return m ? { name: m[1]!, version: m[2]!, release: m[3]! } : undefined;
}

const asString = (v: RpmTagValue | undefined): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
const asNumber = (v: RpmTagValue | undefined): number | undefined => (Array.isArray(v) && typeof v[0] === 'number' ? v[0] : undefined);

/** One package out of a header blob; undefined for gpg-pubkey pseudo-packages (keys, not software). */
export function rpmPackageFromHeader(blob: Uint8Array, location: string): RawPackage | undefined {
  const h = parseRpmHeader(blob);
  const name = asString(h.get(RPMTAG.NAME));
  const version = asString(h.get(RPMTAG.VERSION));
  const release = asString(h.get(RPMTAG.RELEASE));
  if (!name || version === undefined || name === 'gpg-pubkey') return undefined;
  const epoch = asNumber(h.get(RPMTAG.EPOCH));
  const prefix = epoch !== undefined ? `${epoch}:` : '';
  const full = `${prefix}${version}${release ? `-${release}` : ''}`;
  const arch = asString(h.get(RPMTAG.ARCH));
  const license = asString(h.get(RPMTAG.LICENSE));
  const srpm = asString(h.get(RPMTAG.SOURCERPM));
  const src = srpm ? parseSourceRpm(srpm) : undefined;
  // The source rpm's epoch is not recorded; it is the binary's (as rpm builds them together).
  const srcVersion = src ? `${prefix}${src.version}-${src.release}` : undefined;
  return {
    name,
    version: full,
    type: 'rpm',
    location,
    ...(arch ? { arch } : {}),
    ...(src && (src.name !== name || srcVersion !== full) ? { source: { name: src.name, version: srcVersion! } } : {}),
    ...(license ? { licenses: [license] } : {}),
  };
}

/** SQLite files in WAL mode say so in header bytes 18-19 (2, 2); deserialize needs rollback mode (1, 1). */
function withoutWal(file: Buffer): Buffer {
  if (file.length < 100 || file.toString('latin1', 0, 16) !== 'SQLite format 3\0') throw new RpmHeaderError('rpmdb.sqlite is not an SQLite database');
  if (file[18] !== 2 && file[19] !== 2) return file;
  const copy = Buffer.from(file);
  copy[18] = 1;
  copy[19] = 1;
  return copy;
}

/** Every package of an rpmdb.sqlite (its Packages table of header blobs). */
export function parseRpmdbSqlite(file: Buffer, location: string): RawPackage[] {
  // A -wal file next to it may hold transactions not yet checkpointed; images are built by rpm
  // runs that checkpoint on close, so the main file is taken as the whole database.
  const db = new Database(withoutWal(file), { readonly: true });
  try {
    const rows = db.prepare('SELECT blob FROM Packages ORDER BY hnum').raw().all() as [Buffer][];
    const out: RawPackage[] = [];
    for (const [blob] of rows) {
      const p = rpmPackageFromHeader(blob, location);
      if (p) out.push(p);
    }
    return out;
  } finally {
    db.close();
  }
}
