// The registry model, composed: one object the HTTP layer and features talk to.
import { BlobService } from './blobs.ts';
import type { RegistryDeps } from './deps.ts';
import { DiscoveryService } from './discovery.ts';
import { ManifestService } from './manifests.ts';
import { PushGates } from './push-gate.ts';
import type { PullThrough } from './pull-through.ts';
import { Touches } from './touches.ts';
import { DEFAULT_REVIEW_DELAY_MS } from './deps.ts';
import { Repositories } from './repositories.ts';
import { SignatureService } from './signatures.ts';
import { UploadService } from './uploads.ts';

export class Registry {
  readonly repositories: Repositories;
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;
  readonly discovery: DiscoveryService;
  readonly signatures: SignatureService;
  /** Features' say over uploads and mounts (quotas); asked by uploads and blobs. */
  readonly pushGates = new PushGates();
  /** Recent lookups of blobs and manifests, which GC must not collect under a push in progress. */
  readonly touches: Touches;
  /** A feature that answers reads of some repositories from an upstream (proxy projects). */
  pullThrough?: PullThrough;

  constructor(readonly deps: RegistryDeps) {
    this.touches = new Touches(deps.db, deps.limits.reviewDelayMs ?? DEFAULT_REVIEW_DELAY_MS, deps.now);
    this.repositories = new Repositories(deps.db);
    this.blobs = new BlobService(deps, this.repositories, this.pushGates, this.touches);
    this.uploads = new UploadService(deps, this.repositories, this.pushGates);
    this.manifests = new ManifestService(deps, this.repositories, this.touches);
    this.discovery = new DiscoveryService(deps, this.repositories);
    this.signatures = new SignatureService(deps, this.repositories);
  }

  get bus() {
    return this.deps.bus;
  }
}
