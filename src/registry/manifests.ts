// Manifests: validate, store (bytes as a content-addressed blob, facts as rows), resolve by tag
// or digest, and delete. Manifest bytes are immutable by digest, so reads go through an LRU.
import { digestOf, parseDigest } from '../core/digest.ts';
import { RegistryError } from '../core/errors.ts';
import type { RegistryEvent } from '../core/events.ts';
import { ByteLru } from '../core/lru.ts';
import { parseManifest, type ManifestFacts } from '../core/manifest.ts';
import { layerMayBeAbsent } from '../core/mediatypes.ts';
import { isValidTag } from '../core/reference.ts';
import { linkedDigests } from '../metadata/blobs.ts';
import { findLinkedManifest, findTaggedManifest, insertManifest, linkManifest, linkedManifestDigests, unlinkManifest, type ManifestRecord } from '../metadata/manifests.ts';
import type { Executor } from '../metadata/executor.ts';
import { touchRepository } from '../metadata/repositories.ts';
import { deleteSignaturesOf } from '../metadata/signatures.ts';
import { deleteTag, deleteTagsOf, recordTagMoves, setTag } from '../metadata/tags.ts';
import { callOffByteDelete, lockDigests, postponeReview, queueReviews, REVIEW_FENCE_MS, settleByteDelete } from '../metadata/gc-queues.ts';
import { transact } from '../metadata/transactions.ts';
import { blobPath } from '../storage/paths.ts';
import type { RequestContext } from './context.ts';
import type { PullGate, PullRequestInfo } from './pull-gate.ts';
import { DEFAULT_REVIEW_DELAY_MS, type RegistryDeps } from './deps.ts';
import type { Repositories } from './repositories.ts';
import type { Touches } from './touches.ts';

export interface ManifestInfo {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** The tag it was resolved through, if any. */
  readonly tag?: string;
}

export interface PutResult {
  readonly digest: string;
  readonly subject?: string;
}

export interface PutOptions {
  /**
   * Store it although its blobs and child manifests are not in the repository yet: a pull-through
   * cache stores what upstream served, and fetches what it references when it is asked for.
   */
  readonly referencesMayBeAbsent?: boolean;
}

export class ManifestService {
  private readonly cache = new ByteLru<Buffer>(64 * 1024 * 1024);
  private readonly now: () => number;
  private readonly gates: PullGate[] = [];

  private readonly reviewDelayMs: number;

  constructor(private readonly deps: RegistryDeps, private readonly repos: Repositories, private readonly touches?: Touches) {
    this.now = deps.now ?? Date.now;
    this.reviewDelayMs = deps.limits.reviewDelayMs ?? DEFAULT_REVIEW_DELAY_MS;
  }

  /** Stores a manifest under a tag or its digest. */
  async put(ctx: RequestContext, repository: string, reference: string, body: Buffer, contentType: string | undefined, options: PutOptions = {}): Promise<PutResult> {
    if (body.byteLength > this.deps.limits.manifestMaxBytes) {
      throw new RegistryError('MANIFEST_TOO_LARGE', { limit: this.deps.limits.manifestMaxBytes });
    }
    const byDigest = reference.includes(':');
    const tag = byDigest ? undefined : reference;
    if (tag !== undefined && !isValidTag(tag)) throw new RegistryError('MANIFEST_INVALID', { tag: tag.slice(0, 200) }, { message: 'invalid tag' });
    const wanted = byDigest ? parseDigest(reference) : undefined;
    const digest = digestOf(body, wanted?.algorithm ?? 'sha256');
    if (wanted && wanted.digest !== digest) throw new RegistryError('DIGEST_INVALID', { expected: wanted.digest, actual: digest });

    const facts = parseManifest(body, contentType);
    const now = this.now();
    const repo = await this.repos.find(repository);
    if (!options.referencesMayBeAbsent) await this.checkReferences(repo?.id, facts);

    // Bytes first, durable, under their digest; then the rows in one transaction. A deletion of
    // these bytes that GC queued is called off first, and the transaction settles any that ran.
    const path = blobPath(parseDigest(digest));
    await callOffByteDelete(this.deps.db, digest);
    if (!(await this.deps.storage.stat(path))) await this.deps.storage.put(path, body);
    const at = new Date(now);
    const events = await transact(this.deps.db, async (trx) => {
      await lockDigests(trx, [digest, ...referencedDigests(facts)]);
      if ((await settleByteDelete(trx, digest)) && !(await this.deps.storage.stat(path))) await this.deps.storage.put(path, body);
      const r = await this.repos.ensure(repository, now, trx);
      // Again under the locks: GC may have collected a referenced blob since the first check.
      if (!options.referencesMayBeAbsent) await this.checkReferences(r.id, facts, trx);
      await insertManifest(trx, toRecord(digest, body.byteLength, facts), now);
      await linkManifest(trx, r.id, digest, facts.subject?.digest, now);
      const previous = tag === undefined ? undefined : await setTag(trx, r.id, tag, digest, now);
      await touchRepository(trx, r.id, now);
      const after = now + this.reviewDelayMs;
      // An untagged push (a platform of an index to come, a referrer) and the manifest a tag left
      // are GC candidates; the review delay protects the new one while the push goes on.
      if (tag === undefined) await queueReviews(trx, 'gc_manifest_reviews', r.id, [digest], 'untagged', after);
      if (tag !== undefined && previous !== digest) {
        await recordTagMoves(trx, [{ repositoryId: r.id, tag, digest, previous: previous ?? null, actor: actorName(ctx), at: now }]);
        // Reviewable soon: the review itself protects what is young or was just looked up.
        if (previous !== undefined) await queueReviews(trx, 'gc_manifest_reviews', r.id, [previous], 'untag', now + REVIEW_FENCE_MS);
      }
      const happened: RegistryEvent[] = [{ type: 'push', repository, digest, mediaType: facts.mediaType, size: body.byteLength, tag, at, actor: ctx.actor, requestId: ctx.requestId }];
      if (tag !== undefined && previous !== digest) happened.push({ type: 'tag', repository, tag, digest, previous, at, actor: ctx.actor, requestId: ctx.requestId });
      await this.deps.inTransaction?.(trx, happened);
      return happened;
    });
    this.cache.set(digest, body);
    for (const event of events) this.deps.bus.emit(event);
    return { digest, subject: facts.subject?.digest };
  }

  /** Resolves a tag or digest in a repository to the manifest's facts (no bytes read). */
  async resolve(repository: string, reference: string): Promise<ManifestInfo> {
    const unknown = () => new RegistryError('MANIFEST_UNKNOWN', { reference: reference.slice(0, 200) });
    const repo = await this.repos.find(repository);
    if (!repo) throw unknown();
    if (!reference.includes(':')) {
      if (!isValidTag(reference)) throw unknown();
      const row = await findTaggedManifest(this.deps.db, repo.id, reference);
      if (!row) throw unknown();
      return { digest: row.digest, mediaType: row.media_type, size: row.size, tag: reference };
    }
    const row = await findLinkedManifest(this.deps.db, repo.id, parseDigest(reference).digest);
    if (!row) throw unknown();
    // A client that looks a manifest up by digest (an index push checks its platforms) may be
    // about to reference it: noted for GC, and a queued review waits again.
    this.touches?.note('gc_manifest_reviews', repo.id, row.digest);
    if (row.review_after !== null && row.review_after < this.now() + this.reviewDelayMs / 2) {
      // Under the digest's lock, and only if the link is still there (GC may be taking it now).
      const until = this.now() + this.reviewDelayMs;
      const still = await transact(this.deps.db, async (trx) => {
        await lockDigests(trx, [row.digest]);
        if (!(await findLinkedManifest(trx, repo.id, row.digest))) return false;
        await postponeReview(trx, 'gc_manifest_reviews', repo.id, row.digest, until);
        return true;
      });
      if (!still) throw unknown();
    }
    return { digest: row.digest, mediaType: row.media_type, size: row.size };
  }

  /** The manifest's bytes by digest (from the LRU when hot). */
  async bytes(digest: string): Promise<Buffer> {
    const cached = this.cache.get(digest);
    if (cached) return cached;
    const stream = await this.deps.storage.read(blobPath(parseDigest(digest)));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    this.cache.set(digest, body);
    return body;
  }

  /** Drops a manifest that garbage collection removed from the byte cache. */
  forget(digest: string): void {
    this.cache.delete(digest);
  }

  /** A feature's say over manifest GETs (scan and trust policies). */
  addPullGate(gate: PullGate): void {
    this.gates.push(gate);
  }

  /** Whether any gate is installed (the hot path skips the check otherwise). */
  get gated(): boolean {
    return this.gates.length > 0;
  }

  /** Throws the first gate's refusal, if one refuses this GET (never called for HEAD). */
  async checkPull(pull: PullRequestInfo): Promise<void> {
    for (const gate of this.gates) {
      const refusal = await gate.check(pull);
      if (refusal) throw refusal;
    }
  }

  /** Reports a pull (a manifest GET, as Docker Hub counts them; HEAD is not a pull). */
  pulled(ctx: RequestContext, repository: string, info: ManifestInfo): void {
    this.deps.bus.emit({ type: 'pull', repository, digest: info.digest, mediaType: info.mediaType, tag: info.tag, at: new Date(), actor: ctx.actor, requestId: ctx.requestId });
  }

  /** Deletes a manifest by digest (and every tag on it) or a tag by name (the manifest stays). */
  async delete(ctx: RequestContext, repository: string, reference: string): Promise<void> {
    const unknown = () => new RegistryError('MANIFEST_UNKNOWN', { reference: reference.slice(0, 200) });
    const repo = await this.repos.find(repository);
    if (!repo) throw unknown();
    const at = new Date(this.now());
    const events = await transact(this.deps.db, async (trx) => {
      const happened: RegistryEvent[] = [];
      if (!reference.includes(':')) {
        if (!isValidTag(reference)) throw unknown();
        const digest = await deleteTag(trx, repo.id, reference);
        if (!digest) throw unknown();
        await recordTagMoves(trx, [{ repositoryId: repo.id, tag: reference, digest: null, previous: digest, actor: actorName(ctx), at: at.getTime() }]);
        await queueReviews(trx, 'gc_manifest_reviews', repo.id, [digest], 'untag', at.getTime() + REVIEW_FENCE_MS);
        happened.push({ type: 'untag', repository, tag: reference, digest, at, actor: ctx.actor, requestId: ctx.requestId });
      } else {
        const first = parseDigest(reference).digest;
        // What follows the image goes with it: its referrers (signatures, SBOMs, attestations)
        // and cosign's sha256-<hex>.sig/.att/.sbom tags, and theirs in turn, and the signatures
        // stored through the signature extension.
        const queue = [first];
        const seen = new Set<string>();
        while (queue.length) {
          const digest = queue.shift()!;
          if (seen.has(digest)) continue;
          seen.add(digest);
          const followers = await followersOf(trx, repo.id, digest);
          const tags = await deleteTagsOf(trx, repo.id, digest);
          const unlinked = await unlinkManifest(trx, repo.id, digest);
          if (!unlinked) {
            if (digest === first) throw unknown();
            continue;
          }
          await deleteSignaturesOf(trx, repo.id, digest);
          await recordTagMoves(trx, tags.map((tag) => ({ repositoryId: repo.id, tag, digest: null, previous: digest, actor: actorName(ctx), at: at.getTime() })));
          // GC finishes the job: the blobs and child manifests it referenced, the row and the bytes.
          await queueReviews(trx, 'gc_manifest_reviews', repo.id, [digest], 'deleted', at.getTime() + REVIEW_FENCE_MS);
          for (const tag of tags) happened.push({ type: 'untag', repository, tag, digest, at, actor: ctx.actor, requestId: ctx.requestId });
          happened.push({ type: 'delete', target: 'manifest', repository, digest, tags, at, actor: ctx.actor, requestId: ctx.requestId });
          queue.push(...followers);
        }
      }
      await touchRepository(trx, repo.id, at.getTime());
      await this.deps.inTransaction?.(trx, happened);
      return happened;
    });
    for (const event of events) this.deps.bus.emit(event);
  }

  /**
   * Config and layers must be blobs of this repository; an index's children its manifests. A
   * layer that lives elsewhere (non-distributable, or with urls: layerMayBeAbsent) need not be
   * here; when it is, its reference row keeps it as any layer's does (GC, quotas).
   */
  private async checkReferences(repositoryId: number | undefined, facts: ManifestFacts, db: Executor = this.deps.db): Promise<void> {
    const blobs = [...(facts.config ? [facts.config] : []), ...facts.layers.filter((d) => !layerMayBeAbsent(d))].map((d) => d.digest);
    const children = facts.manifests.map((d) => d.digest);
    const haveBlobs = repositoryId === undefined ? new Set<string>() : await linkedDigests(db, repositoryId, blobs);
    const haveManifests = repositoryId === undefined ? new Set<string>() : await linkedManifestDigests(db, repositoryId, children);
    const missing = [...blobs.filter((d) => !haveBlobs.has(d)), ...children.filter((d) => !haveManifests.has(d))];
    if (missing.length) {
      throw new RegistryError('MANIFEST_BLOB_UNKNOWN', { missing: [...new Set(missing)].slice(0, 20) }, {
        message: `manifest references ${missing.length === 1 ? 'a blob or manifest' : `${missing.length} blobs or manifests`} unknown to this repository: ${missing[0]}`,
      });
    }
  }
}

/** Cosign's tag suffixes for what it attaches to an image (signature, attestation, SBOM). */
const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** The manifests that follow `digest` in the repository: its referrers and its cosign tags' manifests. */
async function followersOf(db: Executor, repositoryId: number, digest: string): Promise<string[]> {
  const referrers = await db.selectFrom('repository_manifests').select('digest').where('repository_id', '=', repositoryId).where('subject_digest', '=', digest).execute();
  const cosignTags = COSIGN_SUFFIXES.map((s) => `${digest.replace(':', '-')}.${s}`);
  const tagged = await db.selectFrom('tags').select('digest').where('repository_id', '=', repositoryId).where('name', 'in', cosignTags).execute();
  return [...new Set([...referrers, ...tagged].map((r) => r.digest))].filter((d) => d !== digest);
}

/** The blobs and manifests a manifest references (locked while it is stored). */
function referencedDigests(facts: ManifestFacts): string[] {
  return [...(facts.config ? [facts.config.digest] : []), ...facts.layers.map((l) => l.digest), ...facts.manifests.map((m) => m.digest)];
}

/** The name tag history records for whoever made a change. */
function actorName(ctx: RequestContext): string {
  return ctx.actor.name ?? 'anonymous';
}

function toRecord(digest: string, size: number, facts: ManifestFacts): ManifestRecord {
  const refs: ManifestRecord['refs'][number][] = [];
  if (facts.config) refs.push({ kind: 'config', digest: facts.config.digest, mediaType: facts.config.mediaType, size: facts.config.size });
  for (const l of facts.layers) refs.push({ kind: 'layer', digest: l.digest, mediaType: l.mediaType, size: l.size });
  for (const m of facts.manifests) refs.push({ kind: 'manifest', digest: m.digest, mediaType: m.mediaType, size: m.size, platform: m.platform });
  return {
    digest,
    mediaType: facts.mediaType,
    artifactType: facts.artifactType,
    subjectDigest: facts.subject?.digest,
    configDigest: facts.config?.digest,
    size,
    annotations: facts.annotations,
    refs,
  };
}
