// Java archives (jar, war, ear) into Maven packages, from the META-INF/maven/<group>/<artifact>/
// pom.properties files Maven puts in them, including those of jars nested inside (Spring Boot's
// BOOT-INF/lib, a war's WEB-INF/lib). Pure: the archive arrives as a Buffer (select.ts bounds its
// size), read through its zip central directory. Jars without pom.properties (not built by
// Maven, or shaded without it) yield nothing: guessing from file names is left out.
import { inflateRawSync } from 'node:zlib';
import type { RawPackage } from './types.ts';

export class ZipError extends Error {
  constructor(message: string) {
    super(`zip: ${message}`);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32 = 0xffffffff;

/** The central directory's entries (zip64 included). */
export function zipEntries(zip: Buffer): ZipEntry[] {
  // The end record is in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw new ZipError('no end of central directory record');
  let count = zip.readUInt16LE(eocd + 10);
  let cdSize = zip.readUInt32LE(eocd + 12);
  let cdOffset = zip.readUInt32LE(eocd + 16);
  if ((count === 0xffff || cdSize === U32 || cdOffset === U32) && eocd >= 20 && zip.readUInt32LE(eocd - 20) === EOCD64_LOCATOR) {
    const at = Number(zip.readBigUInt64LE(eocd - 20 + 8));
    if (at + 56 > zip.length || zip.readUInt32LE(at) !== EOCD64) throw new ZipError('bad zip64 end record');
    count = Number(zip.readBigUInt64LE(at + 32));
    cdSize = Number(zip.readBigUInt64LE(at + 40));
    cdOffset = Number(zip.readBigUInt64LE(at + 48));
  }
  if (cdOffset + cdSize > zip.length) throw new ZipError('central directory outside the file');
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== CENTRAL) throw new ZipError(`bad central directory entry ${i}`);
    const method = zip.readUInt16LE(p + 10);
    let compressedSize = zip.readUInt32LE(p + 20);
    let size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    let localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    // Zip64 extra field (id 1): the 64-bit values, in order, of the fields that are 0xffffffff.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = zip.readUInt16LE(e);
      const len = zip.readUInt16LE(e + 2);
      if (id === 1) {
        let q = e + 4;
        const end = e + 4 + len;
        const next = (): number | undefined => {
          if (q + 8 > end) return undefined;
          const v = Number(zip.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === U32) size = next() ?? size;
        if (compressedSize === U32) compressedSize = next() ?? compressedSize;
        if (localOffset === U32) localOffset = next() ?? localOffset;
      }
      e += 4 + len;
    }
    out.push({ name, method, compressedSize, size, localOffset });
    p = extraEnd + commentLen;
  }
  return out;
}

/** One entry's bytes (stored or deflated), at most `max` bytes. */
export function zipRead(zip: Buffer, entry: ZipEntry, max: number): Buffer {
  const p = entry.localOffset;
  if (p + 30 > zip.length || zip.readUInt32LE(p) !== LOCAL) throw new ZipError(`bad local header for ${entry.name}`);
  const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28);
  if (start + entry.compressedSize > zip.length) throw new ZipError(`${entry.name} runs past the archive`);
  if (entry.size > max) throw new ZipError(`${entry.name} has ${entry.size} bytes, over ${max}`);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data, { maxOutputLength: Math.max(1, max) });
  throw new ZipError(`${entry.name}: compression method ${entry.method} is not supported`);
}

/** Java .properties: key=value or key:value lines; # and ! comments. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line[0] === '#' || line[0] === '!') continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
const NESTED = /\.(?:jar|war|ear)$/i;

export interface JarOptions {
  /** How deep nested archives are opened (default 2: a jar inside a jar inside the file). */
  readonly maxDepth?: number;
  /** Largest nested archive read (default 32 MiB: with the outer jar, the memory stays bounded). */
  readonly maxEntry?: number;
}

/**
 * The Maven packages ("group:artifact" names, as purl.ts expects) a Java archive holds. Nested
 * archives' packages are located as "<outer>!/<inner path>".
 */
export function parseJar(zip: Buffer, location: string, options: JarOptions = {}, depth = 0): RawPackage[] {
  const maxDepth = options.maxDepth ?? 2;
  const maxEntry = options.maxEntry ?? 32 * 1024 * 1024;
  const out: RawPackage[] = [];
  for (const e of zipEntries(zip)) {
    if (POM_PROPERTIES.test(e.name)) {
      const props = parseProperties(zipRead(zip, e, 1024 * 1024).toString('utf8'));
      const group = props.get('groupId');
      const artifact = props.get('artifactId');
      const version = props.get('version');
      if (group && artifact && version) out.push({ name: `${group}:${artifact}`, version, type: 'maven', location });
    } else if (NESTED.test(e.name) && depth < maxDepth && e.size <= maxEntry) {
      try {
        out.push(...parseJar(zipRead(zip, e, maxEntry), `${location}!/${e.name}`, options, depth + 1));
      } catch {
        // A nested file that is not a readable archive says nothing; the outer one still counts.
      }
    }
  }
  return out;
}
