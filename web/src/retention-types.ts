// The shapes of the retention and tag history answers (src/features/retention/views.ts).
export interface RetentionPolicyView {
  project: string;
  policy: { schedule?: string; untagged?: boolean; rules: Record<string, unknown>[] };
  source: string;
  schedule: string | null;
  nextRuns: string[];
  updatedAt: string | null;
  updatedBy: string | null;
  canChange: boolean;
}

export interface PlannedTag {
  tag: string;
  digest: string;
  pushedAt: string;
  pulledAt: string | null;
  reasons: string[];
}

export interface RepositoryPlan {
  repository: string;
  deleteTags: PlannedTag[];
  deleteManifests: { digest: string; mediaType: string; size: number; pushedAt: string; followers: string[] }[];
  keepTags: PlannedTag[];
  keepManifests: { digest: string; reason: string }[];
  outOfScope: number;
  bytes: number;
}

export interface RetentionPlan {
  project: string;
  at: string;
  untagged: boolean;
  repositories: RepositoryPlan[];
  summary: { tags: number; manifests: number; bytes: number; keptTags: number; immutable: number; repositories: number };
  text: string;
  bytesEstimated: true;
  warnings: string[];
}

export interface RetentionRun extends RetentionPlan {
  id: number;
  trigger: string;
  dryRun: boolean;
  requestedBy: string;
  startedAt: string;
  finishedAt: string;
  skipped: { repository: string; tag?: string; digest: string; outcome: string; reason: string }[];
  error: string | null;
}

export interface RetentionRunSummary {
  id: number;
  trigger: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  tags: number;
  bytes: number;
  text: string | null;
  requestedBy: string | null;
  skipped: number;
  error: string | null;
}

export interface TagHistoryEntry {
  id: number;
  at: string;
  actor: string;
  from: string | null;
  to: string | null;
  action: 'created' | 'moved' | 'deleted';
  available: boolean;
}

export interface TagHistoryView {
  repository: string;
  tag: string;
  current: string | null;
  total: number;
  entries: TagHistoryEntry[];
  next: number | null;
}
