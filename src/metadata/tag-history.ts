// Reads of tag_history (the registry writes one row per tag move, in the move's transaction):
// a tag's moves newest first, paged by id, for `berth tag history`, the API and rollback.
import type { Executor } from './executor.ts';

export interface TagHistoryRow {
  readonly id: number;
  readonly tag: string;
  /** The digest the tag pointed at after the move; null when it was deleted. */
  readonly digest: string | null;
  /** The digest before; null when the tag was new. */
  readonly previous: string | null;
  readonly actor: string;
  readonly at: number;
}

const COLUMNS = ['id', 'tag', 'digest', 'previous', 'actor', 'at'] as const;

function row(r: { id: number; tag: string; digest: string | null; previous: string | null; actor: string; at: number }): TagHistoryRow {
  return { id: Number(r.id), tag: r.tag, digest: r.digest, previous: r.previous, actor: r.actor, at: Number(r.at) };
}

/** The tag's moves, newest first: at most `limit`, older than the move `before` (an id) when given. */
export async function tagHistory(db: Executor, repositoryId: number, tag: string, limit: number, before?: number): Promise<TagHistoryRow[]> {
  let q = db.selectFrom('tag_history').select(COLUMNS).where('repository_id', '=', repositoryId).where('tag', '=', tag).orderBy('id', 'desc').limit(limit);
  if (before !== undefined) q = q.where('id', '<', before);
  return (await q.execute()).map(row);
}

/** How many moves of the tag are recorded. */
export async function tagHistoryCount(db: Executor, repositoryId: number, tag: string): Promise<number> {
  const r = await db.selectFrom('tag_history').select((eb) => eb.fn.countAll<number>().as('n')).where('repository_id', '=', repositoryId).where('tag', '=', tag).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The last move of the tag to `digest` (when it was pushed or moved there, and by whom). */
export async function lastMoveTo(db: Executor, repositoryId: number, tag: string, digest: string): Promise<TagHistoryRow | undefined> {
  const r = await db.selectFrom('tag_history').select(COLUMNS).where('repository_id', '=', repositoryId).where('tag', '=', tag).where('digest', '=', digest)
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r && row(r);
}

/** Which of these digests the repository still links (a rollback target must be one). */
export async function linkedOf(db: Executor, repositoryId: number, digests: readonly string[]): Promise<Set<string>> {
  if (!digests.length) return new Set();
  const rows = await db.selectFrom('repository_manifests').select('digest').where('repository_id', '=', repositoryId).where('digest', 'in', [...new Set(digests)].slice(0, 1000)).execute();
  return new Set(rows.map((r) => r.digest));
}

/**
 * When and by whom the manifest was last deleted from the repository: the audit log's delete entry
 * (a delete by digest), else the tag history's (a tag deleted with it).
 */
export async function lastDeletionOf(db: Executor, repositoryId: number, repository: string, digest: string): Promise<{ at: number; actor: string } | undefined> {
  const audited = await db.selectFrom('audit_log').select(['at', 'actor']).where('repository', '=', repository).where('action', '=', 'delete').where('reference', '=', digest)
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (audited) return { at: Number(audited.at), actor: audited.actor };
  const r = await db.selectFrom('tag_history').select(['at', 'actor']).where('repository_id', '=', repositoryId).where('previous', '=', digest).where('digest', 'is', null)
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r && { at: Number(r.at), actor: r.actor };
}
