// Reading, deleting and mounting blobs. Every read is checked against the repository's links:
// a blob is pullable through a repository only if that repository links it.
import type { Readable } from 'node:stream';
import { parseDigest } from '../core/digest.ts';
import { RegistryError } from '../core/errors.ts';
import { findLinkedBlob, linkBlob, unlinkBlob } from '../metadata/blobs.ts';
import type { ByteRange, PositionalReader } from '../storage/driver.ts';
import { blobPath } from '../storage/paths.ts';
import type { RequestContext } from './context.ts';
import { DEFAULT_REVIEW_DELAY_MS, type RegistryDeps } from './deps.ts';
import { lockDigests, postponeReview, queueReviews, REVIEW_FENCE_MS } from '../metadata/gc-queues.ts';
import { transact } from '../metadata/transactions.ts';
import { PushGates } from './push-gate.ts';
import type { Touches } from './touches.ts';
import type { Repositories } from './repositories.ts';

export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

export class BlobService {
  private readonly now: () => number;

  private readonly reviewDelayMs: number;

  constructor(private readonly deps: RegistryDeps, private readonly repos: Repositories, private readonly gates: PushGates = new PushGates(), private readonly touches?: Touches) {
    this.now = deps.now ?? Date.now;
    this.reviewDelayMs = deps.limits.reviewDelayMs ?? DEFAULT_REVIEW_DELAY_MS;
  }

  /** The blob's size, or BLOB_UNKNOWN when this repository does not link it. */
  async stat(repository: string, digest: string): Promise<BlobInfo> {
    return (await this.linked(repository, digest)).info;
  }

  /** stat() with the repository's id. */
  private async linked(repository: string, digest: string): Promise<{ info: BlobInfo; repositoryId: number }> {
    const parsed = parseDigest(digest);
    const repo = await this.repos.find(repository);
    const blob = repo && (await findLinkedBlob(this.deps.db, repo.id, parsed.digest));
    if (!blob) throw new RegistryError('BLOB_UNKNOWN', { digest: parsed.digest });
    // A client that finds a queued blob (a HEAD before it skips the upload) is about to reference
    // it: the review waits again, so GC cannot take it between this answer and the manifest PUT.
    // Under the digest's lock, and only if the link is still there: the collector may be taking
    // it right now, and then the answer is that it is gone. Only when less than half the delay
    // is left: a blob HEADed by many clients is renewed once per half delay, not at every HEAD.
    if (blob.review_after !== null && blob.review_after < this.now() + this.reviewDelayMs / 2) {
      const until = this.now() + this.reviewDelayMs;
      const still = await transact(this.deps.db, async (trx) => {
        await lockDigests(trx, [blob.digest]);
        if (!(await findLinkedBlob(trx, repo.id, blob.digest))) return false;
        await postponeReview(trx, 'gc_blob_reviews', repo.id, blob.digest, until);
        return true;
      });
      if (!still) throw new RegistryError('BLOB_UNKNOWN', { digest: parsed.digest });
    }
    return { info: { digest: blob.digest, size: blob.size }, repositoryId: repo.id };
  }

  /**
   * A HEAD: stat(), and the lookup is noted, since a client that finds a blob skips its upload
   * and references it in the manifest it pushes next (GC must not take it meanwhile).
   */
  async lookup(repository: string, digest: string): Promise<BlobInfo> {
    const { info, repositoryId } = await this.linked(repository, digest);
    this.touches?.note('gc_blob_reviews', repositoryId, info.digest);
    return info;
  }

  /** Streams the blob (or an inclusive range of it) after the link check. */
  async open(repository: string, digest: string, range?: ByteRange): Promise<{ info: BlobInfo; stream: Readable }> {
    const info = await this.stat(repository, digest);
    const stream = await this.deps.storage.read(blobPath(parseDigest(info.digest)), range);
    return { info, stream };
  }

  /**
   * The blob open for positioned reads, when the driver offers them (undefined otherwise);
   * `info` must come from stat() of the same request. The caller closes the reader.
   */
  async openReader(info: BlobInfo): Promise<PositionalReader | undefined> {
    return this.deps.storage.openReader?.(blobPath(parseDigest(info.digest)));
  }

  /** Removes the repository's link to the blob; the bytes stay until garbage collection. */
  async delete(ctx: RequestContext, repository: string, digest: string): Promise<void> {
    const parsed = parseDigest(digest);
    const repo = await this.repos.find(repository);
    const unlinked = repo && (await transact(this.deps.db, async (trx) => {
      if (!(await unlinkBlob(trx, repo.id, parsed.digest))) return false;
      // The link is gone; GC checks whether any is left, and if not removes the row and bytes.
      await queueReviews(trx, 'gc_blob_reviews', 0, [parsed.digest], 'unlink', this.now() + REVIEW_FENCE_MS);
      return true;
    }));
    if (!unlinked) throw new RegistryError('BLOB_UNKNOWN', { digest: parsed.digest });
    this.deps.bus.emit({ type: 'delete', target: 'blob', repository, digest: parsed.digest, tags: [], at: new Date(), actor: ctx.actor, requestId: ctx.requestId });
  }

  /**
   * Cross-repository mount: links a blob that `from` links into `repository`. Returns undefined
   * when `from` does not have it; the caller then falls back to a normal upload. Whether the
   * caller may read `from` is checked by the HTTP layer's authorizer before this is called.
   */
  async mount(ctx: RequestContext, repository: string, digest: string, from: string): Promise<BlobInfo | undefined> {
    const parsed = parseDigest(digest);
    const source = await this.repos.find(from);
    const blob = source && (await findLinkedBlob(this.deps.db, source.id, parsed.digest));
    if (!blob) return undefined;
    if (this.gates.active) await this.gates.check({ repository, stage: 'mount', bytes: blob.size, digest: blob.digest });
    const now = this.now();
    const target = await this.repos.ensure(repository, now);
    const linked = await transact(this.deps.db, async (trx) => {
      await lockDigests(trx, [blob.digest]);
      // GC may have taken the blob since the lookup: then this is an ordinary upload.
      if (!(await findLinkedBlob(trx, source.id, blob.digest))) return false;
      await linkBlob(trx, target.id, blob.digest, now);
      await queueReviews(trx, 'gc_blob_reviews', target.id, [blob.digest], 'mount', now + this.reviewDelayMs);
      return true;
    });
    if (!linked) return undefined;
    this.deps.bus.emit({ type: 'mount', repository, digest: blob.digest, from, at: new Date(now), actor: ctx.actor, requestId: ctx.requestId });
    return blob;
  }
}
