// Tag rows: resolve, set, delete, and the sorted, paged tag list.
import type { Executor } from './executor.ts';

export async function resolveTag(db: Executor, repositoryId: number, tag: string): Promise<string | undefined> {
  const row = await db.selectFrom('tags').select('digest').where('repository_id', '=', repositoryId).where('name', '=', tag).executeTakeFirst();
  return row?.digest;
}

/** Points tag at digest; returns the digest it pointed at before, if any. */
export async function setTag(db: Executor, repositoryId: number, tag: string, digest: string, now: number): Promise<string | undefined> {
  const previous = await resolveTag(db, repositoryId, tag);
  if (previous === digest) {
    await db.updateTable('tags').set({ updated_at: now }).where('repository_id', '=', repositoryId).where('name', '=', tag).execute();
    return previous;
  }
  await db.insertInto('tags')
    .values({ repository_id: repositoryId, name: tag, digest, updated_at: now })
    .onConflict((oc) => oc.columns(['repository_id', 'name']).doUpdateSet({ digest, updated_at: now }))
    .execute();
  return previous;
}

export async function deleteTag(db: Executor, repositoryId: number, tag: string): Promise<string | undefined> {
  const previous = await resolveTag(db, repositoryId, tag);
  if (previous === undefined) return undefined;
  await db.deleteFrom('tags').where('repository_id', '=', repositoryId).where('name', '=', tag).execute();
  return previous;
}

/** Deletes every tag of this repository that points at digest; returns their names. */
export async function deleteTagsOf(db: Executor, repositoryId: number, digest: string): Promise<string[]> {
  const rows = await db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
  if (rows.length) await db.deleteFrom('tags').where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
  return rows.map((r) => r.name);
}

/** One page of tag names after `last`, sorted bytewise, at most `limit`. */
export async function listTags(db: Executor, repositoryId: number, limit: number, last?: string): Promise<string[]> {
  let q = db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId).orderBy('name').limit(limit);
  if (last !== undefined) q = q.where('name', '>', last);
  return (await q.execute()).map((r) => r.name);
}

export interface TagMove {
  readonly repositoryId: number;
  readonly tag: string;
  /** The digest the tag points at now; null when it was deleted. */
  readonly digest: string | null;
  /** The digest it pointed at before; null when the tag is new. */
  readonly previous: string | null;
  readonly actor: string;
  readonly at: number;
}

/** Records tag moves in the tag history (in the transaction of the moves themselves). */
export async function recordTagMoves(db: Executor, moves: readonly TagMove[]): Promise<void> {
  if (!moves.length) return;
  await db.insertInto('tag_history')
    .values(moves.map((m) => ({ repository_id: m.repositoryId, tag: m.tag, digest: m.digest, previous: m.previous, actor: m.actor, at: m.at })))
    .execute();
}
