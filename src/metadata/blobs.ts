// Blob rows and per-repository blob links.
import { IN_LIST_MAX, slices } from './batches.ts';
import { compiledOnce, compiledWrite } from './compiled.ts';
import type { Executor } from './executor.ts';

export interface LinkedBlob {
  readonly digest: string;
  readonly size: number;
}

export interface LinkedBlobRow extends LinkedBlob {
  /** When GC reviews this link, if it is queued (null nearly always). */
  readonly review_after: number | null;
}

/** The blob, if this repository links it (a link is access). */
export async function findLinkedBlob(db: Executor, repositoryId: number, digest: string): Promise<LinkedBlobRow | undefined> {
  return linkedBlob(db, repositoryId, digest);
}

// The blob HEAD's and GET's query: compiled once (compiled.ts), with the link's GC review time if queued.
const linkedBlob = compiledOnce((db: Executor, repositoryId: number, digest: string) => db.selectFrom('repository_blobs as rb')
  .innerJoin('blobs as b', 'b.digest', 'rb.digest')
  .leftJoin('gc_blob_reviews as r', (j) => j.onRef('r.repository_id', '=', 'rb.repository_id').onRef('r.digest', '=', 'rb.digest'))
  .select(['b.digest', 'b.size', 'r.review_after'])
  .where('rb.repository_id', '=', repositoryId)
  .where('rb.digest', '=', digest));

export async function findBlob(db: Executor, digest: string): Promise<LinkedBlob | undefined> {
  return db.selectFrom('blobs').select(['digest', 'size']).where('digest', '=', digest).executeTakeFirst();
}

/** Records a committed blob (idempotent: the same content pushed twice is one row). */
export async function insertBlob(db: Executor, digest: string, size: number, now: number): Promise<void> {
  await insertBlobRow(db, digest, size, now);
}

export async function linkBlob(db: Executor, repositoryId: number, digest: string, now: number): Promise<void> {
  await linkBlobRow(db, repositoryId, digest, now);
}

// Every blob push runs these (compiled once: compiled.ts).
const insertBlobRow = compiledWrite((db: Executor, digest: string, size: number, now: number) =>
  db.insertInto('blobs').values({ digest, size, created_at: now }).onConflict((oc) => oc.column('digest').doNothing()));
const linkBlobRow = compiledWrite((db: Executor, repositoryId: number, digest: string, now: number) =>
  db.insertInto('repository_blobs')
    .values({ repository_id: repositoryId, digest, created_at: now })
    .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing()));

/** Removes a repository's link; returns whether there was one. The bytes stay until GC. */
export async function unlinkBlob(db: Executor, repositoryId: number, digest: string): Promise<boolean> {
  const r = await db.deleteFrom('repository_blobs').where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Which of these digests this repository links. */
export async function linkedDigests(db: Executor, repositoryId: number, digests: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const batch of slices([...new Set(digests)], IN_LIST_MAX)) {
    const rows = await db.selectFrom('repository_blobs').select('digest')
      .where('repository_id', '=', repositoryId).where('digest', 'in', batch).execute();
    for (const r of rows) found.add(r.digest);
  }
  return found;
}
