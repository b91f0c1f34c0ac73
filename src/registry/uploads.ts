// Blob uploads: monolithic, chunked and streamed (distribution-spec "Pushing blobs").
// Bytes go to the storage driver under uploads/<id>/ and are hashed in the same pass; the
// session row (id, repository, offset) is in the DB, so an upload survives a restart. A blob
// becomes visible only after storage.commit() and the rows are written.
//
// The recorded offset is the truth: bytes the data file holds beyond it (a chunk that was being
// written when the process died, or whose offset update lost a race) are cut off before the next
// append and before the commit, so a committed blob is exactly the bytes that were hashed. Every
// request that fails leaves the session as it was.
import { randomBytes } from 'node:crypto';
import { parseDigest, newHash, type DigestAlgorithm, type ParsedDigest } from '../core/digest.ts';
import { RegistryError } from '../core/errors.ts';
import { insertBlob, linkBlob } from '../metadata/blobs.ts';
import { PushGates } from './push-gate.ts';
import { callOffByteDelete, lockDigests, queueReviews, settleByteDelete } from '../metadata/gc-queues.ts';
import { transact } from '../metadata/transactions.ts';
import type { Executor } from '../metadata/executor.ts';
import { advanceUpload, claimUpload, deleteUpload, findUpload, findUploads, insertUpload, releaseUpload, renewUpload, staleUploads, type UploadRow } from '../metadata/uploads.ts';
import { StorageNotFoundError, type ByteSource } from '../storage/driver.ts';
import { blobPath, isValidUploadId, uploadDataPath, uploadIdOf, uploadPrefix, UPLOADS_ROOT } from '../storage/paths.ts';
import { exactLength } from './body-guard.ts';
import type { RequestContext } from './context.ts';
import { DEFAULT_REVIEW_DELAY_MS, DEFAULT_UPLOAD_LEASE_MS, type RegistryDeps } from './deps.ts';
import { PushActivity } from './activity.ts';
import { HashStates } from './hash-states.ts';
import { KeyedLock } from './keyed-lock.ts';
import type { Repositories } from './repositories.ts';

/** How uploads' digests were found, for /metrics (http/upload-metrics.ts). */
export interface UploadDigestStats {
  /** Bytes read back from storage because no running digest covered them. */
  readonly rereadBytes: number;
  /** Appends and closing PUTs that continued a digest saved in the upload row by any instance. */
  readonly continuedFromRow: number;
}

export interface UploadStatus {
  readonly id: string;
  /** Bytes received so far. */
  readonly size: number;
}

/** A Content-Range of a chunk: inclusive byte offsets. */
export interface ChunkRange {
  readonly start: number;
  readonly end: number;
}

export class UploadService {
  /** Uploads streaming in now (background work steps aside while there are some). */
  readonly activity = new PushActivity();
  private rereadBytes = 0;
  /**
   * Names this instance's writer leases on upload rows (see leased()): random until startAs()
   * names the instance stably, so a restart takes over the leases its killed predecessor held.
   */
  private writer = randomBytes(12).toString('base64url');
  private readonly leaseMs: number;
  private readonly lock = new KeyedLock();
  private readonly hashes: HashStates;
  private readonly now: () => number;

  private readonly reviewDelayMs: number;

  constructor(private readonly deps: RegistryDeps, private readonly repos: Repositories, private readonly gates: PushGates = new PushGates()) {
    this.now = deps.now ?? Date.now;
    this.reviewDelayMs = deps.limits.reviewDelayMs ?? DEFAULT_REVIEW_DELAY_MS;
    this.hashes = new HashStates(deps.limits.uploadHashState ?? 'memory');
    this.leaseMs = deps.limits.uploadLeaseMs ?? DEFAULT_UPLOAD_LEASE_MS;
  }

  /** Names this instance (host and port) in its writer leases, as background jobs do. */
  startAs(instance: string): void {
    this.writer = `upload:${instance}`;
  }

  get digestStats(): UploadDigestStats {
    return { rereadBytes: this.rereadBytes, continuedFromRow: this.hashes.resumedFromRow };
  }

  /** Opens an upload session in a repository (created on first write). */
  async start(repository: string): Promise<UploadStatus> {
    const now = this.now();
    if (this.gates.active) await this.gates.check({ repository, stage: 'start', bytes: 0 });
    const repo = await this.repos.ensure(repository, now);
    const id = newUploadId();
    await insertUpload(this.deps.db, id, repo.id, now);
    return { id, size: 0 };
  }

  async status(repository: string, id: string): Promise<UploadStatus> {
    const row = await this.session(repository, id);
    return { id, size: row.size };
  }

  /**
   * Appends one chunk. With a range, it must start at the current offset (else 416) and, when a
   * length is known, cover exactly that many bytes. All or nothing: a chunk that fails midway
   * (client gone, body shorter than Content-Length) leaves the offset where it was.
   */
  async append(repository: string, id: string, source: ByteSource, range?: ChunkRange, contentLength?: number): Promise<UploadStatus> {
    return this.activity.during(() => this.lock.run(id, async () => {
      const row = await this.session(repository, id);
      const body = this.chunkBody(id, repository, row, source, range, contentLength);
      if (this.gates.active) await this.gates.check({ repository, stage: 'chunk', bytes: chunkLength(range, contentLength), uploaded: row.size, uploadId: id });
      return this.leased(repository, row, async () => {
        const size = await this.write(id, row.size, body, 'sha256', row.hash_state);
        if (!(await advanceUpload(this.deps.db, id, row.size, size, this.now(), this.hashes.toRow(id, size), this.writer))) {
          // The bytes just written lie beyond the recorded offset: the next writer cuts them off.
          this.hashes.drop(id);
          throw new RegistryError('BLOB_UPLOAD_INVALID', { id }, { message: 'upload was changed concurrently; check its status and resume' });
        }
        return { id, size };
      });
    }));
  }

  /** Checks a chunk's range against the session (416 when it does not fit) and guards its length. */
  private chunkBody(id: string, repository: string, row: UploadRow, source: ByteSource, range?: ChunkRange, contentLength?: number): ByteSource {
    if (range) {
      if (range.start !== row.size) {
        throw new RegistryError('BLOB_UPLOAD_INVALID', { offset: row.size, start: range.start }, {
          status: 416,
          message: `chunk out of order: the upload has ${row.size} bytes, the chunk starts at ${range.start}`,
          headers: rangeHeaders(id, repository, row.size),
        });
      }
      if (contentLength !== undefined && contentLength !== range.end - range.start + 1) {
        throw new RegistryError('BLOB_UPLOAD_INVALID', { range, contentLength }, {
          status: 416,
          message: 'Content-Range does not match Content-Length',
          headers: rangeHeaders(id, repository, row.size),
        });
      }
    }
    // With a Content-Length equal to the range, the HTTP layer already enforces the length;
    // the guard costs nothing and keeps the rule in one place.
    return range
      ? exactLength(source, range.end - range.start + 1, (received) => new RegistryError('BLOB_UPLOAD_INVALID', { range, received }, {
        status: 416,
        message: `chunk length does not match Content-Range: the range holds ${range.end - range.start + 1} bytes, the body ${received > range.end - range.start + 1 ? 'more' : received}`,
        headers: rangeHeaders(id, repository, row.size),
      }))
      : source;
  }

  /**
   * Finishes an upload: appends an optional last chunk, checks the digest, commits the bytes,
   * and links the blob to the repository. A wrong digest is DIGEST_INVALID and commits nothing.
   */
  async complete(ctx: RequestContext, repository: string, id: string, digest: string, source?: ByteSource, range?: ChunkRange, contentLength?: number): Promise<{ digest: string; size: number }> {
    const expected = parseDigest(digest);
    return this.activity.during(() => this.lock.run(id, async () => {
      const row = await this.session(repository, id);
      let body: ByteSource | undefined;
      if (source) {
        body = this.chunkBody(id, repository, row, source, range, contentLength);
        if (this.gates.active) await this.gates.check({ repository, stage: 'chunk', bytes: chunkLength(range, contentLength), uploaded: row.size, uploadId: id });
        // The common case (docker's POST, then PUT with the whole blob): the session is empty, so
        // the body is the blob. It is staged straight next to its destination and checked there,
        // with no trip through uploads/<id>/ (so no writer lease either: nothing shared is written).
        if (row.size === 0) return this.stageAndCommit(ctx, repository, expected, row.repository_id, body, id);
      }
      return this.leased(repository, row, async () => {
        let size = row.size;
        // The last chunk is written but its offset not recorded: if the digest does not match, it
        // is cut off again and the session is as it was before this request.
        if (body) size = await this.write(id, row.size, body, expected.algorithm, row.hash_state);
        const actual = await this.digestOf(id, size, expected.algorithm, row.hash_state);
        if (actual !== expected.digest) {
          if (size !== row.size) {
            this.hashes.drop(id);
            await this.deps.storage.truncate(uploadDataPath(id), row.size);
          }
          throw new RegistryError('DIGEST_INVALID', { expected: expected.digest, actual });
        }
        if (this.gates.active) await this.gates.check({ repository, stage: 'commit', bytes: size, digest: expected.digest, uploadId: id });
        await this.commit(ctx, repository, id, expected, size, row.repository_id);
        return { digest: expected.digest, size };
      });
    }));
  }

  /**
   * A monolithic upload (POST ?digest= with the body, or an upload finished in one PUT): the
   * bytes stream straight to a private upload area, no session row is needed.
   */
  async putMonolithic(ctx: RequestContext, repository: string, digest: string, source: ByteSource): Promise<{ digest: string; size: number }> {
    const expected = parseDigest(digest);
    if (this.gates.active) await this.gates.check({ repository, stage: 'start', bytes: 0 });
    const repo = await this.repos.ensure(repository, this.now());
    return this.activity.during(() => this.stageAndCommit(ctx, repository, expected, repo.id, source));
  }

  /**
   * Writes a whole blob to a private temp object next to its destination, hashing in the same
   * pass; on a match makes it durable and visible (fsync, rename, folder fsync), then writes the
   * rows in one transaction (ending the session `id`, if any). On a mismatch nothing becomes
   * visible and nothing is kept: a session stays as it was.
   */
  private async stageAndCommit(ctx: RequestContext, repository: string, expected: ParsedDigest, repositoryId: number, source: ByteSource, id?: string): Promise<{ digest: string; size: number }> {
    const storage = this.deps.storage;
    const hash = newHash(expected.algorithm);
    const staged = await storage.stage(blobPath(expected), source, (chunk) => hash.update(chunk));
    try {
      const actual = `${expected.algorithm}:${hash.digest('hex')}`;
      if (actual !== expected.digest) throw new RegistryError('DIGEST_INVALID', { expected: expected.digest, actual });
      if (this.gates.active) await this.gates.check({ repository, stage: 'commit', bytes: staged.size, digest: expected.digest, ...(id !== undefined ? { uploadId: id } : {}) });
      await callOffByteDelete(this.deps.db, expected.digest);
      // Bytes first (durable and visible under their digest), then the rows.
      await staged.commit();
    } finally {
      await staged.discard();
    }
    const size = staged.size;
    const now = this.now();
    await transact(this.deps.db, async (trx) => {
      await this.settleBytes(trx, expected);
      await insertBlob(trx, expected.digest, size, now);
      await linkBlob(trx, repositoryId, expected.digest, now);
      await queueReviews(trx, 'gc_blob_reviews', repositoryId, [expected.digest], 'upload', now + this.reviewDelayMs);
      if (id !== undefined) await deleteUpload(trx, id);
    });
    if (id !== undefined) {
      this.hashes.drop(id);
      // Only an earlier empty chunk could have made uploads/<id>/; usually this is one lstat.
      await storage.deletePrefix(uploadPrefix(id)).catch(() => {});
    }
    this.deps.bus.emit({ type: 'blob.push', repository, digest: expected.digest, size, at: new Date(now), actor: ctx.actor, requestId: ctx.requestId });
    return { digest: expected.digest, size };
  }

  /**
   * Ends an upload. The bytes go first, then the row: on a full disk the delete frees the space
   * the row's removal needs, and a row left without bytes (a crash in between) is an upload whose
   * data is gone, which the next request on it reports and ends.
   */
  async cancel(repository: string, id: string): Promise<void> {
    await this.lock.run(id, async () => {
      await this.session(repository, id);
      this.hashes.drop(id);
      await this.deps.storage.deletePrefix(uploadPrefix(id));
      await deleteUpload(this.deps.db, id);
    });
  }

  /**
   * Ends uploads untouched since `before` (abandoned by their clients): their bytes, then their
   * rows, each under the upload's lock and re-checked there, so a client that resumes at that
   * moment wins. Returns how many were ended.
   */
  async purgeAbandoned(before: number, batch = 500): Promise<number> {
    let ended = 0;
    for (;;) {
      const ids = await staleUploads(this.deps.db, before, batch);
      let progressed = false;
      for (const id of ids) {
        const gone = await this.lock.run(id, async () => {
          const row = await findUpload(this.deps.db, id);
          if (!row || row.updated_at >= before) return false;
          this.hashes.drop(id);
          await this.deps.storage.deletePrefix(uploadPrefix(id));
          await deleteUpload(this.deps.db, id);
          return true;
        });
        if (gone) { ended++; progressed = true; }
      }
      if (ids.length < batch || !progressed) return ended;
    }
  }

  /**
   * Removes upload folders that have no session row (a crash between removing a row and its
   * bytes, or bytes written for a session that was never recorded) and were last written before
   * `before`. Returns how many.
   */
  async purgeOrphans(before: number): Promise<number> {
    const storage = this.deps.storage;
    const candidates = new Set<string>();
    for await (const path of storage.list(UPLOADS_ROOT)) {
      const id = uploadIdOf(path);
      if (id) candidates.add(id);
    }
    let removed = 0;
    const ids = [...candidates];
    for (let i = 0; i < ids.length; i += 500) {
      const slice = ids.slice(i, i + 500);
      const known = new Set((await findUploads(this.deps.db, slice)).map((r) => r.id));
      for (const id of slice) {
        if (known.has(id)) continue;
        const info = await storage.stat(uploadDataPath(id));
        if (info && info.modified.getTime() >= before) continue;
        await this.lock.run(id, () => storage.deletePrefix(uploadPrefix(id)));
        removed++;
      }
    }
    return removed;
  }

  /**
   * Runs `work` (a write at the row's offset, or the commit) holding the upload's writer lease,
   * the cross-instance form of this.lock: two requests on one upload, on two instances, would
   * otherwise both write the bytes at one offset, and storage could keep the bytes of the one
   * whose offset was not recorded. The lease is renewed while the work runs; a holder that died
   * loses it when it runs out. Without it the answer is 416 with the upload's Range, which
   * clients answer by asking the upload's status and resuming. Instances' clocks must agree to
   * well within the lease.
   */
  private async leased<T>(repository: string, row: UploadRow, work: () => Promise<T>): Promise<T> {
    const db = this.deps.db;
    const now = this.now();
    if (!(await claimUpload(db, row.id, row.size, this.writer, now, now + this.leaseMs))) {
      const current = await findUpload(db, row.id);
      if (!current) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', { id: row.id });
      throw new RegistryError('BLOB_UPLOAD_INVALID', { id: row.id, offset: current.size }, {
        status: 416,
        message: current.size !== row.size
          ? `the upload moved on to ${current.size} bytes meanwhile; check its status and resume`
          : 'another request is writing this upload now; check its status and resume when it ends',
        headers: rangeHeaders(row.id, repository, current.size),
      });
    }
    const renew = setInterval(() => {
      renewUpload(db, row.id, this.writer, this.now() + this.leaseMs).catch(() => {});
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    try {
      return await work();
    } catch (error) {
      await releaseUpload(db, row.id, this.writer).catch(() => {});
      throw error;
    } finally {
      clearInterval(renew);
    }
  }

  /** The session, if it exists and belongs to this repository; else BLOB_UPLOAD_UNKNOWN. */
  private async session(repository: string, id: string): Promise<UploadRow> {
    const unknown = () => new RegistryError('BLOB_UPLOAD_UNKNOWN', { id: id.slice(0, 100) });
    if (!isValidUploadId(id)) throw unknown();
    const [row, repo] = await Promise.all([findUpload(this.deps.db, id), this.repos.find(repository)]);
    if (!row || !repo || row.repository_id !== repo.id) throw unknown();
    return row;
  }

  /**
   * Appends at the recorded `offset`. Bytes the data file holds beyond it were never recorded
   * (see the head of this file) and are cut off first; a data file shorter than the offset lost
   * bytes that were recorded, so the upload cannot go on and is ended.
   */
  private async write(id: string, offset: number, source: ByteSource, algorithm: DigestAlgorithm, saved: Uint8Array | null): Promise<number> {
    const path = uploadDataPath(id);
    const hash = await this.hashes.forAppend(id, offset, algorithm, saved);
    const onChunk = hash ? (chunk: Buffer) => hash.update(chunk) : undefined;
    try {
      try {
        return await this.deps.storage.append(path, source, offset, onChunk);
      } catch (error) {
        if (!isOffsetError(error)) throw error;
        // On an offset mismatch the driver has not read the source: it can be written again.
        if (error.actual < offset) throw await this.lost(id, offset, error.actual);
        await this.deps.storage.truncate(path, offset);
        return await this.deps.storage.append(path, source, offset, onChunk);
      }
    } catch (error) {
      // The driver restored the bytes to `offset`, but the hash may have seen part of the chunk.
      this.hashes.drop(id);
      throw error;
    } finally {
      this.hashes.settle(id);
    }
  }

  /** Ends an upload whose data file lost recorded bytes; the client must start again. */
  private async lost(id: string, recorded: number, actual: number): Promise<RegistryError> {
    this.hashes.drop(id);
    await this.deps.storage.deletePrefix(uploadPrefix(id)).catch(() => {});
    await deleteUpload(this.deps.db, id);
    return new RegistryError('BLOB_UPLOAD_UNKNOWN', { id, recorded, stored: actual }, {
      message: `the upload's stored data is shorter than its recorded ${recorded} bytes (lost in a crash); start the upload again`,
    });
  }

  /**
   * Under the digest's lock, in the transaction that writes the blob's rows: if GC deleted these
   * bytes after the deletion was called off could no longer stop it (a tombstone), the rows must
   * not point at nothing. That needs GC to finish a deletion between this push's rename and this
   * transaction; the client is told to push again.
   */
  private async settleBytes(trx: Executor, digest: ParsedDigest): Promise<void> {
    await lockDigests(trx, [digest.digest]);
    if ((await settleByteDelete(trx, digest.digest)) && !(await this.deps.storage.stat(blobPath(digest)))) {
      throw new RegistryError('BLOB_UPLOAD_INVALID', { digest: digest.digest }, { status: 409, message: 'the blob was garbage-collected while this upload finished; push it again' });
    }
  }

  /**
   * The digest of the upload's first `size` bytes: from the running digest (this process's, or
   * the one saved in the row), or by re-reading them.
   */
  private async digestOf(id: string, size: number, algorithm: DigestAlgorithm, saved: Uint8Array | null): Promise<string> {
    const running = await this.hashes.take(id, size, algorithm, saved);
    if (running) return `${algorithm}:${running}`;
    this.rereadBytes += size;
    const hash = newHash(algorithm);
    if (size > 0) {
      let read = 0;
      try {
        const stream = await this.deps.storage.read(uploadDataPath(id), { start: 0, end: size - 1 });
        for await (const chunk of stream) {
          hash.update(chunk as Buffer);
          read += (chunk as Buffer).length;
        }
      } catch (error) {
        if (!(error instanceof StorageNotFoundError)) throw error;
      }
      if (read < size) throw await this.lost(id, size, read);
    }
    return `${algorithm}:${hash.digest('hex')}`;
  }

  /**
   * Commits the upload's first `size` bytes (whose digest was checked) as the blob and ends the
   * session: bytes first (durable and visible under their digest), then the rows in one
   * transaction, so the DB never points at bytes that do not exist.
   */
  private async commit(ctx: RequestContext, repository: string, id: string, digest: ParsedDigest, size: number, repositoryId: number): Promise<void> {
    const path = uploadDataPath(id);
    if (size === 0 && !(await this.deps.storage.stat(path))) {
      // A whole empty object: on S3 an append of nothing writes no segment, so nothing to commit.
      await this.deps.storage.put(path, new Uint8Array(0));
    }
    // What was hashed is what is committed: cut off any bytes beyond `size`.
    try {
      await this.deps.storage.truncate(path, size);
    } catch (error) {
      if (isOffsetError(error)) throw await this.lost(id, size, error.actual);
      throw error;
    }
    await callOffByteDelete(this.deps.db, digest.digest);
    await this.deps.storage.commit(path, blobPath(digest));
    const now = this.now();
    await transact(this.deps.db, async (trx) => {
      await this.settleBytes(trx, digest);
      await insertBlob(trx, digest.digest, size, now);
      await linkBlob(trx, repositoryId, digest.digest, now);
      await queueReviews(trx, 'gc_blob_reviews', repositoryId, [digest.digest], 'upload', now + this.reviewDelayMs);
      await deleteUpload(trx, id);
    });
    this.hashes.drop(id);
    await this.deps.storage.deletePrefix(uploadPrefix(id)).catch(() => {});
    this.deps.bus.emit({ type: 'blob.push', repository, digest: digest.digest, size, at: new Date(now), actor: ctx.actor, requestId: ctx.requestId });
  }
}

/** A chunk's announced length (0 when neither a range nor a Content-Length says it). */
function chunkLength(range: ChunkRange | undefined, contentLength: number | undefined): number {
  return range ? range.end - range.start + 1 : contentLength ?? 0;
}

function isOffsetError(error: unknown): error is { code: 'EOFFSET'; actual: number } {
  return (error as { code?: unknown } | undefined)?.code === 'EOFFSET' && typeof (error as { actual?: unknown }).actual === 'number';
}

function newUploadId(): string {
  return randomBytes(18).toString('base64url');
}

function rangeHeaders(id: string, repository: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${repository}/blobs/uploads/${id}`,
    Range: `0-${Math.max(0, size - 1)}`,
    'Docker-Upload-UUID': id,
  };
}
