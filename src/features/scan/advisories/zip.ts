// A small ZIP reader for osv.dev's all.zip (one JSON file per record, hundreds of thousands of
// entries): it reads the end of central directory record (ZIP64's too) from the end of the
// file, walks the central directory in blocks, and inflates one entry at a time through a
// stream, so memory stays flat however big the archive or an entry is. Stored (0) and deflated
// (8) entries; CRC-32 and sizes are checked as the bytes go by. Not pure (it reads a file), but
// self-contained.
import { open, type FileHandle } from 'node:fs/promises';
import { PassThrough, Readable, Transform, type TransformCallback, pipeline } from 'node:stream';
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated; others cannot be read. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Offset of the entry's local header. */
  readonly offset: number;
  readonly isDirectory: boolean;
  readonly encrypted: boolean;
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
/** The EOCD record is 22 bytes plus a comment of at most 65535. */
const EOCD_SEARCH = 22 + 0xffff;
const BLOCK = 64 * 1024;
/** Entries up to this compressed size are read in one piece. */
const SMALL = 1024 * 1024;

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('a ZIP64 size or offset beyond 2^53');
  return Number(v);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Names are UTF-8 when flagged (bit 11) or when they decode as UTF-8; else CP437, read as Latin-1 (exact for ASCII). */
function decodeName(raw: Buffer, flagged: boolean): string {
  try {
    return utf8.decode(raw);
  } catch {
    return flagged ? raw.toString('utf8') : raw.toString('latin1');
  }
}

export class ZipReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly fileSize: number,
    readonly entryCount: number,
    private readonly cdOffset: number,
    private readonly cdSize: number,
  ) {}

  static async open(path: string): Promise<ZipReader> {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const tailLen = Math.min(size, EOCD_SEARCH);
      const tail = Buffer.alloc(tailLen);
      await fh.read(tail, 0, tailLen, size - tailLen);
      // The last EOCD signature whose comment length reaches exactly to the end of the file.
      let at = -1;
      for (let i = tailLen - 22; i >= 0; i--) {
        if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) === tailLen) {
          at = i;
          break;
        }
      }
      if (at < 0) throw new ZipFormatError('no end of central directory record: not a ZIP file');
      if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) throw new ZipFormatError('multi-disk archives are not supported');
      let count = tail.readUInt16LE(at + 10);
      let cdSize = tail.readUInt32LE(at + 12);
      let cdOffset = tail.readUInt32LE(at + 16);
      const eocdPos = size - tailLen + at;
      // ZIP64: a locator just before the EOCD points at the ZIP64 EOCD record, whose fields win.
      if (eocdPos >= 20) {
        const loc = Buffer.alloc(20);
        await fh.read(loc, 0, 20, eocdPos - 20);
        if (loc.readUInt32LE(0) === ZIP64_LOCATOR) {
          const rec = Buffer.alloc(56);
          const { bytesRead } = await fh.read(rec, 0, 56, u64(loc, 8));
          if (bytesRead < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipFormatError('bad ZIP64 end of central directory record');
          count = u64(rec, 32);
          cdSize = u64(rec, 40);
          cdOffset = u64(rec, 48);
        } else if (count === MAX16 || cdSize === MAX32 || cdOffset === MAX32) {
          throw new ZipFormatError('ZIP64 fields without a ZIP64 locator');
        }
      }
      if (cdOffset + cdSize > eocdPos) throw new ZipFormatError('the central directory lies outside the file');
      return new ZipReader(fh, size, count, cdOffset, cdSize);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** The entries in central directory order, read in 64 KiB blocks. */
  async *entries(): AsyncGenerator<ZipEntry> {
    let buf = Buffer.alloc(0);
    let pos = this.cdOffset;
    const end = this.cdOffset + this.cdSize;
    const need = async (n: number): Promise<void> => {
      while (buf.length < n) {
        if (pos >= end) throw new ZipFormatError('the central directory ends inside an entry');
        const len = Math.min(BLOCK, end - pos);
        const block = Buffer.alloc(len);
        const { bytesRead } = await this.fh.read(block, 0, len, pos);
        if (bytesRead === 0) throw new ZipFormatError('the file ends inside the central directory');
        pos += bytesRead;
        buf = buf.length === 0 ? block.subarray(0, bytesRead) : Buffer.concat([buf, block.subarray(0, bytesRead)]);
      }
    };
    for (let i = 0; i < this.entryCount; i++) {
      await need(46);
      if (buf.readUInt32LE(0) !== CENTRAL) throw new ZipFormatError(`bad central directory entry ${i}`);
      const nameLen = buf.readUInt16LE(28);
      const extraLen = buf.readUInt16LE(30);
      const commentLen = buf.readUInt16LE(32);
      const total = 46 + nameLen + extraLen + commentLen;
      await need(total);
      const flags = buf.readUInt16LE(8);
      const method = buf.readUInt16LE(10);
      const crc = buf.readUInt32LE(16);
      let compressedSize = buf.readUInt32LE(20);
      let size = buf.readUInt32LE(24);
      let offset = buf.readUInt32LE(42);
      const rawName = buf.subarray(46, 46 + nameLen);
      let name = decodeName(rawName, (flags & 0x800) !== 0);
      const extra = buf.subarray(46 + nameLen, 46 + nameLen + extraLen);
      for (let x = 0; x + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(x);
        const len = extra.readUInt16LE(x + 2);
        const data = extra.subarray(x + 4, x + 4 + len);
        if (id === 0x0001) {
          // ZIP64 extended information: only the fields whose 32-bit values are saturated, in this order.
          let p = 0;
          if (size === MAX32 && p + 8 <= data.length) {
            size = u64(data, p);
            p += 8;
          }
          if (compressedSize === MAX32 && p + 8 <= data.length) {
            compressedSize = u64(data, p);
            p += 8;
          }
          if (offset === MAX32 && p + 8 <= data.length) offset = u64(data, p);
        } else if (id === 0x7075 && data.length > 5 && data[0] === 1 && data.readUInt32LE(1) === crc32(rawName)) {
          name = data.subarray(5).toString('utf8'); // Info-ZIP's Unicode path, valid while it matches the raw name
        }
        x += 4 + len;
      }
      buf = buf.subarray(total);
      yield {
        name,
        method,
        compressedSize,
        size,
        crc32: crc,
        offset,
        isDirectory: name.endsWith('/'),
        encrypted: (flags & 1) !== 0,
      };
    }
  }

  /** Where the entry's data starts: after its local header, whose name and extra lengths may differ from the directory's. */
  private async dataStart(entry: ZipEntry): Promise<number> {
    if (entry.encrypted) throw new ZipFormatError(`${entry.name}: encrypted entries are not supported`);
    if (entry.method !== 0 && entry.method !== 8) throw new ZipFormatError(`${entry.name}: compression method ${entry.method} is not supported`);
    const head = Buffer.alloc(30);
    const { bytesRead } = await this.fh.read(head, 0, 30, entry.offset);
    if (bytesRead < 30 || head.readUInt32LE(0) !== LOCAL) throw new ZipFormatError(`${entry.name}: bad local header`);
    const start = entry.offset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    if (start + entry.compressedSize > this.cdOffset) throw new ZipFormatError(`${entry.name}: data runs into the central directory`);
    return start;
  }

  /** The entry's bytes as a stream, inflated and checked (a CRC or size mismatch fails the stream). */
  async openEntry(entry: ZipEntry): Promise<Readable> {
    const start = await this.dataStart(entry);
    const raw: Readable = entry.compressedSize === 0 ? Readable.from([]) : this.fh.createReadStream({ start, end: start + entry.compressedSize - 1, autoClose: false, highWaterMark: BLOCK });
    const check = new Check(entry);
    const out = new PassThrough({ highWaterMark: BLOCK });
    const done = (err: NodeJS.ErrnoException | null): void => {
      if (err) out.destroy(err);
    };
    if (entry.method === 8) pipeline(raw, createInflateRaw({ chunkSize: BLOCK }), check, out, done);
    else pipeline(raw, check, out, done);
    return out;
  }

  /**
   * The entry's bytes; refuses entries over maxBytes (64 MiB by default), as a guard against zip
   * bombs. Small entries (all.zip's records) are read and inflated in one go, larger ones streamed.
   */
  async read(entry: ZipEntry, maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
    if (entry.size > maxBytes) throw new ZipFormatError(`${entry.name}: ${entry.size} bytes is over the ${maxBytes} byte limit`);
    if (entry.compressedSize <= SMALL && entry.size <= SMALL * 64) {
      const start = await this.dataStart(entry);
      const raw = Buffer.alloc(entry.compressedSize);
      const { bytesRead } = await this.fh.read(raw, 0, raw.length, start);
      if (bytesRead !== raw.length) throw new ZipFormatError(`${entry.name}: the file ends inside the entry`);
      // maxOutputLength: a deflate stream that claims a small size cannot inflate into a large one.
      let bytes = raw;
      if (entry.method === 8) {
        try {
          bytes = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
        } catch (e) {
          throw new ZipFormatError(`${entry.name}: bad deflate data (${(e as Error).message})`);
        }
      }
      verify(entry, bytes.length, crc32(bytes));
      return bytes;
    }
    const parts: Buffer[] = [];
    let n = 0;
    for await (const chunk of await this.openEntry(entry)) {
      n += (chunk as Buffer).length;
      if (n > maxBytes) throw new ZipFormatError(`${entry.name}: over the ${maxBytes} byte limit`);
      parts.push(chunk as Buffer);
    }
    return Buffer.concat(parts, n);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Counts and checksums the inflated bytes; fails at the end when they are not what the directory says. */
class Check extends Transform {
  private crc = 0;
  private n = 0;
  constructor(private readonly entry: ZipEntry) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.n += chunk.length;
    if (this.n > this.entry.size) return done(new ZipFormatError(`${this.entry.name}: more bytes than the ${this.entry.size} the directory says`));
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    try {
      verify(this.entry, this.n, this.crc);
      done();
    } catch (e) {
      done(e as Error);
    }
  }
}

function verify(entry: ZipEntry, n: number, crc: number): void {
  if (n !== entry.size) throw new ZipFormatError(`${entry.name}: ${n} bytes, the directory says ${entry.size}`);
  if (crc >>> 0 !== entry.crc32 >>> 0) throw new ZipFormatError(`${entry.name}: CRC-32 mismatch`);
}

/** An open archive with its whole entry list (metadata only: about 150 bytes an entry). */
export interface OpenZip {
  readonly entries: readonly ZipEntry[];
  read(entry: ZipEntry, maxBytes?: number): Promise<Buffer>;
  stream(entry: ZipEntry): Promise<Readable>;
  close(): Promise<void>;
}

/** Opens an archive and lists its entries (directories left out); read them one at a time, then close. */
export async function openZip(path: string): Promise<OpenZip> {
  const zip = await ZipReader.open(path);
  try {
    const entries: ZipEntry[] = [];
    for await (const e of zip.entries()) if (!e.isDirectory) entries.push(e);
    return { entries, read: (e, maxBytes) => zip.read(e, maxBytes), stream: (e) => zip.openEntry(e), close: () => zip.close() };
  } catch (e) {
    await zip.close();
    throw e;
  }
}

/** Every file entry of an archive with a way to read it, one at a time; the file is closed at the end. */
export async function* zipEntries(path: string): AsyncGenerator<ZipEntry & { read(maxBytes?: number): Promise<Buffer>; stream(): Promise<Readable> }> {
  const zip = await ZipReader.open(path);
  try {
    for await (const e of zip.entries()) {
      if (e.isDirectory) continue;
      yield { ...e, read: (maxBytes?: number) => zip.read(e, maxBytes), stream: () => zip.openEntry(e) };
    }
  } finally {
    await zip.close();
  }
}
