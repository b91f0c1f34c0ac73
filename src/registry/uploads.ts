// Blob uploads: monolithic, chunked and streamed (distribution-spec "Pushing blobs").
// Bytes go to the storage driver under uploads/<id>/ and are hashed in the same pass; the
// session row (id, repository, offset) is in the DB, so an upload survives a restart. A blob
// becomes visible only after storage.commit() and the rows are written.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { parseDigest, newHash, type DigestAlgorithm, type ParsedDigest } from '../core/digest.ts';
import { RegistryError } from '../core/errors.ts';
import { insertBlob, linkBlob } from '../metadata/blobs.ts';
import { advanceUpload, deleteUpload, findUpload, insertUpload, type UploadRow } from '../metadata/uploads.ts';
import { exactLength } from './exact-length.ts';
import { blobPath, isValidUploadId, uploadDataPath, uploadPrefix } from '../storage/paths.ts';
import type { RequestContext } from './context.ts';
import type { RegistryDeps } from './deps.ts';
import { HashStates } from './hash-states.ts';
import { KeyedLock } from './keyed-lock.ts';
import type { Repositories } from './repositories.ts';

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
  private readonly lock = new KeyedLock();
  private readonly hashes = new HashStates();
  private readonly now: () => number;

  constructor(private readonly deps: RegistryDeps, private readonly repos: Repositories) {
    this.now = deps.now ?? Date.now;
  }

  /** Opens an upload session in a repository (created on first write). */
  async start(repository: string): Promise<UploadStatus> {
    const now = this.now();
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
  async append(repository: string, id: string, source: Readable, range?: ChunkRange, contentLength?: number): Promise<UploadStatus> {
    return this.lock.run(id, async () => {
      const row = await this.session(repository, id);
      const body = this.chunkBody(id, repository, row, source, range, contentLength);
      const size = await this.write(id, row.size, body);
      if (!(await advanceUpload(this.deps.db, id, row.size, size, this.now()))) {
        this.hashes.drop(id);
        throw new RegistryError('BLOB_UPLOAD_INVALID', { id }, { message: 'upload was changed concurrently; check its status and resume' });
      }
      return { id, size };
    });
  }

  /** Checks a chunk's range against the session (416 when it does not fit) and guards its length. */
  private chunkBody(id: string, repository: string, row: UploadRow, source: Readable, range?: ChunkRange, contentLength?: number): Readable {
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
    return range && contentLength === undefined
      ? exactLength(source, range.end - range.start + 1, (received) => new RegistryError('BLOB_UPLOAD_INVALID', { range, received }, {
        status: 416,
        message: 'chunk length does not match Content-Range',
        headers: rangeHeaders(id, repository, row.size),
      }))
      : source;
  }

  /**
   * Finishes an upload: appends an optional last chunk, checks the digest, commits the bytes,
   * and links the blob to the repository. A wrong digest is DIGEST_INVALID and commits nothing.
   */
  async complete(ctx: RequestContext, repository: string, id: string, digest: string, source?: Readable, range?: ChunkRange, contentLength?: number): Promise<{ digest: string; size: number }> {
    const expected = parseDigest(digest);
    if (source) {
      // The common case (docker's POST, then PUT with the whole blob): the session is empty, so
      // the body is the blob. It is staged straight next to its destination and checked there,
      // with no trip through uploads/<id>/.
      const done = await this.lock.run(id, async () => {
        const row = await this.session(repository, id);
        if (row.size !== 0) return undefined;
        const body = this.chunkBody(id, repository, row, source, range, contentLength);
        return this.stageAndCommit(ctx, repository, expected, row.repository_id, body, id);
      });
      if (done) return done;
      await this.append(repository, id, source, range, contentLength);
    }
    return this.lock.run(id, async () => {
      const row = await this.session(repository, id);
      const actual = await this.digestOf(id, row.size, expected.algorithm);
      if (actual !== expected.digest) {
        throw new RegistryError('DIGEST_INVALID', { expected: expected.digest, actual });
      }
      await this.commit(ctx, repository, id, expected, row.size, row.repository_id);
      await deleteUpload(this.deps.db, id);
      return { digest: expected.digest, size: row.size };
    });
  }

  /**
   * A monolithic upload (POST ?digest= with the body, or an upload finished in one PUT): the
   * bytes stream straight to a private upload area, no session row is needed.
   */
  async putMonolithic(ctx: RequestContext, repository: string, digest: string, source: Readable): Promise<{ digest: string; size: number }> {
    const expected = parseDigest(digest);
    const repo = await this.repos.ensure(repository, this.now());
    return this.stageAndCommit(ctx, repository, expected, repo.id, source);
  }

  /**
   * Writes a whole blob to a private temp object next to its destination, hashing in the same
   * pass; on a match makes it durable and visible (fsync, rename, folder fsync), then writes the
   * rows in one transaction (ending the session `id`, if any). On a mismatch nothing becomes
   * visible: the bytes of a session become its data, as an append would have left them.
   */
  private async stageAndCommit(ctx: RequestContext, repository: string, expected: ParsedDigest, repositoryId: number, source: Readable, id?: string): Promise<{ digest: string; size: number }> {
    const storage = this.deps.storage;
    const hash = newHash(expected.algorithm);
    const staged = await storage.stage(blobPath(expected), source, (chunk) => hash.update(chunk));
    try {
      const actual = `${expected.algorithm}:${hash.digest('hex')}`;
      if (actual !== expected.digest) {
        if (id !== undefined) {
          await staged.moveTo(uploadDataPath(id));
          if (!(await advanceUpload(this.deps.db, id, 0, staged.size, this.now()))) await storage.deletePrefix(uploadPrefix(id));
        }
        throw new RegistryError('DIGEST_INVALID', { expected: expected.digest, actual });
      }
      // Bytes first (durable and visible under their digest), then the rows.
      await staged.commit();
    } finally {
      await staged.discard();
    }
    const size = staged.size;
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await insertBlob(trx, expected.digest, size, now);
      await linkBlob(trx, repositoryId, expected.digest, now);
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

  async cancel(repository: string, id: string): Promise<void> {
    await this.lock.run(id, async () => {
      await this.session(repository, id);
      await deleteUpload(this.deps.db, id);
      this.hashes.drop(id);
      await this.deps.storage.deletePrefix(uploadPrefix(id));
    });
  }

  /** The session, if it exists and belongs to this repository; else BLOB_UPLOAD_UNKNOWN. */
  private async session(repository: string, id: string): Promise<UploadRow> {
    const unknown = () => new RegistryError('BLOB_UPLOAD_UNKNOWN', { id: id.slice(0, 100) });
    if (!isValidUploadId(id)) throw unknown();
    const [row, repo] = await Promise.all([findUpload(this.deps.db, id), this.repos.find(repository)]);
    if (!row || !repo || row.repository_id !== repo.id) throw unknown();
    return row;
  }

  private async write(id: string, offset: number, source: Readable, algorithm: DigestAlgorithm = 'sha256'): Promise<number> {
    const hash = this.hashes.forAppend(id, offset, algorithm);
    try {
      return await this.deps.storage.append(uploadDataPath(id), source, offset, hash ? (chunk) => hash.update(chunk) : undefined);
    } catch (error) {
      // The driver restored the bytes to `offset`, but the hash may have seen part of the chunk.
      this.hashes.drop(id);
      throw error;
    } finally {
      this.hashes.settle(id);
    }
  }

  /** The digest of the upload's bytes: from the running hash, or by re-reading the bytes. */
  private async digestOf(id: string, size: number, algorithm: DigestAlgorithm): Promise<string> {
    const running = this.hashes.take(id, size, algorithm);
    if (running) return `${algorithm}:${running}`;
    const hash = newHash(algorithm);
    if (size > 0) {
      const stream = await this.deps.storage.read(uploadDataPath(id));
      for await (const chunk of stream) hash.update(chunk as Buffer);
    }
    return `${algorithm}:${hash.digest('hex')}`;
  }

  private async commit(ctx: RequestContext, repository: string, id: string, digest: ParsedDigest, size: number, repositoryId: number): Promise<void> {
    const path = uploadDataPath(id);
    if (size === 0 && !(await this.deps.storage.stat(path))) {
      await this.deps.storage.append(path, Readable.from([]), 0);
    }
    // Bytes first (durable and visible under their digest), then the rows: the DB never points
    // at bytes that do not exist.
    await this.deps.storage.commit(path, blobPath(digest));
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await insertBlob(trx, digest.digest, size, now);
      await linkBlob(trx, repositoryId, digest.digest, now);
    });
    this.hashes.drop(id);
    await this.deps.storage.deletePrefix(uploadPrefix(id)).catch(() => {});
    this.deps.bus.emit({ type: 'blob.push', repository, digest: digest.digest, size, at: new Date(now), actor: ctx.actor, requestId: ctx.requestId });
  }
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
