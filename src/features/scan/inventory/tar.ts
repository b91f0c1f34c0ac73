// A streaming tar reader (POSIX ustar and pax, GNU long names) over an async iterable of chunks.
// Pure: no I/O of its own. It pulls from the source only when the consumer asks for more, so
// backpressure is the consumer's pace, and an entry's data is either handed to the consumer
// (bounded by a maximum the consumer gives) or discarded as it streams past: nothing is buffered
// beyond the chunk in hand and one 512-byte header.

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** Relative, '/'-separated, no leading "./" or "/", no "." or ".." segments ("" for the root). */
  readonly path: string;
  readonly type: TarEntryType;
  /** Bytes of data the entry carries (0 for directories, links and devices). */
  readonly size: number;
  /** Permission bits (& 0o7777). */
  readonly mode: number;
  /** Symlink target as written; hardlink target normalised like `path`. */
  readonly linkpath?: string;
}

/** An entry of the archive being read. Use at most one of read(), chunks() or skip(). */
export interface TarEntryReader extends TarEntry {
  /** The whole data, if it is at most `max` bytes; otherwise TarEntryTooLargeError (nothing read). */
  read(max: number): Promise<Buffer>;
  /** The data as it streams (views into the source's chunks: copy what you keep). */
  chunks(): AsyncIterable<Buffer>;
  /** Discards the data without buffering it (also done for you when you move to the next entry). */
  skip(): Promise<void>;
}

export type TarErrorCode = 'TAR_TRUNCATED' | 'TAR_MALFORMED';

/** The archive is truncated or malformed; `offset` is where in the tar stream it was noticed. */
export class TarError extends Error {
  readonly code: TarErrorCode;
  readonly offset: number;
  constructor(code: TarErrorCode, message: string, offset: number) {
    super(`tar: ${message} (at byte ${offset})`);
    this.name = 'TarError';
    this.code = code;
    this.offset = offset;
  }
}

export class TarEntryTooLargeError extends Error {
  readonly path: string;
  readonly size: number;
  readonly max: number;
  constructor(path: string, size: number, max: number) {
    super(`tar: entry ${path} has ${size} bytes, more than the ${max} allowed`);
    this.name = 'TarEntryTooLargeError';
    this.path = path;
    this.size = size;
    this.max = max;
  }
}

export interface TarReadOptions {
  /** Largest pax header or GNU long name accepted (they are buffered). Default 1 MiB. */
  readonly maxMetaSize?: number;
}

const BLOCK = 512;
const EMPTY = Buffer.alloc(0);
const ZERO_BLOCK = Buffer.alloc(BLOCK);

/** Normalises an archive path the way the entries report it (".." is clamped at the root). */
export function normalizeTarPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

/** Pulls bytes from the source on demand: views of the chunk in hand, or gathered blocks. */
class Puller {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Buffer = EMPTY;
  private pos = 0;
  private ended = false;
  /** Bytes handed out so far. */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.buf.length) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      const c = r.value;
      this.buf = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      this.pos = 0;
    }
    return true;
  }

  /** Up to n (> 0) bytes, a view of the current chunk; undefined at the end of the source. */
  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill())) return undefined;
    const end = Math.min(this.buf.length, this.pos + n);
    const view = this.buf.subarray(this.pos, end);
    this.pos = end;
    this.offset += view.length;
    return view;
  }

  /** Exactly n bytes; undefined when the source is at its end before the first byte. */
  async exact(n: number, what: string): Promise<Buffer | undefined> {
    if (!(await this.fill())) return undefined;
    if (this.buf.length - this.pos >= n) return (await this.take(n))!;
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const part = await this.take(n - got);
      if (!part) throw new TarError('TAR_TRUNCATED', `archive ends inside ${what}`, this.offset);
      part.copy(out, got);
      got += part.length;
    }
    return out;
  }

  /** Discards n bytes as they stream. */
  async discard(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      const part = await this.take(left);
      if (!part) throw new TarError('TAR_TRUNCATED', `archive ends inside ${what}`, this.offset);
      left -= part.length;
    }
  }

  /** Reads to the end of the source, counting (the padding after the end-of-archive blocks). */
  async drain(): Promise<void> {
    while (await this.take(Number.MAX_SAFE_INTEGER));
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function cstring(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return (nul === -1 ? field : field.subarray(0, nul)).toString('utf8');
}

/** A numeric header field: octal ASCII (NUL/space padded), or GNU base-256 when the high bit is set. */
function numeric(b: Buffer, start: number, len: number, what: string, offset: number): number {
  const field = b.subarray(start, start + len);
  if (field[0]! & 0x80) {
    if (field[0] === 0xff) throw new TarError('TAR_MALFORMED', `negative base-256 ${what}`, offset);
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) {
      v = v * 256 + field[i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw new TarError('TAR_MALFORMED', `${what} too large`, offset);
    }
    return v;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError('TAR_MALFORMED', `bad ${what} field ${JSON.stringify(text)}`, offset);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer, offset: number): boolean {
  const stored = numeric(h, 148, 8, 'checksum', offset);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  // Some old tars summed signed bytes; POSIX says unsigned. Accept either, as GNU tar does.
  return stored === unsigned || stored === signed;
}

/** Parses pax records "<len> <key>=<value>\n", where len counts the whole record. */
function parsePax(data: Buffer, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // NUL padding some writers leave at the end
    const space = data.indexOf(0x20, pos);
    const len = space === -1 ? NaN : Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new TarError('TAR_MALFORMED', 'bad pax extended header record', offset);
    }
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarError('TAR_MALFORMED', 'bad pax extended header record', offset);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** Types that carry no data whatever their size field says (as Go's archive/tar reads them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case '0': case '\0': case '7': return 'file';
    case '5': return 'dir';
    case '2': return 'symlink';
    case '1': return 'hardlink';
    default: return 'other'; // devices, fifos, GNU volume/multivolume/sparse, unknown vendor types
  }
}

/**
 * Reads a tar stream entry by entry. Iterate `entries()` once; `bytesRead` counts the tar bytes
 * consumed (all of them once the iteration has finished).
 */
export class TarReader {
  private readonly src: Puller;
  private readonly maxMeta: number;

  constructor(source: AsyncIterable<Uint8Array>, options: TarReadOptions = {}) {
    this.src = new Puller(source);
    this.maxMeta = options.maxMetaSize ?? 1024 * 1024;
  }

  get bytesRead(): number {
    return this.src.offset;
  }

  async *entries(): AsyncGenerator<TarEntryReader, void, undefined> {
    try {
      yield* this.walk();
    } finally {
      // Stopping early (or failing) releases the source: e.g. kills a decompressor child.
      await this.src.close();
    }
  }

  private async *walk(): AsyncGenerator<TarEntryReader, void, undefined> {
    const src = this.src;
    let pax: Map<string, string> | undefined;
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const at = src.offset;
      const header = await src.exact(BLOCK, 'a header');
      // Like Go's archive/tar, a source that ends on a block boundary ends the archive.
      if (!header) return;
      if (header.equals(ZERO_BLOCK)) {
        const second = await src.exact(BLOCK, 'the end-of-archive marker');
        if (second && !second.equals(ZERO_BLOCK)) throw new TarError('TAR_MALFORMED', 'a zero block followed by data', at);
        if (second) await src.drain();
        return;
      }
      if (!checksumOk(header, at)) throw new TarError('TAR_MALFORMED', 'header checksum mismatch: not a tar archive, or corrupt', at);
      const flag = String.fromCharCode(header[156]!);
      let size = numeric(header, 124, 12, 'size', at);

      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > this.maxMeta) throw new TarError('TAR_MALFORMED', `${flag === 'L' || flag === 'K' ? 'GNU long name' : 'pax header'} of ${size} bytes`, at);
        const data = size ? await src.exact(size, 'an extended header') : EMPTY;
        if (!data) throw new TarError('TAR_TRUNCATED', 'archive ends inside an extended header', src.offset);
        await src.discard((BLOCK - (size % BLOCK)) % BLOCK, 'padding');
        if (flag === 'x') pax = new Map([...(pax ?? []), ...parsePax(data, at)]);
        else if (flag === 'L') longName = cstring(data, 0, data.length);
        else if (flag === 'K') longLink = cstring(data, 0, data.length);
        // 'g' (global pax) records apply to the whole archive; none of the keys we read
        // (path, linkpath, size) is meaningful globally, so they are discarded.
        continue;
      }

      const magic = header.toString('latin1', 257, 263);
      let name = cstring(header, 0, 100);
      // The prefix field exists only in POSIX ustar; GNU headers keep other fields there.
      if (magic === 'ustar\0') {
        const prefix = cstring(header, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      let link = cstring(header, 157, 100);
      let type = typeOf(flag);
      if (longName !== undefined) name = longName;
      if (longLink !== undefined) link = longLink;
      if (pax) {
        if (pax.has('path')) name = pax.get('path')!;
        if (pax.has('linkpath')) link = pax.get('linkpath')!;
        if (pax.has('size')) {
          const s = pax.get('size')!;
          if (!/^\d+$/.test(s) || Number(s) > Number.MAX_SAFE_INTEGER) throw new TarError('TAR_MALFORMED', `bad pax size ${JSON.stringify(s)}`, at);
          size = Number(s);
        }
        // GNU pax sparse formats: the data is a sparse map plus fragments, not the file's bytes.
        if ([...pax.keys()].some((k) => k.startsWith('GNU.sparse.'))) {
          type = 'other';
          if (pax.has('GNU.sparse.name')) name = pax.get('GNU.sparse.name')!;
        }
      }
      pax = undefined;
      longName = undefined;
      longLink = undefined;

      // Old GNU sparse headers may chain extension blocks (isextended flag) before the data.
      if (flag === 'S') {
        let extended = header[482] === 1;
        while (extended) {
          const ext = await src.exact(BLOCK, 'a GNU sparse extension header');
          if (!ext) throw new TarError('TAR_TRUNCATED', 'archive ends inside a GNU sparse extension header', src.offset);
          extended = ext[504] === 1;
        }
      }

      const dataSize = HEADER_ONLY.has(flag) ? 0 : size;
      const entry = new Entry(src, {
        path: normalizeTarPath(name),
        type,
        size: dataSize,
        mode: numeric(header, 100, 8, 'mode', at) & 0o7777,
        ...(type === 'symlink' ? { linkpath: link } : type === 'hardlink' ? { linkpath: normalizeTarPath(link) } : {}),
      });
      yield entry;
      await entry.finish();
    }
  }
}

/** The current entry: its data is src's next `size` bytes, then padding to the block. */
class Entry implements TarEntryReader {
  readonly path: string;
  readonly type: TarEntryType;
  readonly size: number;
  readonly mode: number;
  readonly linkpath?: string;
  private left: number;
  private used = false;
  private finished = false;

  constructor(private readonly src: Puller, e: TarEntry) {
    this.path = e.path;
    this.type = e.type;
    this.size = e.size;
    this.mode = e.mode;
    if (e.linkpath !== undefined) this.linkpath = e.linkpath;
    this.left = e.size;
  }

  private claim(): void {
    if (this.finished) throw new Error(`tar: entry ${this.path} was already passed`);
    if (this.used) throw new Error(`tar: entry ${this.path} was already read`);
    this.used = true;
  }

  async read(max: number): Promise<Buffer> {
    if (this.size > max) throw new TarEntryTooLargeError(this.path, this.size, max);
    this.claim();
    const out = Buffer.allocUnsafe(this.size);
    let got = 0;
    while (this.left > 0) {
      const part = await this.src.take(this.left);
      if (!part) throw new TarError('TAR_TRUNCATED', `archive ends inside the data of ${this.path}`, this.src.offset);
      part.copy(out, got);
      got += part.length;
      this.left -= part.length;
    }
    return out;
  }

  chunks(): AsyncIterable<Buffer> {
    this.claim();
    return this.stream();
  }

  private async *stream(): AsyncGenerator<Buffer, void, undefined> {
    while (this.left > 0) {
      const part = await this.src.take(this.left);
      if (!part) throw new TarError('TAR_TRUNCATED', `archive ends inside the data of ${this.path}`, this.src.offset);
      this.left -= part.length;
      yield part;
    }
  }

  async skip(): Promise<void> {
    this.claim();
    await this.drop();
  }

  private async drop(): Promise<void> {
    const n = this.left;
    this.left = 0;
    await this.src.discard(n, `the data of ${this.path}`);
  }

  /** Moves the source past this entry's remaining data and padding. */
  async finish(): Promise<void> {
    if (this.finished) return;
    await this.drop();
    this.finished = true;
    await this.src.discard((BLOCK - (this.size % BLOCK)) % BLOCK, `the padding of ${this.path}`);
  }
}

/** Convenience: the entries of a tar stream. */
export function readTar(source: AsyncIterable<Uint8Array>, options?: TarReadOptions): AsyncGenerator<TarEntryReader, void, undefined> {
  return new TarReader(source, options).entries();
}
