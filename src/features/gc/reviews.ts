// One candidate's review, inside the transaction that also deletes it (DESIGN.md, Where truth
// lives): the candidate is locked, re-checked against every fact that keeps it, and only then are
// its rows deleted. What it referenced becomes a candidate in turn; bytes go to the durable
// deletion queue, to be removed after the rows (the DB never points at missing bytes).
import { sql } from 'kysely';
import type { Executor } from '../../metadata/executor.ts';
import { lockDigests, queueReviews } from '../../metadata/gc-queues.ts';
import { deleteSignaturesOf } from '../../metadata/signatures.ts';
import { recordTagMoves } from '../../metadata/tags.ts';

export interface ReviewRules {
  readonly now: number;
  /** Candidates due by then are reviewed (now; a dry run looks as far ahead as a real pass waits). */
  readonly dueBy: number;
  /** When what a review makes a candidate may be reviewed (now plus the lookup fence). */
  readonly cascadeAt: number;
  /** Links younger than this (an upload, a mount, a push) are kept: a push may be on its way. */
  readonly protectMs: number;
  readonly byteDeleteDelayMs: number;
  readonly untaggedManifests: boolean;
  readonly keepTagHistory: number;
  /** When this instance last saw the link looked up (registry/touches.ts), if recently. */
  touchedAt(table: 'gc_manifest_reviews' | 'gc_blob_reviews', repositoryId: number, digest: string): number | undefined;
}

export interface ReviewOutcome {
  /** Manifests collected: links removed here, or rows removed after an explicit delete. */
  manifests: number;
  /** Blob rows removed (the bytes follow through the deletion queue). */
  blobs: number;
  /** Bytes queued for deletion (blobs and manifests whose rows went). */
  bytes: number;
  /** Digests whose manifest rows went (the manifest cache forgets them). */
  readonly goneManifests: string[];
}

export function emptyOutcome(): ReviewOutcome {
  return { manifests: 0, blobs: 0, bytes: 0, goneManifests: [] };
}

/** How often a manifest kept only by tag history is looked at again. */
const HISTORY_RECHECK_MS = 3_600_000;

const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** Reviews the manifest link (repositoryId, digest); returns whether the review row is done. */
export async function reviewManifest(trx: Executor, rules: ReviewRules, repositoryId: number, digest: string, out: ReviewOutcome): Promise<void> {
  await lockDigests(trx, [digest]);
  if (!(await stillDue(trx, 'gc_manifest_reviews', repositoryId, digest, rules.dueBy))) return;
  const link = await trx.selectFrom('repository_manifests').select(['pushed_at', 'subject_digest'])
    .where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst();
  if (link) {
    const keep = await manifestKeeper(trx, rules, repositoryId, digest, link);
    if (keep !== false) {
      if (keep === true) await dropReview(trx, 'gc_manifest_reviews', repositoryId, digest);
      else await trx.updateTable('gc_manifest_reviews').set({ review_after: keep }).where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
      return;
    }
    // What follows the image goes with it: cosign's sha256-<hex>.sig/.att/.sbom tags (their
    // manifests become candidates whose subject is gone) and extension signatures.
    const cosignTags = COSIGN_SUFFIXES.map((s) => `${digest.replace(':', '-')}.${s}`);
    const followers = await trx.selectFrom('tags').select(['name', 'digest']).where('repository_id', '=', repositoryId).where('name', 'in', cosignTags).execute();
    if (followers.length) {
      await trx.deleteFrom('tags').where('repository_id', '=', repositoryId).where('name', 'in', followers.map((f) => f.name)).execute();
      await recordTagMoves(trx, followers.map((f) => ({ repositoryId, tag: f.name, digest: null, previous: f.digest, actor: 'gc', at: rules.now })));
      await queueReviews(trx, 'gc_manifest_reviews', repositoryId, followers.map((f) => f.digest), 'subject', rules.cascadeAt);
    }
    await trx.deleteFrom('repository_manifests').where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
    await deleteSignaturesOf(trx, repositoryId, digest);
    out.manifests++;
  }
  // The link is gone (now, or by an explicit delete): what it referenced is reviewed in turn.
  const refs = await trx.selectFrom('manifest_refs').select(['kind', 'child_digest']).where('manifest_digest', '=', digest).execute();
  const blobs = refs.filter((r) => r.kind !== 'manifest').map((r) => r.child_digest);
  const children = refs.filter((r) => r.kind === 'manifest').map((r) => r.child_digest);
  if (blobs.length) await queueReviews(trx, 'gc_blob_reviews', repositoryId, blobs, 'manifest', rules.cascadeAt);
  if (children.length) await queueReviews(trx, 'gc_manifest_reviews', repositoryId, children, 'index', rules.cascadeAt);
  const referrers = await trx.selectFrom('repository_manifests').select('digest').where('repository_id', '=', repositoryId).where('subject_digest', '=', digest).execute();
  if (referrers.length) await queueReviews(trx, 'gc_manifest_reviews', repositoryId, referrers.map((r) => r.digest), 'subject', rules.cascadeAt);
  // The last link anywhere: the row goes (its references cascade), then the bytes, unless the same
  // bytes are also a blob.
  const linked = await trx.selectFrom('repository_manifests').select('repository_id').where('digest', '=', digest).limit(1).executeTakeFirst();
  if (!linked) {
    const row = await trx.selectFrom('manifests').select('size').where('digest', '=', digest).executeTakeFirst();
    if (row) {
      await trx.deleteFrom('manifest_refs').where('manifest_digest', '=', digest).execute();
      await trx.deleteFrom('manifests').where('digest', '=', digest).execute();
      out.goneManifests.push(digest);
      if (!link) out.manifests++;
      if (!(await trx.selectFrom('blobs').select('digest').where('digest', '=', digest).executeTakeFirst())) {
        await queueByteDelete(trx, digest, row.size, rules.now + rules.byteDeleteDelayMs);
        out.bytes += row.size;
      }
    }
  }
  await dropReview(trx, 'gc_manifest_reviews', repositoryId, digest);
}

/**
 * Whether a linked manifest is kept: true (kept for good, as things stand), a time (kept until
 * then: young or just looked up), or false (collect it).
 */
async function manifestKeeper(trx: Executor, rules: ReviewRules, repositoryId: number, digest: string, link: { pushed_at: number; subject_digest: string | null }): Promise<true | number | false> {
  const tagged = await trx.selectFrom('tags').select('name').where('repository_id', '=', repositoryId).where('digest', '=', digest).limit(1).executeTakeFirst();
  if (tagged) return true;
  const inIndex = await trx.selectFrom('manifest_refs as mr')
    .innerJoin('repository_manifests as rm', (j) => j.onRef('rm.digest', '=', 'mr.manifest_digest').on('rm.repository_id', '=', repositoryId))
    .select('mr.manifest_digest').where('mr.child_digest', '=', digest).where('mr.kind', '=', 'manifest').limit(1).executeTakeFirst();
  if (inIndex) return true;
  const protectedUntil = Math.max(link.pushed_at, rules.touchedAt('gc_manifest_reviews', repositoryId, digest) ?? 0) + rules.protectMs;
  if (protectedUntil > rules.now) return protectedUntil;
  if (link.subject_digest !== null) {
    // A referrer (signature, SBOM, attestation) lives as long as its subject does here.
    const subject = await trx.selectFrom('repository_manifests').select('digest').where('repository_id', '=', repositoryId).where('digest', '=', link.subject_digest).executeTakeFirst();
    return subject ? true : false;
  }
  if (!rules.untaggedManifests) return true;
  // Kept for rollback while it is among a tag's last K moves; reviewed again later, since the
  // move that pushes it out of the window does not queue it.
  if (rules.keepTagHistory > 0 && (await inRecentHistory(trx, repositoryId, digest, rules.keepTagHistory))) return rules.now + Math.max(rules.protectMs, HISTORY_RECHECK_MS);
  return false;
}

/** Whether the manifest is among the last K history entries of a tag that still exists here (rollback). */
async function inRecentHistory(trx: Executor, repositoryId: number, digest: string, k: number): Promise<boolean> {
  const entries = await trx.selectFrom('tag_history as h')
    .innerJoin('tags as t', (j) => j.onRef('t.repository_id', '=', 'h.repository_id').onRef('t.name', '=', 'h.tag'))
    .select(['h.tag', 'h.id'])
    .where('h.repository_id', '=', repositoryId)
    .where((eb) => eb.or([eb('h.digest', '=', digest), eb('h.previous', '=', digest)]))
    .execute();
  for (const e of entries) {
    const newer = await trx.selectFrom('tag_history').select(sql<number>`count(*)`.as('n'))
      .where('repository_id', '=', repositoryId).where('tag', '=', e.tag).where('id', '>', e.id).executeTakeFirstOrThrow();
    if (Number(newer.n) < k) return true;
  }
  return false;
}

/** Reviews the blob link (repositoryId, digest), or only the blob row when repositoryId is 0. */
export async function reviewBlob(trx: Executor, rules: ReviewRules, repositoryId: number, digest: string, out: ReviewOutcome): Promise<void> {
  await lockDigests(trx, [digest]);
  if (!(await stillDue(trx, 'gc_blob_reviews', repositoryId, digest, rules.dueBy))) return;
  if (repositoryId !== 0) {
    const link = await trx.selectFrom('repository_blobs').select('created_at').where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst();
    if (link) {
      const used = await trx.selectFrom('manifest_refs as mr')
        .innerJoin('repository_manifests as rm', (j) => j.onRef('rm.digest', '=', 'mr.manifest_digest').on('rm.repository_id', '=', repositoryId))
        .select('mr.manifest_digest').where('mr.child_digest', '=', digest).where('mr.kind', '!=', 'manifest').limit(1).executeTakeFirst();
      if (used) return dropReview(trx, 'gc_blob_reviews', repositoryId, digest);
      const protectedUntil = Math.max(link.created_at, rules.touchedAt('gc_blob_reviews', repositoryId, digest) ?? 0) + rules.protectMs;
      if (protectedUntil > rules.now) {
        await trx.updateTable('gc_blob_reviews').set({ review_after: protectedUntil }).where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
        return;
      }
      await trx.deleteFrom('repository_blobs').where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
    }
  }
  const linked = await trx.selectFrom('repository_blobs').select('repository_id').where('digest', '=', digest).limit(1).executeTakeFirst();
  if (!linked) {
    const row = await trx.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst();
    if (row) {
      await trx.deleteFrom('blobs').where('digest', '=', digest).execute();
      out.blobs++;
      // The same bytes may also be a manifest (someone uploaded a manifest as a blob): they stay.
      if (!(await trx.selectFrom('manifests').select('digest').where('digest', '=', digest).executeTakeFirst())) {
        await queueByteDelete(trx, digest, row.size, rules.now + rules.byteDeleteDelayMs);
        out.bytes += row.size;
      }
    }
  }
  await dropReview(trx, 'gc_blob_reviews', repositoryId, digest);
}

/**
 * Under the lock: whether the candidate is still queued and due. Another instance may have
 * reviewed it since it was picked, or a lookup postponed it (a HEAD, a flush of lookups).
 */
async function stillDue(trx: Executor, table: 'gc_manifest_reviews' | 'gc_blob_reviews', repositoryId: number, digest: string, now: number): Promise<boolean> {
  const row = await trx.selectFrom(table).select('review_after').where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst();
  return row !== undefined && Number(row.review_after) <= now;
}

async function dropReview(trx: Executor, table: 'gc_manifest_reviews' | 'gc_blob_reviews', repositoryId: number, digest: string): Promise<void> {
  await trx.deleteFrom(table).where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
}

async function queueByteDelete(trx: Executor, digest: string, size: number, due: number): Promise<void> {
  await trx.insertInto('gc_byte_deletes').values({ digest, size, due_at: due, done_at: null })
    .onConflict((oc) => oc.column('digest').doUpdateSet({ size, due_at: due, done_at: null, attempts: 0 }))
    .execute();
}
