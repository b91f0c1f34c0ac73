// Rows of the retention feature (features/retention): each project's policy, its runs, and the
// project-wide reads a plan needs (every tag with its push and pull times, every manifest link,
// the manifests' sizes, platforms and blobs, and the project's immutability rules).
import { sql } from 'kysely';
import { IN_LIST_MAX, slices } from './batches.ts';
import type { Executor } from './executor.ts';

export interface RetentionPolicyRow {
  readonly project_id: number;
  readonly rules: string;
  readonly schedule: string | null;
  readonly updated_at: number;
  readonly updated_by: string;
}

export async function findRetentionPolicy(db: Executor, projectId: number): Promise<RetentionPolicyRow | undefined> {
  return db.selectFrom('retention_policies').select(['project_id', 'rules', 'schedule', 'updated_at', 'updated_by']).where('project_id', '=', projectId).executeTakeFirst();
}

export async function saveRetentionPolicy(db: Executor, projectId: number, p: { rules: string; schedule: string | null }, now: number, by: string): Promise<void> {
  await db.insertInto('retention_policies').values({ project_id: projectId, rules: p.rules, schedule: p.schedule, updated_at: now, updated_by: by })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ rules: p.rules, schedule: p.schedule, updated_at: now, updated_by: by }))
    .execute();
}

/** Every policy with a schedule, with its project's name (the scheduler's start). */
export async function scheduledPolicies(db: Executor): Promise<{ project_id: number; project: string; schedule: string }[]> {
  const rows = await db.selectFrom('retention_policies as rp').innerJoin('projects as p', 'p.id', 'rp.project_id')
    .select(['rp.project_id', 'p.name as project', 'rp.schedule']).where('rp.schedule', 'is not', null).execute();
  return rows.map((r) => ({ project_id: Number(r.project_id), project: r.project, schedule: r.schedule! }));
}

export interface RetentionRunRow {
  readonly id: number;
  readonly project_id: number;
  readonly trigger: string;
  readonly dry_run: number;
  readonly started_at: number;
  readonly finished_at: number | null;
  readonly tags: number;
  readonly bytes: number;
  readonly plan: string | null;
  readonly error: string | null;
}

export async function insertRetentionRun(db: Executor, r: { projectId: number; trigger: string; dryRun: boolean; startedAt: number }): Promise<number> {
  const row = await db.insertInto('retention_runs')
    .values({ project_id: r.projectId, trigger: r.trigger, dry_run: r.dryRun ? 1 : 0, started_at: r.startedAt })
    .returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function finishRetentionRun(db: Executor, id: number, r: { finishedAt: number; tags: number; bytes: number; plan: string; error: string | null }): Promise<void> {
  await db.updateTable('retention_runs').set({ finished_at: r.finishedAt, tags: r.tags, bytes: r.bytes, plan: r.plan, error: r.error }).where('id', '=', id).execute();
}

/** Keeps the project's newest `keep` runs (a schedule every minute must not grow the table without end). */
export async function pruneRetentionRuns(db: Executor, projectId: number, keep: number): Promise<number> {
  const edge = await db.selectFrom('retention_runs').select('id').where('project_id', '=', projectId).orderBy('id', 'desc').offset(keep).limit(1).executeTakeFirst();
  if (!edge) return 0;
  const r = await db.deleteFrom('retention_runs').where('project_id', '=', projectId).where('id', '<=', Number(edge.id)).executeTakeFirst();
  return Number(r.numDeletedRows);
}

const RUN_COLUMNS = ['id', 'project_id', 'trigger', 'dry_run', 'started_at', 'finished_at', 'tags', 'bytes', 'error'] as const;

/** The project's last runs, newest first, with only the head of their plans (the runner writes its summary first). */
export async function listRetentionRuns(db: Executor, projectId: number, limit: number, before?: number): Promise<(Omit<RetentionRunRow, 'plan'> & { head: string | null })[]> {
  let q = db.selectFrom('retention_runs').select([...RUN_COLUMNS, sql<string | null>`substr(plan, 1, 2000)`.as('head')]).where('project_id', '=', projectId).orderBy('id', 'desc').limit(limit);
  if (before !== undefined) q = q.where('id', '<', before);
  return (await q.execute()).map((r) => ({ ...r, id: Number(r.id), project_id: Number(r.project_id), tags: Number(r.tags), bytes: Number(r.bytes), started_at: Number(r.started_at), finished_at: r.finished_at === null ? null : Number(r.finished_at) }));
}

export async function findRetentionRun(db: Executor, projectId: number, id: number): Promise<RetentionRunRow | undefined> {
  const r = await db.selectFrom('retention_runs').select([...RUN_COLUMNS, 'plan']).where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return r && { ...r, id: Number(r.id), project_id: Number(r.project_id), tags: Number(r.tags), bytes: Number(r.bytes), started_at: Number(r.started_at), finished_at: r.finished_at === null ? null : Number(r.finished_at) };
}

export interface ProjectTagRow {
  readonly repository_id: number;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly updated_at: number;
  readonly last_pulled_at: number | null;
}

/** Every tag of the project's repositories with its push (tags.updated_at) and pull times. */
export async function projectTags(db: Executor, project: string): Promise<ProjectTagRow[]> {
  const rows = await db.selectFrom('tags as t').innerJoin('repositories as r', 'r.id', 't.repository_id')
    .select(['t.repository_id', 'r.name as repository', 't.name as tag', 't.digest', 't.updated_at', 't.last_pulled_at'])
    .where('r.project', '=', project).execute();
  return rows.map((r) => ({ ...r, repository_id: Number(r.repository_id), updated_at: Number(r.updated_at), last_pulled_at: r.last_pulled_at === null ? null : Number(r.last_pulled_at) }));
}

export interface ProjectLinkRow {
  readonly repository_id: number;
  readonly repository: string;
  readonly digest: string;
  readonly subject_digest: string | null;
  readonly pushed_at: number;
}

/** Every manifest link of the project's repositories. */
export async function projectManifestLinks(db: Executor, project: string): Promise<ProjectLinkRow[]> {
  const rows = await db.selectFrom('repository_manifests as rm').innerJoin('repositories as r', 'r.id', 'rm.repository_id')
    .select(['rm.repository_id', 'r.name as repository', 'rm.digest', 'rm.subject_digest', 'rm.pushed_at'])
    .where('r.project', '=', project).execute();
  return rows.map((r) => ({ ...r, repository_id: Number(r.repository_id), pushed_at: Number(r.pushed_at) }));
}

/**
 * Manifest links of the project that garbage collection protects until a time after `now`: pushed
 * untagged or left by a tag within the review delay, or looked up by digest since (a client about
 * to name them in an index). Retention's untagged option leaves these alone too.
 */
export async function projectProtectedManifests(db: Executor, project: string, now: number): Promise<{ repository: string; digest: string; until: number }[]> {
  const rows = await db.selectFrom('gc_manifest_reviews as g').innerJoin('repositories as r', 'r.id', 'g.repository_id')
    .select(['r.name as repository', 'g.digest', 'g.review_after']).where('r.project', '=', project).where('g.review_after', '>', now).execute();
  return rows.map((r) => ({ repository: r.repository, digest: r.digest, until: Number(r.review_after) }));
}

/** The repositories of the project (a repository without tags or links still has a path). */
export async function projectRepositories(db: Executor, project: string): Promise<{ id: number; name: string }[]> {
  return (await db.selectFrom('repositories').select(['id', 'name']).where('project', '=', project).orderBy('name').execute()).map((r) => ({ id: Number(r.id), name: r.name }));
}

export interface ManifestFactsRow {
  readonly digest: string;
  readonly media_type: string;
  readonly size: number;
  readonly refs: { kind: 'config' | 'layer' | 'manifest'; digest: string; size: number }[];
}

/** Media type, size and references (config, layers, platforms) of these manifests. */
export async function manifestFacts(db: Executor, digests: readonly string[]): Promise<Map<string, ManifestFactsRow>> {
  const out = new Map<string, ManifestFactsRow>();
  for (const slice of slices([...new Set(digests)], IN_LIST_MAX)) {
    if (!slice.length) continue;
    for (const m of await db.selectFrom('manifests').select(['digest', 'media_type', 'size']).where('digest', 'in', slice).execute()) {
      out.set(m.digest, { digest: m.digest, media_type: m.media_type, size: Number(m.size), refs: [] });
    }
    const refs = await db.selectFrom('manifest_refs').select(['manifest_digest', 'kind', 'child_digest', 'size', 'position'])
      .where('manifest_digest', 'in', slice).orderBy('manifest_digest').orderBy('position').execute();
    for (const r of refs) out.get(r.manifest_digest)?.refs.push({ kind: r.kind, digest: r.child_digest, size: Number(r.size) });
  }
  return out;
}

/** The project's immutability rules (features/immutable writes them; retention keeps what they cover). */
export async function projectImmutableRules(db: Executor, projectId: number): Promise<{ id: number; repos: string; tags: string }[]> {
  const rows = await db.selectFrom('immutable_rules').select(['id', 'repos', 'tags']).where('project_id', '=', projectId).orderBy('id').execute();
  return rows.map((r) => ({ id: Number(r.id), repos: r.repos, tags: r.tags }));
}
