// The storage driver: where blob bytes live (DESIGN.md, Where truth lives).
// Small capability interfaces, composed into StorageDriver, so that wrappers (metrics, caching)
// and future drivers (S3) implement exactly what they need. Paths are relative, '/'-separated,
// and are built only by storage/paths.ts.
import type { Readable } from 'node:stream';

/**
 * Bytes to write: any async iterable of chunks (a Readable, a request body, a generator). Drivers
 * only iterate it: they never attach listeners of their own, so a source that fails before the
 * driver starts reading cannot raise an 'error' event nobody listens to.
 */
export type ByteSource = AsyncIterable<Uint8Array>;

export interface ObjectInfo {
  /** Size in bytes. */
  readonly size: number;
  readonly modified: Date;
}

/** Inclusive byte range, as in HTTP Range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface StatCapable {
  /** Returns undefined when nothing is stored at path. */
  stat(path: string): Promise<ObjectInfo | undefined>;
}

export interface ReadCapable {
  /** Streams the object (or a range of it). Throws StorageNotFoundError when absent. */
  read(path: string, range?: ByteRange): Promise<Readable>;
}

/** An open object read at positions into the caller's buffers (so the caller can reuse them). */
export interface PositionalReader {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into buf; resolves to the bytes read (0 at the end). */
  read(buf: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface PositionalReadCapable {
  /** Opens the object for positioned reads. Throws StorageNotFoundError when absent. */
  openReader(path: string): Promise<PositionalReader>;
}

export interface WriteCapable {
  /**
   * Writes a whole object atomically: readers see the old object or the whole new one, never a
   * part. The bytes are durable (fsync) before the call resolves. Returns the bytes written.
   */
  put(path: string, source: ByteSource | Uint8Array): Promise<number>;
}

export interface AppendCapable {
  /**
   * Appends source to an object under construction (an upload's data). `offset` must equal the
   * object's current size (0 creates it). All or nothing: if the source fails or ends early, the
   * object is restored to `offset` bytes and the error is rethrown. Returns the new size.
   * `onChunk` sees every chunk that is written, in order, in the same pass (used for hashing).
   */
  append(path: string, source: ByteSource, offset: number, onChunk?: (chunk: Buffer) => void): Promise<number>;
  /**
   * Cuts an object under construction back to its first `size` bytes (bytes an append wrote but
   * whose offset was never recorded, e.g. when the process was killed mid-chunk). Throws
   * StorageOffsetError-like EOFFSET (with `actual`) when the object is shorter than `size`;
   * a missing object counts as 0 bytes.
   */
  truncate(path: string, size: number): Promise<void>;
  /**
   * Makes an appended object durable and moves it to `dest` atomically. If `dest` already exists
   * (the same content pushed concurrently) the result is the same object; `src` is gone either way.
   */
  commit(src: string, dest: string): Promise<void>;
}

/** Bytes written by stage(): private until committed or discarded. */
export interface StagedObject {
  /** Bytes written. */
  readonly size: number;
  /**
   * Makes the bytes durable and moves them to the destination given to stage(), atomically; the
   * new name is durable too when this resolves. An existing destination is replaced (content
   * addressing makes it the same bytes).
   */
  commit(): Promise<void>;
  /** Removes the bytes unless commit took them; always safe to call, and idempotent. */
  discard(): Promise<void>;
}

export interface StageCapable {
  /**
   * Writes a whole object privately, in one pass: `onChunk` sees every chunk as it is written
   * (used for hashing, so the caller can check a digest before anything is visible). Nothing is
   * visible under `dest` until commit(). A source that fails or ends early leaves nothing behind
   * and the error is rethrown. The caller must end with commit() or discard().
   */
  stage(dest: string, source: ByteSource | Uint8Array, onChunk?: (chunk: Buffer) => void): Promise<StagedObject>;
}

export interface PurgeCapable {
  /**
   * Removes the driver's private leftovers (temp objects of writes that never finished, e.g. after
   * a crash) last written before `before`. Writes in progress are newer and stay. Returns how
   * many were removed. Never touches committed objects.
   */
  purgeStale(before: Date): Promise<number>;
}

export interface DeleteCapable {
  /** Deletes one object; deleting a missing object is not an error. */
  delete(path: string): Promise<void>;
  /** Deletes every object under prefix (a folder such as uploads/<id>/). */
  deletePrefix(prefix: string): Promise<void>;
}

export interface ListCapable {
  /** Lists the object paths under prefix, recursively, in no particular order. */
  list(prefix: string): AsyncIterable<string>;
}

export interface StorageDriver
  extends StatCapable, ReadCapable, WriteCapable, AppendCapable, StageCapable, DeleteCapable, ListCapable, PurgeCapable {
  /** A short name for logs and metrics, e.g. "filesystem". */
  readonly name: string;
  /** Optional: drivers with cheap positioned reads (a local file) offer them for large pulls. */
  openReader?: PositionalReadCapable['openReader'];
  close?(): Promise<void>;
}

/**
 * Thrown by append when `offset` is not the object's current size (a chunk out of order, or a
 * retry of a chunk that already landed). `actual` is the current size, which the upload route
 * reports back as the Range the client should resume from.
 */
export class StorageOffsetError extends Error {
  readonly code = 'EOFFSET';
  readonly path: string;
  readonly expected: number;
  readonly actual: number;
  constructor(path: string, expected: number, actual: number) {
    super(`storage: append to ${path} at offset ${expected}, but its size is ${actual}`);
    this.name = 'StorageOffsetError';
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }
}

export class StorageNotFoundError extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`storage: nothing at ${path}`);
    this.name = 'StorageNotFoundError';
    this.path = path;
  }
}

/** Thrown for a path that is absolute, empty, or tries to leave the driver's root. */
export class StoragePathError extends Error {
  constructor(path: string) {
    super(`storage: invalid path ${JSON.stringify(path)}`);
    this.name = 'StoragePathError';
  }
}

/** Checks a driver path: relative, '/'-separated, no empty, '.' or '..' segments. */
export function assertValidPath(path: string): void {
  if (path.length === 0 || path.length > 1024 || path.startsWith('/') || path.includes('\\') || path.includes('\0')) {
    throw new StoragePathError(path);
  }
  const segments = path.endsWith('/') ? path.slice(0, -1).split('/') : path.split('/');
  for (const s of segments) if (s === '' || s === '.' || s === '..') throw new StoragePathError(path);
}
