// Pull-through (DESIGN.md, How features plug in): a feature (features/proxy) may answer the
// manifest and blob reads of some repositories from an upstream registry. The /v2 handlers ask
// `covers` first, synchronously and from memory, so a repository no pull-through covers costs
// nothing more than before.
import type { Readable } from 'node:stream';
import type { BlobInfo } from './blobs.ts';
import type { RequestContext } from './context.ts';
import type { ManifestInfo } from './manifests.ts';

export interface PulledManifest {
  readonly info: ManifestInfo;
  /** An HTTP Warning header value, when a stale copy is served because the upstream failed. */
  readonly warning?: string;
}

export interface PulledBlob {
  readonly info: BlobInfo;
  /** The bytes, streamed while they are also being stored (it errors if the transfer fails). */
  readonly stream: Readable;
}

export interface PullThrough {
  /** Whether reads of this canonical repository name go through here (from memory, no I/O). */
  covers(repository: string): boolean;
  /**
   * Transparent mirror mode: where a read of `repository` that found nothing here goes next (the
   * mirror proxy project's name for it, e.g. library/nginx -> hub/library/nginx), from memory;
   * undefined when there is no mirror, or the name is a proxy project's already.
   */
  mirrorOf?(repository: string): string | undefined;
  /** Resolves a tag or digest, fetching (and storing) from upstream when needed. */
  resolveManifest(ctx: RequestContext, repository: string, reference: string): Promise<PulledManifest>;
  /** A blob this repository does not link yet: fetched, stored and streamed (BLOB_UNKNOWN when upstream has none). */
  fetchBlob(ctx: RequestContext, repository: string, digest: string): Promise<PulledBlob>;
  /** Brings the upstream's referrers of a manifest (signatures, SBOMs) into the cache before they are listed. */
  syncReferrers?(ctx: RequestContext, repository: string, digest: string): Promise<void>;
  /** HEAD of a blob this repository does not link yet, answered from upstream. */
  headBlob(repository: string, digest: string): Promise<BlobInfo>;
}
