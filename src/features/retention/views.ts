// The retention feature's answers as the API and the CLI give them (zod schemas: the OpenAPI
// document and the CLI's types come from the same place).
import { z } from 'zod';
import type { RetentionRunRow } from '../../metadata/retention.ts';
import type { TagHistory } from './history.ts';
import type { Plan } from './planner.ts';
import { policyToData } from './rules.ts';
import type { RunResult } from './runner.ts';
import type { StoredPolicy } from './settings.ts';

const PlannedTagSchema = z.object({
  tag: z.string(),
  digest: z.string(),
  pushedAt: z.string(),
  pulledAt: z.string().nullable(),
  reasons: z.array(z.string()).describe('why it is deleted or kept: the rules that keep it, immutable, or "no rule keeps it"'),
});

const RepositoryPlanSchema = z.object({
  repository: z.string(),
  deleteTags: z.array(PlannedTagSchema),
  deleteManifests: z.array(z.object({ digest: z.string(), mediaType: z.string(), size: z.number().int(), pushedAt: z.string(), followers: z.array(z.string()) })).describe('untagged manifests deleted by digest (with the cosign tags that follow them)'),
  keepTags: z.array(PlannedTagSchema).describe('tags in scope that stay'),
  keepManifests: z.array(z.object({ digest: z.string(), reason: z.string() })).describe('untagged manifests kept only by the grace period'),
  outOfScope: z.number().int().describe('tags no rule covers: never touched'),
  bytes: z.number().int(),
});

export const PlanSchema = z.object({
  project: z.string(),
  at: z.string(),
  untagged: z.boolean(),
  repositories: z.array(RepositoryPlanSchema),
  summary: z.object({ tags: z.number().int(), manifests: z.number().int(), bytes: z.number().int(), keptTags: z.number().int(), immutable: z.number().int(), repositories: z.number().int() }),
  text: z.string().describe('"would delete 312 tags, 1.2 GiB"'),
  bytesEstimated: z.literal(true).describe('bytes are those nothing kept in the project references any more; GC frees them once tag history no longer holds them'),
  warnings: z.array(z.string()),
});

export const RunResultSchema = PlanSchema.extend({
  id: z.number().int(),
  trigger: z.enum(['manual', 'schedule', 'cli']),
  dryRun: z.boolean(),
  requestedBy: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  skipped: z.array(z.object({
    repository: z.string(), tag: z.string().optional(), digest: z.string(),
    outcome: z.enum(['immutable', 'moved', 'gone', 'failed']), reason: z.string(),
  })).describe('what the plan held that the run did not delete: refused as immutable, moved since the plan, already gone, or failed'),
  error: z.string().nullable(),
});
export type RunResultView = RunResult;
export type PlanView = Plan;

export const RuleDataSchema = z.record(z.string(), z.unknown()).describe('{repositories?, tags?, and one of mostRecentlyPushed, mostRecentlyPulled, pushedWithinDays, pulledWithinDays, tagsMatching, always}');

export const PolicyViewSchema = z.object({
  project: z.string(),
  policy: z.object({ schedule: z.string().optional(), untagged: z.boolean().optional(), rules: z.array(RuleDataSchema) }).describe('the policy as data (what PUT takes as JSON)'),
  source: z.string().describe('the text it was set with (YAML), comments and all'),
  schedule: z.string().nullable(),
  nextRuns: z.array(z.string()).describe('the next scheduled runs (UTC)'),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
  canChange: z.boolean().describe('whether the caller may change and run it (owners, maintainers, administrators)'),
});
export type PolicyView = z.infer<typeof PolicyViewSchema>;

export const RunSummarySchema = z.object({
  id: z.number().int(),
  trigger: z.string(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  tags: z.number().int().describe('tags and untagged manifests deleted (or, for a dry run, that would be)'),
  bytes: z.number().int(),
  text: z.string().nullable(),
  requestedBy: z.string().nullable(),
  skipped: z.number().int(),
  error: z.string().nullable(),
});
export type RunSummaryView = z.infer<typeof RunSummarySchema>;

export const HistoryEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  from: z.string().nullable().describe('the digest before the move; null when the tag was created'),
  to: z.string().nullable().describe('the digest after; null when the tag was deleted'),
  action: z.enum(['created', 'moved', 'deleted']),
  available: z.boolean().describe('whether "to" is still in the repository (a rollback can go back to it)'),
});

export const TagHistorySchema = z.object({
  repository: z.string(),
  tag: z.string(),
  current: z.string().nullable(),
  total: z.number().int(),
  entries: z.array(HistoryEntrySchema),
  next: z.number().int().nullable().describe('pass as before= for the next, older page'),
});
export type TagHistoryView = TagHistory;

export const RollbackResultSchema = z.object({
  repository: z.string(),
  tag: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  moved: z.boolean().describe('false when the tag already pointed there'),
  steps: z.number().int().optional(),
});
export type RollbackResultView = z.infer<typeof RollbackResultSchema>;

export function policyView(project: string, stored: StoredPolicy, nextRuns: string[], canChange: boolean): PolicyView {
  return {
    project,
    policy: policyToData(stored.policy) as PolicyView['policy'],
    source: stored.source,
    schedule: stored.policy.schedule,
    nextRuns,
    updatedAt: stored.updatedAt === null ? null : new Date(stored.updatedAt).toISOString(),
    updatedBy: stored.updatedBy,
    canChange,
  };
}

/** The first fields of a stored run, which the runner writes before the rest (listRetentionRuns reads only the head). */
export function runHead(result: RunResult): string {
  const { text, requestedBy, ...rest } = result;
  return JSON.stringify({ text, requestedBy, skippedCount: result.skipped.length, ...rest });
}

function field(head: string, name: string): unknown {
  const m = new RegExp(`^\\{(?:[^]*?,)?"${name}":("(?:[^"\\\\]|\\\\.)*"|\\d+)`).exec(head);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as unknown;
  } catch {
    return undefined;
  }
}

export function runSummary(row: Omit<RetentionRunRow, 'plan'> & { head?: string | null; plan?: string | null }): RunSummaryView {
  const head = row.head ?? row.plan ?? '';
  const text = field(head, 'text');
  const requestedBy = field(head, 'requestedBy');
  const skipped = field(head, 'skippedCount');
  return {
    id: row.id, trigger: row.trigger, dryRun: row.dry_run === 1, startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(), tags: row.tags, bytes: row.bytes,
    text: typeof text === 'string' ? text : null, requestedBy: typeof requestedBy === 'string' ? requestedBy : null, skipped: typeof skipped === 'number' ? skipped : 0, error: row.error,
  };
}

export type { Plan, RunResult };
