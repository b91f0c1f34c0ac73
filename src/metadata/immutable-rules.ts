// Rows of tag immutability (features/immutability): per-project rules of a repository pattern
// and a tag pattern (core/tag-rules.ts says what they match).
import type { Executor } from './executor.ts';

export interface ImmutableRuleRow {
  readonly id: number;
  readonly repos: string;
  readonly tags: string;
  readonly created_at: number;
  readonly created_by: string;
}

const COLUMNS = ['immutable_rules.id', 'immutable_rules.repos', 'immutable_rules.tags', 'immutable_rules.created_at', 'immutable_rules.created_by'] as const;

/** A project's rules, oldest first. */
export async function immutableRules(db: Executor, projectId: number): Promise<ImmutableRuleRow[]> {
  const rows = await db.selectFrom('immutable_rules').select(COLUMNS).where('project_id', '=', projectId).orderBy('id').execute();
  return rows.map(normal);
}

/** A project's rules by the project's name (one query: the enforcement path inside every move). */
export async function immutableRulesOfProject(db: Executor, project: string): Promise<ImmutableRuleRow[]> {
  const rows = await db.selectFrom('immutable_rules')
    .innerJoin('projects', 'projects.id', 'immutable_rules.project_id')
    .select(COLUMNS)
    .where('projects.name', '=', project)
    .orderBy('immutable_rules.id')
    .execute();
  return rows.map(normal);
}

export async function insertImmutableRule(db: Executor, projectId: number, rule: { repos: string; tags: string; createdBy: string }, now: number): Promise<ImmutableRuleRow> {
  const row = await db.insertInto('immutable_rules')
    .values({ project_id: projectId, repos: rule.repos, tags: rule.tags, created_at: now, created_by: rule.createdBy })
    .returning(['id', 'repos', 'tags', 'created_at', 'created_by'])
    .executeTakeFirstOrThrow();
  return normal(row);
}

/** Removes the project's rule `id`; false when the project has no such rule. */
export async function deleteImmutableRule(db: Executor, projectId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('immutable_rules').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// The postgres dialect parses int8 to number, but bigserial ids may still arrive as strings.
function normal(r: ImmutableRuleRow): ImmutableRuleRow {
  return { id: Number(r.id), repos: r.repos, tags: r.tags, created_at: Number(r.created_at), created_by: r.created_by };
}
