// Repository rows: find, create on first write, and the catalog page.
import type { Executor } from './executor.ts';
import { queueReviews, REVIEW_FENCE_MS } from './gc-queues.ts';

export interface RepositoryRow {
  readonly id: number;
  readonly name: string;
  readonly project: string;
}

export async function findRepository(db: Executor, name: string): Promise<RepositoryRow | undefined> {
  return db.selectFrom('repositories').select(['id', 'name', 'project']).where('name', '=', name).executeTakeFirst();
}

/** Returns the repository, creating it on first use (a push, upload or mount). */
export async function ensureRepository(db: Executor, name: string, project: string, now: number): Promise<RepositoryRow> {
  const existing = await findRepository(db, name);
  if (existing) return existing;
  await db.insertInto('repositories')
    .values({ name, project, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await findRepository(db, name);
  if (!row) throw new Error(`repository ${name} vanished after insert`);
  return row;
}

/**
 * Marks a change to the repository's manifests or tags. updated_at only ever grows (by at least
 * 1 per change, even within one millisecond), so it doubles as a version that any instance can
 * compare against a cached tag list.
 */
export async function touchRepository(db: Executor, id: number, now: number): Promise<void> {
  await db.updateTable('repositories')
    .set((eb) => ({ updated_at: eb.case().when('updated_at', '>=', now).then(eb('updated_at', '+', 1)).else(now).end() }))
    .where('id', '=', id)
    .execute();
}

/** The repository's version (see touchRepository). */
export async function repositoryVersion(db: Executor, id: number): Promise<number | undefined> {
  const row = await db.selectFrom('repositories').select('updated_at').where('id', '=', id).executeTakeFirst();
  return row?.updated_at;
}

/** One catalog page: names after `last`, sorted bytewise, at most `limit`. */
export async function listRepositoryNames(db: Executor, limit: number, last?: string): Promise<string[]> {
  let q = db.selectFrom('repositories').select('name').orderBy('name').limit(limit);
  if (last !== undefined) q = q.where('name', '>', last);
  return (await q.execute()).map((r) => r.name);
}

/**
 * One catalog page in the catalog's order: canonical names, sorted bytewise by the short name a
 * client uses (shortRepositoryName: library/tiny sorts as "tiny"), after `last` (a short name),
 * at most `limit`. Index range reads merged: the official single names (whose short names keep
 * their order, sharing one prefix), the names before and after library/, and the rare deeper
 * names under library/ (library/a/b), read only when the page reaches where they sort.
 */
export async function listCatalogNames(db: Executor, limit: number, last?: string): Promise<string[]> {
  const names = async (range: (q: ReturnType<typeof base>) => ReturnType<typeof base>) => (await range(base()).execute()).map((r) => r.name);
  const base = () => db.selectFrom('repositories').select('name').orderBy('name').limit(limit);
  const after = (q: ReturnType<typeof base>, bound: string | undefined) => (bound === undefined ? q : q.where('name', '>', bound));
  // "library/" up to "library0" ('0' follows '/') is exactly the names under library/.
  const [before, beyond, singles] = await Promise.all([
    names((q) => after(q.where('name', '<', 'library/'), last)),
    names((q) => after(q.where('name', '>=', 'library0'), last)),
    names((q) => after(q.where('name', '>=', 'library/').where('name', '<', 'library0').where('name', 'not like', 'library/%/%'), last === undefined ? undefined : `library/${last}`)),
  ]);
  let page = mergeByShortName([...before, ...beyond], singles, limit);
  // Deeper names under library/ sort as themselves, between "library/" and "library0".
  const reaches = page.length < limit || catalogOrderName(page[page.length - 1]!) >= 'library/';
  if (reaches && (last === undefined || last < 'library0')) {
    const deep = await names((q) => after(q.where('name', '>=', 'library/').where('name', '<', 'library0').where('name', 'like', 'library/%/%'), last !== undefined && last > 'library/' ? last : undefined));
    // before < deep < beyond by name: one sorted list.
    if (deep.length) page = mergeByShortName([...before, ...deep, ...beyond], singles, limit);
  }
  return page;
}

/** The name a catalog entry sorts by (core/reference.ts shortRepositoryName, kept here to stay in metadata/). */
function catalogOrderName(name: string): string {
  return name.startsWith('library/') && !name.slice(8).includes('/') ? name.slice(8) : name;
}

/** Merges two lists sorted by catalogOrderName; names are ASCII, so < is bytewise. */
function mergeByShortName(a: readonly string[], b: readonly string[], limit: number): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && catalogOrderName(a[i]!) < catalogOrderName(b[j]!))) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/** The names of a project's repositories. */
export async function repositoryNamesOfProject(db: Executor, project: string): Promise<string[]> {
  return (await db.selectFrom('repositories').select('name').where('project', '=', project).orderBy('name').execute()).map((r) => r.name);
}

/**
 * Deletes a project's repositories; their tags, blob and manifest links, uploads and stars go with
 * them (foreign keys cascade), so nothing of them is reachable by the name again. The bytes stay
 * for garbage collection. Returns how many were deleted.
 */
export async function deleteRepositoriesOfProject(db: Executor, project: string): Promise<number> {
  // What the repositories held becomes garbage: queued for GC's review before the links go.
  const now = Date.now() + REVIEW_FENCE_MS;
  for (const { id } of await db.selectFrom('repositories').select('id').where('project', '=', project).execute()) {
    const manifests = await db.selectFrom('repository_manifests').select('digest').where('repository_id', '=', id).execute();
    await queueReviews(db, 'gc_manifest_reviews', id, manifests.map((m) => m.digest), 'repository', now);
    const blobs = await db.selectFrom('repository_blobs').select('digest').where('repository_id', '=', id).execute();
    await queueReviews(db, 'gc_blob_reviews', 0, blobs.map((b) => b.digest), 'repository', now);
  }
  const r = await db.deleteFrom('repositories').where('project', '=', project).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Every manifest the repository links, those with tags first (a repository delete goes through them one by one). */
export async function manifestDigestsOfRepository(db: Executor, id: number): Promise<string[]> {
  const tagged = await db.selectFrom('tags').select('digest').distinct().where('repository_id', '=', id).orderBy('digest').execute();
  const all = await db.selectFrom('repository_manifests').select('digest').where('repository_id', '=', id).orderBy('digest').execute();
  return [...new Set([...tagged, ...all].map((r) => r.digest))];
}

/**
 * Deletes one repository row, as deleteRepositoriesOfProject does for a project's: what it still
 * links (blobs; manifests pushed meanwhile) is queued for GC's review first, then its tags, links,
 * uploads, stars and history go with the row (foreign keys cascade). The bytes stay for garbage
 * collection. Returns whether the row existed.
 */
export async function deleteRepository(db: Executor, id: number): Promise<boolean> {
  const now = Date.now() + REVIEW_FENCE_MS;
  const manifests = await db.selectFrom('repository_manifests').select('digest').where('repository_id', '=', id).execute();
  await queueReviews(db, 'gc_manifest_reviews', id, manifests.map((m) => m.digest), 'repository', now);
  const blobs = await db.selectFrom('repository_blobs').select('digest').where('repository_id', '=', id).execute();
  await queueReviews(db, 'gc_blob_reviews', 0, blobs.map((b) => b.digest), 'repository', now);
  const r = await db.deleteFrom('repositories').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
