// Per-project storage quotas (features/quota, docs/quotas.md): the limit and the 80% warning's
// mark on the project row, and the project's usage computed from the rows the registry's own
// transactions commit, so usage is exactly what is stored:
//   the distinct blobs any repository of the project links (a blob shared by several of its
//   repositories counts once), plus the distinct manifests they link, plus the bytes received
//   so far by the project's open uploads (until they finish, are cancelled or expire).
import { sql } from 'kysely';
import type { Executor } from './executor.ts';

export interface ProjectQuotaRow {
  readonly id: number;
  readonly name: string;
  /** null: no quota. */
  readonly quotaBytes: number | null;
  readonly warnedAt: number | null;
}

export interface ProjectUsage {
  readonly blobs: number;
  readonly manifests: number;
  readonly uploads: number;
  readonly total: number;
}

export async function findProjectQuota(db: Executor, project: string): Promise<ProjectQuotaRow | undefined> {
  const row = await db.selectFrom('projects').select(['id', 'name', 'quota_bytes', 'quota_warned_at']).where('name', '=', project).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: Number(row.id), name: row.name,
    quotaBytes: row.quota_bytes === null ? null : Number(row.quota_bytes),
    warnedAt: row.quota_warned_at === null ? null : Number(row.quota_warned_at),
  };
}

const num = (v: unknown): number => Number(v ?? 0);

/** The project's usage in bytes, from its rows (three indexed aggregates). */
export async function projectUsage(db: Executor, project: string): Promise<ProjectUsage> {
  const reposOf = db.selectFrom('repositories').select('id').where('project', '=', project);
  // One after the other: inside a transaction they share its one connection.
  const blobs = await db.selectFrom('blobs')
    .select(sql<string | number>`coalesce(sum(blobs.size), 0)`.as('bytes'))
    .where('digest', 'in', db.selectFrom('repository_blobs').select('digest').where('repository_id', 'in', reposOf))
    .executeTakeFirst();
  const manifests = await db.selectFrom('manifests')
    .select(sql<string | number>`coalesce(sum(manifests.size), 0)`.as('bytes'))
    .where('digest', 'in', db.selectFrom('repository_manifests').select('digest').where('repository_id', 'in', reposOf))
    .executeTakeFirst();
  const uploads = await db.selectFrom('uploads')
    .select(sql<string | number>`coalesce(sum(uploads.size), 0)`.as('bytes'))
    .where('repository_id', 'in', reposOf)
    .executeTakeFirst();
  const b = num(blobs?.bytes);
  const m = num(manifests?.bytes);
  const u = num(uploads?.bytes);
  return { blobs: b, manifests: m, uploads: u, total: b + m + u };
}

/** Whether any repository of the project links this blob (then it adds nothing to usage). */
export async function projectLinksBlob(db: Executor, project: string, digest: string): Promise<boolean> {
  const row = await db.selectFrom('repository_blobs as rb')
    .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
    .select('rb.repository_id')
    .where('rb.digest', '=', digest)
    .where('r.project', '=', project)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** How many repositories of the project link this manifest. */
export async function projectManifestLinks(db: Executor, project: string, digest: string): Promise<number> {
  const row = await db.selectFrom('repository_manifests as rm')
    .innerJoin('repositories as r', 'r.id', 'rm.repository_id')
    .select(sql<string | number>`count(*)`.as('n'))
    .where('rm.digest', '=', digest)
    .where('r.project', '=', project)
    .executeTakeFirst();
  return num(row?.n);
}

/** The bytes an open upload holds so far (0 when it is gone). */
export async function uploadBytes(db: Executor, id: string): Promise<{ size: number } | undefined> {
  const row = await db.selectFrom('uploads').select('size').where('id', '=', id).executeTakeFirst();
  return row ? { size: Number(row.size) } : undefined;
}

/** Which of these uploads are still open, with their recorded bytes. */
export async function openUploads(db: Executor, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!ids.length) return out;
  for (const r of await db.selectFrom('uploads').select(['id', 'size']).where('id', 'in', [...ids]).execute()) out.set(r.id, Number(r.size));
  return out;
}

export async function setProjectQuota(db: Executor, project: { readonly id: number; readonly name: string }, quotaBytes: number | null, now: number): Promise<void> {
  await db.updateTable('projects').set({ quota_bytes: quotaBytes, updated_at: now }).where('id', '=', project.id).execute();
  for (const listener of quotaListeners) listener(project.name);
}

/** Marks the 80% warning as sent; false when it already was (by this or another instance). */
export async function markQuotaWarned(db: Executor, projectId: number, now: number): Promise<boolean> {
  const r = await db.updateTable('projects').set({ quota_warned_at: now }).where('id', '=', projectId).where('quota_warned_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Re-arms the warning (usage went below 80%, or the quota was removed). */
export async function clearQuotaWarned(db: Executor, projectId: number): Promise<boolean> {
  const r = await db.updateTable('projects').set({ quota_warned_at: null }).where('id', '=', projectId).where('quota_warned_at', 'is not', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

// In-process listeners told that a project's quota changed (the quota feature drops its
// one-second cache of "this project has no quota", so a quota set here applies at once, and
// checks the 80% warning against the new limit).
const quotaListeners = new Set<(project: string) => void>();

export function onQuotaChange(listener: (project: string) => void): () => void {
  quotaListeners.add(listener);
  return () => quotaListeners.delete(listener);
}

export interface ProjectQuotaView {
  /** null: no quota. */
  readonly limitBytes: number | null;
  readonly usedBytes: number;
  /** usedBytes of limitBytes, in percent with one decimal; null without a quota. */
  readonly percent: number | null;
  /** What the usage is made of. */
  readonly usage: { readonly blobs: number; readonly manifests: number; readonly uploads: number };
  /** When the 80% warning was sent (it is sent again only after usage went below 80%). */
  readonly warnedAt: string | null;
}

/** The quota and usage of a project, as the project view shows them. */
export async function projectQuotaView(db: Executor, project: string): Promise<ProjectQuotaView | undefined> {
  const row = await findProjectQuota(db, project);
  if (!row) return undefined;
  const usage = await projectUsage(db, project);
  const limit = row.quotaBytes;
  return {
    limitBytes: limit,
    usedBytes: usage.total,
    percent: limit === null ? null : limit === 0 ? (usage.total > 0 ? 100 : 0) : Math.round((usage.total / limit) * 1000) / 10,
    usage: { blobs: usage.blobs, manifests: usage.manifests, uploads: usage.uploads },
    warnedAt: row.warnedAt === null ? null : new Date(row.warnedAt).toISOString(),
  };
}
