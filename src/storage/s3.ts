// The S3 storage driver (issue 14): blob bytes in an S3-compatible bucket (AWS, Ceph radosgw,
// MinIO), with the same contract as the filesystem driver (test/contract/).
//
// How the filesystem's semantics map onto S3, which has whole objects only:
// - put and stage are atomic because S3 objects are: a small body is one PutObject; a larger one
//   is a multipart upload on the destination key, invisible until CompleteMultipartUpload.
//   stage() keeps its multipart upload open until commit(), so a staged blob never needs a copy.
// - An object under construction (an upload's data, which grows by append) is a run of segment
//   objects `<path>.~seg/<offset, 16 digits>`, each at most SEGMENT_BYTES. Its size is where the
//   last segment ends; list() shows it under its own path. Any instance can append to it: the
//   state is in the bucket, not in this process.
// - commit(src, dest) assembles the segments into dest with one multipart upload: segments of 5
//   MiB or more are copied inside the server (UploadPartCopy), smaller runs are read and joined
//   into parts (S3's minimum part size is 5 MiB, except for the last part).
// Nothing holds more than one part in memory per write.
import { Reclaimer } from '../core/reclaim.ts';
import { randomUUID } from 'node:crypto';
import { PassThrough, pipeline, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import {
  assertValidPath,
  StorageNotFoundError,
  StorageOffsetError,
  StoragePathError,
  type ByteRange,
  type ByteSource,
  type ObjectInfo,
  type StagedObject,
  type StorageDriver,
} from './driver.ts';

export interface S3DriverOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style URLs (http://host/bucket/key): what radosgw and MinIO on an address need. */
  readonly forcePathStyle: boolean;
  /** A key prefix inside the bucket, e.g. "berth/" (several registries in one bucket). */
  readonly prefix: string;
  /** Create the bucket when it does not exist. */
  readonly createBucket: boolean;
}

const MiB = 1024 * 1024;
/** S3's minimum size for every part but the last. */
const MIN_PART = 5 * MiB;
/** Parts written from memory (put, stage, joined segments), and the largest appended segment. */
const PART_BYTES = 8 * MiB;
const SEGMENT_BYTES = PART_BYTES;
/** Larger objects are copied in parts rather than with one CopyObject (S3 limit: 5 GiB). */
const COPY_MAX = 5 * 1024 * MiB;
const SEGMENTS = '.~seg/';

const notFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

interface Segment { readonly key: string; readonly offset: number; readonly size: number; readonly modified: Date }

export class S3Driver implements StorageDriver {
  readonly name = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: S3DriverOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint || undefined,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: options.accessKeyId ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
      // Flexible checksums make streamed uploads need a length radosgw insists on; S3's own
      // checks (Content-MD5 where required) and our digests are enough.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
    this.bucket = options.bucket;
    this.prefix = options.prefix;
  }

  // --------------------------------------------------------------------------------- reading

  async stat(path: string): Promise<ObjectInfo | undefined> {
    this.check(path);
    await this.init();
    const whole = await this.head(path);
    if (whole) return whole;
    const segments = await this.segments(path);
    const last = segments.at(-1);
    if (!last) return undefined;
    return { size: last.offset + last.size, modified: new Date(Math.max(...segments.map((s) => s.modified.getTime()))) };
  }

  async read(path: string, range?: ByteRange): Promise<Readable> {
    this.check(path);
    await this.init();
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(path), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }));
      return readAhead(res.Body as Readable);
    } catch (error) {
      if (!notFound(error)) throw error;
    }
    const segments = await this.segments(path);
    if (!segments.length) throw new StorageNotFoundError(path);
    return Readable.from(this.readSegments(segments, range), { objectMode: false });
  }

  private async *readSegments(segments: readonly Segment[], range?: ByteRange): AsyncGenerator<Buffer> {
    const start = range?.start ?? 0;
    const end = range?.end ?? Number.MAX_SAFE_INTEGER;
    for (const s of segments) {
      const from = Math.max(start, s.offset);
      const to = Math.min(end, s.offset + s.size - 1);
      if (from > to) continue;
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: s.key, Range: `bytes=${from - s.offset}-${to - s.offset}` }));
      for await (const chunk of res.Body as Readable) yield chunk as Buffer;
    }
  }

  // --------------------------------------------------------------------------------- whole writes

  async put(path: string, source: ByteSource | Uint8Array): Promise<number> {
    this.check(path);
    await this.init();
    const staged = await this.stage(path, source);
    await staged.commit();
    return staged.size;
  }

  async stage(dest: string, source: ByteSource | Uint8Array, onChunk?: (chunk: Buffer) => void): Promise<StagedObject> {
    this.check(dest);
    await this.init();
    const key = this.key(dest);
    const parts = new PartWriter(this.client, this.bucket, key);
    let size = 0;
    const reclaim = new Reclaimer();
    try {
      for await (const raw of source instanceof Uint8Array ? [source] : source) {
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        reclaim.add(chunk.length);
        onChunk?.(chunk);
        size += chunk.length;
        await parts.write(chunk);
      }
    } catch (error) {
      await parts.abort();
      throw error;
    }
    let done = false;
    return {
      size,
      commit: async () => {
        if (done) throw new Error(`storage: ${dest} was already committed or discarded`);
        done = true;
        await parts.complete();
      },
      discard: async () => {
        if (done) return;
        done = true;
        await parts.abort();
      },
    };
  }

  // --------------------------------------------------------------------------------- appends

  async append(path: string, source: ByteSource, offset: number, onChunk?: (chunk: Buffer) => void): Promise<number> {
    this.check(path);
    await this.init();
    const segments = await this.segments(path);
    const current = segments.length ? segments.at(-1)!.offset + segments.at(-1)!.size : 0;
    if (offset !== current) throw new StorageOffsetError(path, offset, current);
    let at = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const writes = new InFlight();
    const flush = async () => {
      if (!pendingBytes) return;
      const body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const key = this.segmentKey(path, at);
      at += body.length;
      await writes.add(this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length })));
    };
    const reclaim = new Reclaimer();
    try {
      for await (const raw of source) {
        let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        reclaim.add(chunk.length);
        onChunk?.(chunk);
        while (chunk.length) {
          const room = SEGMENT_BYTES - pendingBytes;
          const piece = Buffer.from(chunk.length > room ? chunk.subarray(0, room) : chunk);
          pending.push(piece);
          pendingBytes += piece.length;
          chunk = chunk.subarray(piece.length);
          if (pendingBytes === SEGMENT_BYTES) await flush();
        }
      }
      await flush();
      await writes.drain();
      return at;
    } catch (error) {
      // All or nothing: the segments this append wrote go, and the object is `offset` bytes again.
      await writes.settle();
      await this.dropSegmentsFrom(path, offset).catch(() => {});
      throw error;
    }
  }

  async truncate(path: string, size: number): Promise<void> {
    this.check(path);
    await this.init();
    const segments = await this.segments(path);
    const current = segments.length ? segments.at(-1)!.offset + segments.at(-1)!.size : 0;
    if (size > current) throw new StorageOffsetError(path, size, current);
    for (const s of segments) {
      if (s.offset >= size) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: s.key }));
      } else if (s.offset + s.size > size) {
        // The segment across the cut keeps its first bytes (at most one segment, in memory).
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: s.key, Range: `bytes=0-${size - s.offset - 1}` }));
        const body = Buffer.from(await res.Body!.transformToByteArray());
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: s.key, Body: body, ContentLength: body.length }));
      }
    }
  }

  async commit(src: string, dest: string): Promise<void> {
    this.check(src);
    this.check(dest);
    await this.init();
    const segments = await this.segments(src);
    if (!segments.length) {
      // A whole object (put) moves with a copy.
      const whole = await this.head(src);
      if (!whole) throw new StorageNotFoundError(src);
      await this.copyWhole(this.key(src), whole.size, this.key(dest));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(src) }));
      return;
    }
    const parts = new PartWriter(this.client, this.bucket, this.key(dest));
    try {
      for (const s of segments) {
        // Big segments are copied inside the server; small ones are joined in memory.
        if (s.size >= MIN_PART && parts.buffered === 0) await parts.copy(s.key, s.size);
        else {
          const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: s.key }));
          for await (const chunk of res.Body as Readable) await parts.write(chunk as Buffer);
        }
      }
      await parts.complete();
    } catch (error) {
      await parts.abort();
      throw error;
    }
    await this.deleteKeys(segments.map((s) => s.key));
  }

  // --------------------------------------------------------------------------------- deletes, lists

  async delete(path: string): Promise<void> {
    this.check(path);
    await this.init();
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
    const segments = await this.segments(path);
    if (segments.length) await this.deleteKeys(segments.map((s) => s.key));
  }

  async deletePrefix(prefix: string): Promise<void> {
    this.check(prefix);
    await this.init();
    const folder = this.key(prefix.endsWith('/') ? prefix : `${prefix}/`);
    let batch: string[] = [];
    for await (const key of this.keys(folder)) {
      batch.push(key);
      if (batch.length === 1000) { await this.deleteKeys(batch); batch = []; }
    }
    if (batch.length) await this.deleteKeys(batch);
    // Multipart uploads in progress under it (a stage nobody committed) go too.
    for await (const u of this.multipartUploads(folder)) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.key, UploadId: u.id })).catch(() => {});
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    if (prefix !== '') this.check(prefix);
    await this.init();
    const folder = prefix === '' ? this.prefix : this.key(prefix.endsWith('/') ? prefix : `${prefix}/`);
    let last: string | undefined;
    for await (const key of this.keys(folder)) {
      const path = this.logicalPath(key.slice(this.prefix.length));
      if (path === last) continue;
      last = path;
      yield path;
    }
  }

  async purgeStale(before: Date): Promise<number> {
    await this.init();
    let removed = 0;
    for await (const u of this.multipartUploads(this.prefix)) {
      if (u.initiated >= before) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.key, UploadId: u.id })).catch(() => {});
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  // --------------------------------------------------------------------------------- helpers

  /** Makes sure the bucket exists, once per driver. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      } catch (error) {
        if (!notFound(error) || !this.options.createBucket) {
          this.ready = undefined;
          throw new Error(`storage.s3: bucket ${this.bucket} at ${this.options.endpoint || 'AWS'} is not reachable: ${(error as Error).name ?? ''} ${(error as Error).message}${notFound(error) ? ' (create it, or set storage.s3.createBucket: true)' : ''}`);
        }
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket })).catch((e: unknown) => {
          if ((e as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw e;
        });
      }
    })();
    return this.ready;
  }

  private check(path: string): void {
    assertValidPath(path);
    if (path.includes(SEGMENTS) || path.endsWith(SEGMENTS.slice(0, -1))) throw new StoragePathError(path);
  }

  private key(path: string): string {
    return `${this.prefix}${path}`;
  }

  private segmentKey(path: string, offset: number): string {
    return `${this.key(path)}${SEGMENTS}${String(offset).padStart(16, '0')}`;
  }

  /** A key's driver path: a segment's is the path of the object it belongs to. */
  private logicalPath(relative: string): string {
    const i = relative.lastIndexOf(SEGMENTS);
    return i >= 0 && /^\d{16}$/.test(relative.slice(i + SEGMENTS.length)) ? relative.slice(0, i) : relative;
  }

  private async head(path: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      return { size: res.ContentLength ?? 0, modified: res.LastModified ?? new Date(0) };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  }

  /** The segments of an object under construction, in order. */
  private async segments(path: string): Promise<Segment[]> {
    const folder = `${this.key(path)}${SEGMENTS}`;
    const out: Segment[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folder, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of res.Contents ?? []) {
        const offset = Number(o.Key!.slice(folder.length));
        if (Number.isSafeInteger(offset)) out.push({ key: o.Key!, offset, size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => a.offset - b.offset);
  }

  private async dropSegmentsFrom(path: string, offset: number): Promise<void> {
    const doomed = (await this.segments(path)).filter((s) => s.offset >= offset);
    if (doomed.length) await this.deleteKeys(doomed.map((s) => s.key));
  }

  private async *keys(prefix: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of res.Contents ?? []) if (o.Key) yield o.Key;
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  private async *multipartUploads(prefix: string): AsyncGenerator<{ key: string; id: string; initiated: Date }> {
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const res = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: idMarker } : {}) }));
      for (const u of res.Uploads ?? []) if (u.Key && u.UploadId) yield { key: u.Key, id: u.UploadId, initiated: u.Initiated ?? new Date(0) };
      if (!res.IsTruncated) return;
      keyMarker = res.NextKeyMarker;
      idMarker = res.NextUploadIdMarker;
    }
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length) throw new Error(`storage.s3: could not delete ${failed.length} objects, e.g. ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`);
    }
  }

  private async copyWhole(from: string, size: number, to: string): Promise<void> {
    if (size <= COPY_MAX) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: copySource(this.bucket, from) }));
      return;
    }
    const parts = new PartWriter(this.client, this.bucket, to);
    try {
      await parts.copy(from, size);
      await parts.complete();
    } catch (error) {
      await parts.abort();
      throw error;
    }
  }
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Writes one object in parts: bytes are gathered into PART_BYTES parts; an object that ends
 * within its first part is written with one PutObject at complete(), so small objects cost one
 * request. Nothing is visible at the key before complete().
 */
class PartWriter {
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private partCount = 0;
  /** Parts being sent: a couple at once, so the next part fills while the last one travels. */
  private readonly writes = new InFlight();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private finished = false;
  private readonly tag = randomUUID();

  constructor(private readonly client: S3Client, private readonly bucket: string, private readonly key: string) {}

  get buffered(): number {
    return this.pendingBytes;
  }

  async write(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length) {
      const room = PART_BYTES - this.pendingBytes;
      // A copy: a source may reuse its buffers once the chunk is handed over.
      const piece = Buffer.from(rest.length > room ? rest.subarray(0, room) : rest);
      this.pending.push(piece);
      this.pendingBytes += piece.length;
      rest = rest.subarray(piece.length);
      if (this.pendingBytes === PART_BYTES) await this.flushPart();
    }
  }

  /** Appends a whole other object (at least MIN_PART unless it is the last) by server-side copy. */
  async copy(sourceKey: string, size: number): Promise<void> {
    if (this.pendingBytes) await this.flushPart();
    const id = await this.start();
    // Parts of at most 5 GiB each (S3's limit for one part).
    for (let from = 0; from < size; from += COPY_MAX) {
      const to = Math.min(size, from + COPY_MAX) - 1;
      const PartNumber = ++this.partCount;
      await this.writes.add(this.client.send(new UploadPartCopyCommand({ Bucket: this.bucket, Key: this.key, UploadId: id, PartNumber, CopySource: copySource(this.bucket, sourceKey), CopySourceRange: `bytes=${from}-${to}` }))
        .then((res) => { this.parts.push({ PartNumber, ETag: res.CopyPartResult?.ETag }); }));
    }
  }

  async complete(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (!this.uploadId) {
      const body = Buffer.concat(this.pending, this.pendingBytes);
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: body, ContentLength: body.length }));
      return;
    }
    if (this.pendingBytes) await this.flushPart();
    await this.writes.drain();
    const parts = [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!);
    await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: parts } }));
  }

  async abort(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    await this.writes.settle();
    if (this.finished) return;
    this.finished = true;
    if (this.uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId })).catch(() => {});
  }

  private async start(): Promise<string> {
    if (!this.uploadId) {
      const res = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, Metadata: { 'berth-write': this.tag } }));
      this.uploadId = res.UploadId!;
    }
    return this.uploadId;
  }

  private async flushPart(): Promise<void> {
    const id = await this.start();
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const PartNumber = ++this.partCount;
    await this.writes.add(this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: id, PartNumber, Body: body, ContentLength: body.length }))
      .then((res) => { this.parts.push({ PartNumber, ETag: res.ETag }); }));
  }
}

/**
 * Requests in flight, at most MAX_IN_FLIGHT: add() waits while that many are out, so memory
 * stays at a few parts per write. The first failure is rethrown by add() or drain().
 */
const MAX_IN_FLIGHT = 2;
class InFlight {
  private readonly running = new Set<Promise<unknown>>();
  private failure: { error: unknown } | undefined;

  async add(request: Promise<unknown>): Promise<void> {
    const tracked = request.then(
      () => { this.running.delete(tracked); },
      (error: unknown) => { this.running.delete(tracked); this.failure ??= { error }; },
    );
    this.running.add(tracked);
    while (this.running.size >= MAX_IN_FLIGHT) await Promise.race(this.running);
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every request; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every request, whatever happened (before cleaning up after a failure). */
  async settle(): Promise<void> {
    await Promise.all(this.running);
  }
}

/**
 * Bytes buffered between S3 and the client. The SDK's body is a socket stream with a 16 KiB
 * buffer: piped straight to a client socket, each side waits on the other's drain, and a pull ran
 * at half of what one GetObject reads alone. With this much read ahead, S3 keeps sending while
 * the client drains.
 */
const READ_AHEAD = 1024 * 1024;

function readAhead(body: Readable): Readable {
  const out = new PassThrough({ highWaterMark: READ_AHEAD });
  // An error on either side destroys both: the client sees the transfer fail, never a short body.
  pipeline(body, out, () => {});
  return out;
}
