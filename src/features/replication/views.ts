// What the API and the CLI show of replication rules, runs and results (never a password).
import { z } from 'zod';

export const SummarySchema = z.object({
  copied: z.number().int(), skipped: z.number().int(), failed: z.number().int(), deleted: z.number().int(),
  bytes: z.number().int().describe('blob bytes uploaded to the target'),
  blobsCopied: z.number().int(), blobsMounted: z.number().int(), blobsSkipped: z.number().int(),
  items: z.number().int().describe('tags (and deletions) looked at'),
});

export const RunSchema = z.object({
  id: z.number().int(),
  rule: z.string(),
  trigger: z.enum(['manual', 'schedule', 'push']),
  state: z.enum(['queued', 'running', 'done', 'failed']),
  job: z.number().int().nullable(),
  summary: SummarySchema.nullable(),
  error: z.string().nullable(),
  requestedBy: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  progress: z.object({ done: z.number().int(), total: z.number().int(), current: z.string() }).nullable().optional()
    .describe('a queued or running run: tags done of total, and what it is at'),
});

export const RuleSchema = z.object({
  name: z.string(),
  direction: z.enum(['push', 'pull']).describe('push: Berth -> peer (--to); pull: peer -> Berth (--from)'),
  peer: z.string(),
  username: z.string().nullable(),
  hasPassword: z.boolean(),
  repos: z.string().describe('glob over full repository names'),
  tags: z.string().describe('glob, or /regular expression/'),
  label: z.string().nullable().describe('push rules: only repositories with this label'),
  onPush: z.boolean(),
  schedule: z.string().nullable().describe('cron, 5 fields, UTC'),
  nextRunAt: z.string().nullable(),
  deletions: z.boolean().describe('replicate tag deletions'),
  destPrefix: z.string().nullable().describe("replaces the first path component of each name on the target (Harbor's destination namespace): team/app -> PREFIX/app"),
  enabled: z.boolean().describe('a disabled rule is not run on push or on its schedule (it can still be run by hand)'),
  lastRun: RunSchema.nullable().describe('the newest run'),
  createdAt: z.string(),
  createdBy: z.string(),
});

export const ResultSchema = z.object({
  repository: z.string(),
  reference: z.string().describe('the tag, or the digest of an untagged manifest'),
  digest: z.string().nullable(),
  kind: z.enum(['image', 'index', 'child', 'referrer', 'tag-delete']),
  status: z.enum(['copied', 'skipped', 'failed', 'deleted']),
  bytes: z.number().int(),
  error: z.string().nullable(),
  at: z.string(),
});

export const RunWithResultsSchema = RunSchema.extend({ results: z.array(ResultSchema) });

export type RuleView = z.infer<typeof RuleSchema>;
export type RunView = z.infer<typeof RunSchema>;
export type ResultView = z.infer<typeof ResultSchema>;
export type RunWithResultsView = z.infer<typeof RunWithResultsSchema>;
