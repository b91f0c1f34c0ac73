// A client of upstream OCI/Docker registries (token auth, manifests, streamed blobs, pacing),
// shared by the pull-through cache and replication.
export { ACCEPT_MANIFESTS, RegistryClient, type BlobStream, type FetchedManifest, type ManifestHead, type ReferrerDescriptor, type RegistryClientOptions, type UpstreamCredentials } from './client.ts';
export { parseChallenges, pullScope, type Challenge } from './challenge.ts';
export { parseRetryAfter, UpstreamError, type UpstreamFailure } from './errors.ts';
export { RateLimitedError, TokenBucket, type TokenBucketOptions } from './rate.ts';
