// The filesystem storage driver: objects are plain files under one root folder
// (DESIGN.md, Where truth lives). Whole objects are written to a temp file in the staging folder
// (on the same filesystem), fsynced, then renamed into place, so a reader never sees a partial
// object, and leftovers of writes that never finished are found without walking the store.
// Files are 0600 and folders 0700 whatever the umask: blobs of private projects are private. Appends write with
// large positioned writes (writev of coalesced chunks, one write in flight while the next batch
// fills), so memory stays flat and hashing in onChunk overlaps the disk I/O.
import { Reclaimer } from '../core/reclaim.ts';
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { constants as fsc } from 'node:fs';
import { mkdir, open, opendir, rename, rm, lstat, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import {
  assertValidPath,
  type ByteSource,
  StorageNotFoundError,
  StorageOffsetError,
  StoragePathError,
  type ByteRange,
  type ObjectInfo,
  type PositionalReader,
  type StagedObject,
  type StorageDriver,
} from './driver.ts';

export { StorageOffsetError } from './driver.ts';

/** Temp names: list() skips them and no driver path may use the prefix. */
const TEMP_PREFIX = '.tmp-';
/** The folder (under the root) where whole objects are written before their rename into place. */
const STAGING = `${TEMP_PREFIX}staging`;
/** Owner-only, whatever the umask (umask can only take bits away from these). */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** Bytes gathered before one positioned writev. */
const WRITE_BATCH = 4 * 1024 * 1024;
/** Buffers gathered before one writev, whatever their size (IOV_MAX is 1024 on Linux). */
const WRITE_BATCH_BUFFERS = 512;
const READ_HIGH_WATER_MARK = 1024 * 1024;
/**
 * While a large object streams in, start writing it back to disk every this many bytes (an
 * fdatasync in the background, one at a time). The kernel would otherwise hold the whole blob
 * dirty in the page cache until the commit's fsync, so receiving and disk writing would add up
 * instead of overlapping.
 */
const WRITEBACK_EVERY = 32 * 1024 * 1024;

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('storage: a source must yield bytes (Buffer, Uint8Array or string)');
}

/** Writes every byte of bufs at position, looping over partial writes. */
async function writeAllAt(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let rest = bufs;
  let pos = position;
  while (rest.length > 0) {
    const { bytesWritten } = rest.length === 1
      ? await fh.write(rest[0]!, 0, rest[0]!.length, pos)
      : await fh.writev(rest, pos);
    pos += bytesWritten;
    let skip = bytesWritten;
    let i = 0;
    while (i < rest.length && skip >= rest[i]!.length) skip -= rest[i++]!.length;
    rest = rest.slice(i);
    if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  }
}

/**
 * Streams source into fh starting at position, in one pass: each chunk goes to onChunk as it is
 * taken, then into a batch; a full batch is written while the next one fills (at most one write
 * in flight, so memory is bounded by about two batches). Returns the bytes written. Iterating
 * with for-await pulls from the source only as fast as the writes drain (backpressure), and a
 * source that errors or is destroyed before its end makes the loop throw.
 */
async function writeSource(
  fh: FileHandle,
  source: ByteSource | Uint8Array,
  position: number,
  onChunk?: (chunk: Buffer) => void,
): Promise<number> {
  if (source instanceof Uint8Array) {
    const buf = toBuffer(source);
    if (buf.length > 0) {
      onChunk?.(buf);
      await writeAllAt(fh, [buf], position);
    }
    return buf.length;
  }
  const reclaim = new Reclaimer();
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let next = position;
  let inFlight: Promise<void> | undefined;
  let writeback: Promise<void> | undefined;
  let unsynced = 0;
  const flush = async (): Promise<void> => {
    if (inFlight) await inFlight;
    unsynced += batchBytes;
    if (unsynced >= WRITEBACK_EVERY && !writeback) {
      unsynced = 0;
      // Best effort: durability comes from the fsync at commit; this only spreads the work.
      writeback = fh.datasync().catch(() => undefined).finally(() => { writeback = undefined; });
    }
    const bufs = batch;
    const at = next;
    next += batchBytes;
    batch = [];
    batchBytes = 0;
    inFlight = writeAllAt(fh, bufs, at);
    // Observed here so a failure while we wait on the source is not an unhandled rejection;
    // it is rethrown when the write is awaited.
    inFlight.catch(() => undefined);
  };
  try {
    for await (const chunk of source) {
      const buf = toBuffer(chunk);
      if (buf.length === 0) continue;
      reclaim.add(buf.length);
      onChunk?.(buf);
      batch.push(buf);
      batchBytes += buf.length;
      if (batchBytes >= WRITE_BATCH || batch.length >= WRITE_BATCH_BUFFERS) await flush();
    }
    if (batchBytes > 0) await flush();
  } finally {
    // Never leave a write (or writeback) running behind the caller's cleanup (truncate, close, unlink).
    if (inFlight) await inFlight.catch(() => undefined);
    if (writeback) await writeback;
  }
  if (inFlight) await inFlight;
  return next - position;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Folders known to exist with a durable entry in their parent; bounded, cleared when full. */
const MAX_KNOWN_DIRS = 4096;
/** Folder handles kept open for fsync (see DirSyncer). */
const MAX_DIR_HANDLES = 1024;

/**
 * Group commit of folder fsyncs: a caller that renamed into `dir` needs an fsync of `dir` that
 * starts after its rename. While one runs, later callers share the next one, so N renames into
 * one folder during an fsync cost two fsyncs, not N.
 */
class DirSyncer {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();
  /**
   * Open handles of folders synced before (blobs/<alg>/<xx>: a few hundred), so a commit's folder
   * fsync is one call instead of open, fsync and close. An fsync through a handle opened before
   * the rename covers it: it syncs the folder as it is now. Folders removed through the driver
   * drop their handles (forget); past the bound, folders are opened per sync as before.
   */
  private readonly handles = new Map<string, Promise<FileHandle>>();

  sync(dir: string): Promise<void> {
    const queued = this.queued.get(dir);
    if (queued) return queued;
    const current = this.running.get(dir);
    if (!current) return this.start(dir);
    const next = current.catch(() => undefined).then(() => {
      this.queued.delete(dir);
      return this.start(dir);
    });
    this.queued.set(dir, next);
    return next;
  }

  /** Closes the cached handles of `dir` and the folders under it (it is being removed). */
  async forget(dir: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [d, h] of this.handles) {
      if (d !== dir && !d.startsWith(dir + sep)) continue;
      this.handles.delete(d);
      closing.push(h.then((fh) => fh.close(), () => undefined).catch(() => undefined));
    }
    await Promise.all(closing);
  }

  async close(): Promise<void> {
    const rest = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(rest.map((h) => h.then((fh) => fh.close(), () => undefined).catch(() => undefined)));
  }

  private async syncOnce(dir: string): Promise<void> {
    let h = this.handles.get(dir);
    if (!h) {
      if (this.handles.size >= MAX_DIR_HANDLES) return fsyncDir(dir);
      h = open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
      this.handles.set(dir, h);
      const opened = h;
      opened.catch(() => {
        if (this.handles.get(dir) === opened) this.handles.delete(dir);
      });
    }
    await (await h).sync();
  }

  private start(dir: string): Promise<void> {
    const p = this.syncOnce(dir).finally(() => {
      if (this.running.get(dir) === p) this.running.delete(dir);
    });
    this.running.set(dir, p);
    return p;
  }
}

export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly root: string;
  private readonly knownDirs = new Set<string>();
  private readonly pendingDirs = new Map<string, Promise<void>>();
  private readonly dirSyncer = new DirSyncer();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Validates a driver path and maps it to a file path strictly under root. */
  private resolvePath(path: string): string {
    assertValidPath(path);
    const segments = path.split('/').filter((s) => s !== '');
    if (segments.some((s) => s.startsWith(TEMP_PREFIX))) throw new StoragePathError(path);
    const full = join(this.root, ...segments);
    if (!full.startsWith(this.root + sep)) throw new StoragePathError(path);
    return full;
  }

  /** An object path: valid, and naming a file rather than a folder (no trailing '/'). */
  private objectPath(path: string): string {
    const full = this.resolvePath(path);
    if (path.endsWith('/')) throw new StoragePathError(path);
    return full;
  }

  private tempPath(): string {
    return join(this.root, STAGING, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
  }

  /**
   * Makes sure `dir` exists and that its entry (and those of any parents it had to create) is
   * durable, so a file renamed into it and fsynced with the folder survives a crash. Folders
   * seen before cost nothing (blobs/<alg>/<xx> are reused by every push).
   */
  private ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return Promise.resolve();
    // Concurrent callers share one attempt: none may go on before the new entries are durable.
    let pending = this.pendingDirs.get(dir);
    if (!pending) {
      pending = this.createDir(dir).finally(() => this.pendingDirs.delete(dir));
      this.pendingDirs.set(dir, pending);
    }
    return pending;
  }

  private async createDir(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true, mode: DIR_MODE });
    if (first !== undefined) {
      // mkdir created `first` and everything below it down to `dir`: sync each new entry's parent.
      const parents: string[] = [];
      for (let d = dir; d.length >= first.length && d !== dirname(d); d = dirname(d)) parents.push(dirname(d));
      for (const p of parents) await this.dirSyncer.sync(p);
    }
    if (this.knownDirs.size >= MAX_KNOWN_DIRS) this.knownDirs.clear();
    this.knownDirs.add(dir);
  }

  /**
   * Opens a new temp file in the staging folder, and makes sure the target's folder exists (so
   * the commit is one rename); a folder that vanished since it was cached is recreated once.
   */
  private async openTemp(full: string): Promise<{ temp: string; fh: FileHandle }> {
    const dir = dirname(full);
    const staging = join(this.root, STAGING);
    await Promise.all([this.ensureDir(dir), this.ensureDir(staging)]);
    const temp = this.tempPath();
    try {
      return { temp, fh: await open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, FILE_MODE) };
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.knownDirs.delete(staging);
      await this.ensureDir(staging);
      return { temp, fh: await open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, FILE_MODE) };
    }
  }

  async stat(path: string): Promise<ObjectInfo | undefined> {
    const full = this.objectPath(path);
    try {
      const st = await stat(full);
      if (!st.isFile()) return undefined;
      return { size: st.size, modified: st.mtime };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async read(path: string, range?: ByteRange): Promise<Readable> {
    const full = this.objectPath(path);
    if (range) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new RangeError(`storage: invalid range ${start}-${end}`);
      }
    }
    let fh: FileHandle;
    try {
      fh = await open(full, 'r');
    } catch (err) {
      if (isMissing(err)) throw new StorageNotFoundError(path);
      throw err;
    }
    try {
      if (!(await fh.stat()).isFile()) throw new StorageNotFoundError(path);
    } catch (err) {
      await fh.close();
      throw err;
    }
    // The stream owns the handle and closes it on end, error or destroy.
    return fh.createReadStream({
      start: range?.start,
      end: range?.end,
      highWaterMark: READ_HIGH_WATER_MARK,
    });
  }

  async openReader(path: string): Promise<PositionalReader> {
    const full = this.objectPath(path);
    let fh: FileHandle;
    try {
      fh = await open(full, 'r');
    } catch (err) {
      if (isMissing(err)) throw new StorageNotFoundError(path);
      throw err;
    }
    let size: number;
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new StorageNotFoundError(path);
      size = st.size;
    } catch (err) {
      await fh.close();
      throw err;
    }
    return {
      size,
      read: async (buf, length, position) => (await fh.read(buf, 0, length, position)).bytesRead,
      close: () => fh.close(),
    };
  }

  async put(path: string, source: ByteSource | Uint8Array): Promise<number> {
    const staged = await this.stage(path, source);
    try {
      await staged.commit();
      return staged.size;
    } finally {
      await staged.discard();
    }
  }

  /**
   * Writes to a temp file in the staging folder (same filesystem, so commit is one rename), with
   * the file handle kept open until commit: the fsync runs on it, with no second open.
   */
  async stage(dest: string, source: ByteSource | Uint8Array, onChunk?: (chunk: Buffer) => void): Promise<StagedObject> {
    const full = this.objectPath(dest);
    const dir = dirname(full);
    const { temp, fh } = await this.openTemp(full);
    let size: number;
    try {
      size = await writeSource(fh, source, 0, onChunk);
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    let open_ = true;
    let taken = false;
    const close = async (): Promise<void> => {
      if (!open_) return;
      open_ = false;
      await fh.close();
    };
    return {
      size,
      commit: async () => {
        if (taken) throw new Error('storage: staged object already taken');
        await fh.sync();
        await close();
        try {
          await rename(temp, full);
        } catch (err) {
          // The target's folder was removed since it was cached: recreate it and retry once.
          if (!isMissing(err)) throw err;
          this.knownDirs.delete(dir);
          await this.ensureDir(dir);
          await rename(temp, full);
        }
        taken = true;
        await this.dirSyncer.sync(dir);
      },
      discard: async () => {
        await close().catch(() => undefined);
        if (!taken) {
          taken = true;
          await unlink(temp).catch(() => undefined);
        }
      },
    };
  }

  /**
   * Appends with positioned writes, without fsync (commit fsyncs once). onChunk is called as each
   * chunk is taken from the source, just before its bytes are written; when append rejects, what
   * onChunk saw must be discarded, since the object is back at `offset` bytes. On an offset
   * mismatch the source is left unconsumed. A failed append that created the object removes it.
   */
  async append(path: string, source: ByteSource, offset: number, onChunk?: (chunk: Buffer) => void): Promise<number> {
    const full = this.objectPath(path);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`storage: invalid offset ${offset}`);
    let fh: FileHandle;
    let created = false;
    if (offset === 0) {
      await mkdir(dirname(full), { recursive: true, mode: DIR_MODE });
      try {
        fh = await open(full, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, FILE_MODE);
        created = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        fh = await open(full, fsc.O_WRONLY);
      }
    } else {
      try {
        fh = await open(full, fsc.O_WRONLY);
      } catch (err) {
        if (isMissing(err)) throw new StorageOffsetError(path, offset, 0);
        throw err;
      }
    }
    try {
      const size = (await fh.stat()).size;
      if (size !== offset) throw new StorageOffsetError(path, offset, size);
      let written: number;
      try {
        written = await writeSource(fh, source, offset, onChunk);
      } catch (err) {
        if (created) await unlink(full).catch(() => undefined);
        else await fh.truncate(offset).catch(() => undefined);
        throw err;
      }
      return offset + written;
    } finally {
      await fh.close();
    }
  }

  async truncate(path: string, size: number): Promise<void> {
    const full = this.objectPath(path);
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`storage: invalid size ${size}`);
    let fh: FileHandle;
    try {
      fh = await open(full, fsc.O_WRONLY);
    } catch (err) {
      if (isMissing(err)) {
        if (size === 0) return;
        throw new StorageOffsetError(path, size, 0);
      }
      throw err;
    }
    try {
      const actual = (await fh.stat()).size;
      if (actual < size) throw new StorageOffsetError(path, size, actual);
      if (actual > size) await fh.truncate(size);
    } finally {
      await fh.close();
    }
  }

  /**
   * Removes temp files of whole-object writes older than `before`: those in the staging folder,
   * and, on the first call of this process, those an older layout left next to their targets
   * (that one walk is the only time the store is walked).
   */
  async purgeStale(before: Date): Promise<number> {
    let removed = await this.purgeTempIn(join(this.root, STAGING), before, false);
    if (!this.legacySwept) {
      this.legacySwept = true;
      removed += await this.purgeTempIn(this.root, before, true);
    }
    return removed;
  }

  private legacySwept = false;

  private async purgeTempIn(dir: string, before: Date, recurse: boolean): Promise<number> {
    let handle;
    try {
      handle = await opendir(dir, { bufferSize: 128 });
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }
    let removed = 0;
    const subdirs: string[] = [];
    for await (const entry of handle) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recurse && entry.name !== STAGING) subdirs.push(full);
        continue;
      }
      if (!entry.isFile() || !entry.name.startsWith(TEMP_PREFIX)) continue;
      try {
        if ((await lstat(full)).mtime < before) {
          await unlink(full);
          removed++;
        }
      } catch (err) {
        if (!isMissing(err)) throw err; // committed or discarded meanwhile
      }
    }
    for (const d of subdirs) removed += await this.purgeTempIn(d, before, true);
    return removed;
  }

  async commit(src: string, dest: string): Promise<void> {
    const from = this.objectPath(src);
    const to = this.objectPath(dest);
    let fh: FileHandle;
    try {
      fh = await open(from, 'r');
    } catch (err) {
      if (isMissing(err)) throw new StorageNotFoundError(src);
      throw err;
    }
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const dir = dirname(to);
    await this.ensureDir(dir);
    try {
      // rename replaces an existing dest atomically; content addressing makes it the same bytes.
      await rename(from, to);
    } catch (err) {
      if (!isMissing(err)) throw err;
      // src gone, or dest's folder removed since it was cached: recreate it and retry once.
      this.knownDirs.delete(dir);
      await this.ensureDir(dir);
      try {
        await rename(from, to);
      } catch (again) {
        if (isMissing(again)) throw new StorageNotFoundError(src);
        throw again;
      }
    }
    await this.dirSyncer.sync(dir);
  }

  async delete(path: string): Promise<void> {
    const full = this.objectPath(path);
    try {
      await unlink(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A folder is not an object: deleting one by object path deletes nothing.
      if (isMissing(err) || code === 'EISDIR' || code === 'EPERM') return;
      throw err;
    }
  }

  /**
   * Deletes the folder `prefix` names and everything in it ('a/b' and 'a/b/' mean the same
   * folder; 'a/bc' is a sibling and is untouched). A prefix that is not a folder deletes nothing.
   */
  async deletePrefix(prefix: string): Promise<void> {
    const full = this.resolvePath(prefix);
    try {
      if (!(await lstat(full)).isDirectory()) return;
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const d of this.knownDirs) if (d === full || d.startsWith(full + sep)) this.knownDirs.delete(d);
    await this.dirSyncer.forget(full);
    await rm(full, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.dirSyncer.close();
  }

  /**
   * Yields the path of every object in the folder `prefix` names, recursively ('' is the whole
   * store). Like deletePrefix, the prefix is a folder: 'a/b' does not match 'a/bc'.
   */
  async *list(prefix: string): AsyncGenerator<string> {
    let base = '';
    let dir = this.root;
    if (prefix !== '') {
      dir = this.resolvePath(prefix);
      base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    }
    yield* this.walk(dir, base);
  }

  private async *walk(dir: string, base: string): AsyncGenerator<string> {
    let handle;
    try {
      handle = await opendir(dir, { bufferSize: 128 });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    const subdirs: Dirent[] = [];
    for await (const entry of handle) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      if (entry.isDirectory()) subdirs.push(entry);
      else if (entry.isFile()) yield base + entry.name;
    }
    for (const d of subdirs) yield* this.walk(join(dir, d.name), `${base}${d.name}/`);
  }
}
