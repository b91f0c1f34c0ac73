// What the repository page reads and writes (docs/discovery.md): the repository with its project
// flags and counts, its description and labels, stars, and one sorted, filtered page of tags with
// the references needed to show each tag's platforms and sizes (only for that page).
import { sql } from 'kysely';
import { IN_LIST_MAX, slices } from './batches.ts';
import type { Executor } from './executor.ts';
import type { Visibility } from './schema.ts';

/**
 * A repository as lists and pages show it: repositories joined with its project's visibility and
 * trusted-content flags, plus its tag count. Search selects the same columns.
 */
export interface RepositorySummaryRow {
  readonly id: number;
  readonly name: string;
  readonly project: string;
  readonly description: string;
  /** One line under the name (migration 017). */
  readonly short_description: string;
  readonly labels: string;
  readonly pull_count: number;
  readonly star_count: number;
  readonly tag_count: number;
  readonly updated_at: number;
  readonly last_pulled_at: number | null;
  readonly visibility: Visibility;
  readonly verified: number;
  readonly sponsored: number;
}

export interface RepositoryPageRow extends RepositorySummaryRow {
  readonly last_pushed_at: number | null;
}

export async function findRepositoryPage(db: Executor, name: string): Promise<RepositoryPageRow | undefined> {
  const row = await db.selectFrom('repositories as r')
    .innerJoin('projects as p', 'p.name', 'r.project')
    .select((eb) => [
      'r.id', 'r.name', 'r.project', 'r.description', 'r.short_description', 'r.labels', 'r.pull_count', 'r.star_count', 'r.updated_at', 'r.last_pulled_at',
      'p.visibility', 'p.verified', 'p.sponsored',
      eb.selectFrom('tags as t').select((e) => e.fn.countAll<number>().as('n')).whereRef('t.repository_id', '=', 'r.id').as('tag_count'),
      eb.selectFrom('repository_manifests as rm').select((e) => e.fn.max('rm.pushed_at').as('m')).whereRef('rm.repository_id', '=', 'r.id').as('last_pushed_at'),
    ])
    .where('r.name', '=', name)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...row,
    pull_count: Number(row.pull_count),
    star_count: Number(row.star_count),
    tag_count: Number(row.tag_count ?? 0),
    updated_at: Number(row.updated_at),
    last_pulled_at: row.last_pulled_at === null ? null : Number(row.last_pulled_at),
    last_pushed_at: row.last_pushed_at === null || row.last_pushed_at === undefined ? null : Number(row.last_pushed_at),
  };
}

/** The tag a pull command names: "latest" if present, else the most recently pushed tag. */
export async function pullCommandTag(db: Executor, repositoryId: number): Promise<string | undefined> {
  const latest = await db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId).where('name', '=', 'latest').executeTakeFirst();
  if (latest) return latest.name;
  const newest = await db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId)
    .orderBy('updated_at', 'desc').orderBy('name').limit(1).executeTakeFirst();
  return newest?.name;
}

export async function updateRepositoryInfo(db: Executor, id: number, changes: { description?: string; short_description?: string; labels?: string }): Promise<void> {
  if (changes.description === undefined && changes.short_description === undefined && changes.labels === undefined) return;
  await db.updateTable('repositories').set(changes).where('id', '=', id).execute();
}

export async function isStarred(db: Executor, userId: number, repositoryId: number): Promise<boolean> {
  const row = await db.selectFrom('stars').select('user_id').where('user_id', '=', userId).where('repository_id', '=', repositoryId).executeTakeFirst();
  return row !== undefined;
}

/** Stars (on) or unstars (off); star_count changes in the same transaction, only when the row did. Returns the new count. */
export async function setStar(db: Executor, userId: number, repositoryId: number, on: boolean, now: number): Promise<number> {
  const change = async (trx: Executor): Promise<number> => {
    let changed: number;
    if (on) {
      const r = await trx.insertInto('stars').values({ user_id: userId, repository_id: repositoryId, created_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'repository_id']).doNothing()).executeTakeFirst();
      changed = Number(r.numInsertedOrUpdatedRows ?? 0n) > 0 ? 1 : 0;
    } else {
      const r = await trx.deleteFrom('stars').where('user_id', '=', userId).where('repository_id', '=', repositoryId).executeTakeFirst();
      changed = Number(r.numDeletedRows) > 0 ? -1 : 0;
    }
    if (changed !== 0) {
      await trx.updateTable('repositories').set((eb) => ({ star_count: eb('star_count', '+', changed) })).where('id', '=', repositoryId).execute();
    }
    const row = await trx.selectFrom('repositories').select('star_count').where('id', '=', repositoryId).executeTakeFirst();
    return Number(row?.star_count ?? 0);
  };
  return db.isTransaction ? change(db) : db.transaction().execute(change);
}

export type TagSort = 'name' | 'pushed' | 'pulled';

export interface TagPageQuery {
  /** Case-insensitive substring of the tag name. */
  readonly q?: string;
  readonly sort: TagSort;
  readonly order: 'asc' | 'desc';
  readonly offset: number;
  readonly limit: number;
}

export interface TagPageRow {
  readonly name: string;
  readonly digest: string;
  readonly updated_at: number;
  readonly pull_count: number;
  readonly last_pulled_at: number | null;
  readonly media_type: string;
  readonly artifact_type: string | null;
  readonly config_digest: string | null;
}

/** One page of tags, sorted and filtered in SQL, with the total that matched. */
export async function listTagPage(db: Executor, repositoryId: number, query: TagPageQuery): Promise<{ total: number; rows: TagPageRow[] }> {
  let base = db.selectFrom('tags as t').innerJoin('manifests as m', 'm.digest', 't.digest').where('t.repository_id', '=', repositoryId);
  if (query.q) {
    const pattern = `%${query.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    base = base.where(sql<boolean>`lower(t.name) like ${pattern} escape '\\'`);
  }
  const counted = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const column = query.sort === 'name' ? 't.name' : query.sort === 'pushed' ? 't.updated_at' : 't.pull_count';
  let page = base.select(['t.name', 't.digest', 't.updated_at', 't.pull_count', 't.last_pulled_at', 'm.media_type', 'm.artifact_type', 'm.config_digest'])
    .orderBy(column, query.order);
  if (column !== 't.name') page = page.orderBy('t.name', 'asc');
  const rows = await page.limit(query.limit).offset(query.offset).execute();
  return {
    total: Number(counted?.n ?? 0),
    rows: rows.map((r) => ({
      ...r,
      updated_at: Number(r.updated_at),
      pull_count: Number(r.pull_count),
      last_pulled_at: r.last_pulled_at === null ? null : Number(r.last_pulled_at),
    })),
  };
}

/** One tag in the shape of a page row. */
export async function findTagPageRow(db: Executor, repositoryId: number, tag: string): Promise<TagPageRow | undefined> {
  const r = await db.selectFrom('tags as t').innerJoin('manifests as m', 'm.digest', 't.digest')
    .select(['t.name', 't.digest', 't.updated_at', 't.pull_count', 't.last_pulled_at', 'm.media_type', 'm.artifact_type', 'm.config_digest'])
    .where('t.repository_id', '=', repositoryId).where('t.name', '=', tag)
    .executeTakeFirst();
  return r && { ...r, updated_at: Number(r.updated_at), pull_count: Number(r.pull_count), last_pulled_at: r.last_pulled_at === null ? null : Number(r.last_pulled_at) };
}

export interface RefRow {
  readonly manifest_digest: string;
  readonly position: number;
  readonly kind: 'config' | 'layer' | 'manifest';
  readonly child_digest: string;
  readonly media_type: string;
  readonly size: number;
  readonly platform: string | null;
}

/** The references of these manifests, in order. */
export async function manifestRefs(db: Executor, digests: readonly string[]): Promise<RefRow[]> {
  const out: RefRow[] = [];
  // Each manifest's rows stay in position order (callers group them by manifest).
  for (const batch of slices([...new Set(digests)].sort(), IN_LIST_MAX)) {
    const rows = await db.selectFrom('manifest_refs')
      .select(['manifest_digest', 'position', 'kind', 'child_digest', 'media_type', 'size', 'platform'])
      .where('manifest_digest', 'in', batch)
      .orderBy('manifest_digest').orderBy('position')
      .execute();
    for (const r of rows) out.push({ ...r, size: Number(r.size), position: Number(r.position) });
  }
  return out;
}
