// The garbage collector's review queues and its byte-deletion queue, as the registry fills them
// (in the transactions of its own changes) and as a push protects what it is about to use.
// features/gc empties the queues; keeping the writes here means every candidate is queued even
// while GC is switched off, so enabling it later misses nothing (GitLab's online-GC design).
import { PostgresAdapter, sql } from 'kysely';
import { IN_LIST_MAX, rowsPerInsert, slices } from './batches.ts';
import { compiledOnce, compiledWrite } from './compiled.ts';
import type { Executor } from './executor.ts';

export type ReviewTable = 'gc_manifest_reviews' | 'gc_blob_reviews';

/**
 * How soon a candidate that became one "now" (a lost tag, a delete, what a collected manifest
 * referenced) may be reviewed. Instances flush the lookups they saw (registry/touches.ts) every
 * second; waiting longer than that means a lookup on any instance made before the candidate
 * existed is in the queue by then, and postpones it.
 */
export const REVIEW_FENCE_MS = 2500;

/**
 * Queues (repository, digest) candidates for review after `after` (epoch ms). A candidate already
 * queued keeps the later of its two review times, so a re-queue never hurries a protected one.
 */
export async function queueReviews(db: Executor, table: ReviewTable, repositoryId: number, digests: readonly string[], reason: string, after: number): Promise<void> {
  const rows = [...new Set(digests)].map((digest) => ({ repository_id: repositoryId, digest, review_after: after, reason }));
  for (const batch of slices(rows, rowsPerInsert(4))) {
    await db.insertInto(table).values(batch)
      .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({
        review_after: sql<number>`case when excluded.review_after > ${sql.ref(`${table}.review_after`)} then excluded.review_after else ${sql.ref(`${table}.review_after`)} end`,
        reason: sql<string>`excluded.reason`,
      }))
      .execute();
  }
}

/** A queued blob candidate's review time, if the link is queued (one indexed read; usually none). */
export const blobReviewOf = compiledOnce((db: Executor, repositoryId: number, digest: string) => db.selectFrom('gc_blob_reviews')
  .select('review_after').where('repository_id', '=', repositoryId).where('digest', '=', digest));

export const manifestReviewOf = compiledOnce((db: Executor, repositoryId: number, digest: string) => db.selectFrom('gc_manifest_reviews')
  .select('review_after').where('repository_id', '=', repositoryId).where('digest', '=', digest));

/**
 * Pushes a queued candidate's review back to `until`: a HEAD of a queued blob (a client that
 * found it and is about to reference it in a manifest) renews its protection.
 */
export async function postponeReview(db: Executor, table: ReviewTable, repositoryId: number, digest: string, until: number): Promise<void> {
  await db.updateTable(table).set({ review_after: until })
    .where('repository_id', '=', repositoryId).where('digest', '=', digest).where('review_after', '<', until)
    .execute();
}

const pendingByteDelete = compiledOnce((db: Executor, digest: string) => db.selectFrom('gc_byte_deletes')
  .select(['digest', 'done_at']).where('digest', '=', digest));
const dropByteDelete = compiledWrite((db: Executor, digest: string) => db.deleteFrom('gc_byte_deletes').where('digest', '=', digest));

/**
 * Before a push writes or relies on the bytes of `digest`: a deletion of them that is queued but
 * not yet done is called off (under the digest's lock, which the deleter also takes). One read
 * when nothing is queued, which is nearly always.
 */
export async function callOffByteDelete(db: Executor, digest: string): Promise<void> {
  const queued = await pendingByteDelete(db, digest);
  if (!queued || queued.done_at !== null) return;
  await db.transaction().execute(async (trx) => {
    await lockDigests(trx, [digest]);
    await trx.deleteFrom('gc_byte_deletes').where('digest', '=', digest).where('done_at', 'is', null).execute();
  });
}

/**
 * Inside the transaction that (re)creates rows for `digest` (under its lock): removes a queued
 * deletion or a tombstone of one. Returns true when the bytes were deleted since (a tombstone):
 * the caller must check that its bytes are still there before committing the rows.
 */
export async function settleByteDelete(trx: Executor, digest: string): Promise<boolean> {
  const queued = await pendingByteDelete(trx, digest);
  if (!queued) return false;
  await dropByteDelete(trx, digest);
  return queued.done_at !== null;
}

/**
 * Serialises the registry's writers and the collector on these digests for the rest of the
 * transaction. On SQLite every write transaction is already serial (one connection, one writer);
 * on PostgreSQL this takes transaction-scoped advisory locks, in a fixed order (no deadlocks).
 */
export async function lockDigests(trx: Executor, digests: readonly string[]): Promise<void> {
  if (!(trx.getExecutor().adapter instanceof PostgresAdapter) || digests.length === 0) return;
  for (const batch of slices([...new Set(digests)].sort(), IN_LIST_MAX)) {
    await sql`select pg_advisory_xact_lock(hashtextextended(d, 0)) from unnest(${batch}::text[]) as d order by d`.execute(trx);
  }
}
