// Table types for Kysely. Times are epoch milliseconds and sizes are bytes, both as integers
// (bigint columns; the postgres dialect parses int8 to number), so the SQL stays dialect-neutral.
import type { Generated } from 'kysely';

export interface RepositoriesTable {
  id: Generated<number>;
  /** Canonical name: project/path (a single-component name is stored as library/<name>). */
  name: string;
  project: string;
  created_at: number;
  /** Bumped (strictly increasing) by every change to the repository's tags or manifests. */
  updated_at: number;
  /** Markdown, shown on the repository page (sanitised by the UI). */
  description: Generated<string>;
  /** One line under the name (at most 100 characters, the API checks): migration 017. */
  short_description: Generated<string>;
  /** Space-separated lower-case labels. */
  labels: Generated<string>;
  /** Manifest GETs, as Docker Hub counts pulls (features/pulls flushes them in batches). */
  pull_count: Generated<number>;
  last_pulled_at: number | null;
  star_count: Generated<number>;
}

export interface BlobsTable {
  digest: string;
  size: number;
  created_at: number;
}

/** A repository link is access (DESIGN.md): a blob is pullable through a repository only if linked. */
export interface RepositoryBlobsTable {
  repository_id: number;
  digest: string;
  created_at: number;
}

export interface ManifestsTable {
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject_digest: string | null;
  config_digest: string | null;
  size: number;
  /** JSON text of the manifest's top-level annotations, for referrers. */
  annotations: string | null;
  created_at: number;
}

/** What a manifest references: its config, its layers, or (for an index) its child manifests. */
export interface ManifestRefsTable {
  manifest_digest: string;
  position: number;
  kind: 'config' | 'layer' | 'manifest';
  child_digest: string;
  media_type: string;
  size: number;
  /** JSON text of an index child's platform (os, architecture, variant). */
  platform: string | null;
}

export interface RepositoryManifestsTable {
  repository_id: number;
  digest: string;
  /** The subject this manifest refers to, copied for the referrers query. */
  subject_digest: string | null;
  pushed_at: number;
}

export interface TagsTable {
  repository_id: number;
  name: string;
  digest: string;
  updated_at: number;
  pull_count: Generated<number>;
  last_pulled_at: number | null;
}

export interface UploadsTable {
  id: string;
  repository_id: number;
  /** Bytes received so far. */
  size: number;
  started_at: number;
  updated_at: number;
  /** The running digest of the first `size` bytes (registry/hash-states.ts), when saved. */
  hash_state: Uint8Array | null;
  /** The request writing the upload now (registry/uploads.ts), until writer_until (ms). */
  writer: string | null;
  writer_until: number | null;
}

export interface UsersTable {
  id: Generated<number>;
  name: string;
  password_hash: string;
  is_admin: number;
  disabled: number;
  created_at: number;
  updated_at: number;
}

export type Visibility = 'public' | 'private';
export type Role = 'owner' | 'maintainer' | 'developer' | 'guest';

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  visibility: Visibility;
  description: Generated<string>;
  owner_user_id: number | null;
  created_at: number;
  updated_at: number;
  /** Trusted content (administrators set these): Verified Publisher and Sponsored OSS. */
  verified: Generated<number>;
  sponsored: Generated<number>;
  /** Storage limit in bytes (010); null: no quota. */
  quota_bytes: number | null;
  /** When the 80% quota warning was last sent (010); cleared when usage drops below 80%. */
  quota_warned_at: number | null;
}

export interface StarsTable {
  user_id: number;
  repository_id: number;
  created_at: number;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie's secret. */
  id_hash: string;
  user_id: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface ProjectMembersTable {
  project_id: number;
  user_id: number;
  role: Role;
  created_at: number;
}

/** Which provider (LDAP, OIDC) a user signs in through (migration 016). */
export interface UserIdentitiesTable {
  user_id: number;
  provider: string;
  subject: string;
  email: string | null;
  display_name: string | null;
  admin_from_mapping: Generated<number>;
  groups: Generated<string>;
  refresh_token: string | null;
  cli_secret_hash: string | null;
  checked_at: number;
  created_at: number;
}

/** A provider's group mapped to a project role, or (project_id null, role admin) to system administrator. */
export interface GroupMappingsTable {
  id: Generated<number>;
  provider: string;
  group_name: string;
  project_id: number | null;
  role: string;
  created_at: number;
  created_by: string;
}

/** A project membership a group mapping made (the sign-in that no longer maps it removes it). */
export interface MappedMembershipsTable {
  project_id: number;
  user_id: number;
}

export interface RobotsTable {
  id: Generated<number>;
  name: string;
  secret_hash: string;
  description: Generated<string>;
  expires_at: number | null;
  disabled: Generated<number>;
  created_by: string;
  created_at: number;
}

export interface RobotPermissionsTable {
  robot_id: number;
  project_id: number;
  actions: string;
}

export interface AccessTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  secret_hash: string;
  actions: string;
  projects: Generated<string>;
  expires_at: number | null;
  last_used_at: number | null;
  created_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_jwk: string;
  created_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  project: string | null;
  repository: string | null;
  reference: string | null;
  address: string | null;
  outcome: string;
  detail: string | null;
}

export interface ImageSignaturesTable {
  repository_id: number;
  digest: string;
  name: string;
  content: string;
  created_at: number;
  created_by: string | null;
}

export interface TrustPoliciesTable {
  project_id: number;
  mode: string;
  exempt: string;
  version: number;
  updated_at: number;
}

export interface TrustSignersTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  kind: string;
  material: string;
  fingerprint: string;
  created_at: number;
  created_by: string;
}

export interface TrustVerdictsTable {
  repository_id: number;
  digest: string;
  policy_version: number;
  signed: number;
  verdict: string;
  computed_at: number;
}

export interface Database {
  repositories: RepositoriesTable;
  blobs: BlobsTable;
  repository_blobs: RepositoryBlobsTable;
  manifests: ManifestsTable;
  manifest_refs: ManifestRefsTable;
  image_signatures: ImageSignaturesTable;
  trust_policies: TrustPoliciesTable;
  trust_signers: TrustSignersTable;
  trust_verdicts: TrustVerdictsTable;
  repository_manifests: RepositoryManifestsTable;
  tags: TagsTable;
  uploads: UploadsTable;
  users: UsersTable;
  projects: ProjectsTable;
  project_members: ProjectMembersTable;
  user_identities: UserIdentitiesTable;
  group_mappings: GroupMappingsTable;
  mapped_memberships: MappedMembershipsTable;
  robots: RobotsTable;
  robot_permissions: RobotPermissionsTable;
  access_tokens: AccessTokensTable;
  signing_keys: SigningKeysTable;
  audit_log: AuditLogTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  stars: StarsTable;
  sessions: SessionsTable;
  jobs: JobsTable;
  scan_layers: ScanLayersTable;
  scan_inventories: ScanInventoriesTable;
  scan_packages: ScanPackagesTable;
  scan_package_keys: ScanPackageKeysTable;
  vuln_imports: VulnImportsTable;
  vuln_affected: VulnAffectedTable;
  vuln_feeds: VulnFeedsTable;
  vuln_feed_imports: VulnFeedImportsTable;
  scan_reports: ScanReportsTable;
  scan_settings: ScanSettingsTable;
  tag_history: TagHistoryTable;
  gc_manifest_reviews: GcReviewsTable;
  gc_blob_reviews: GcReviewsTable;
  gc_byte_deletes: GcByteDeletesTable;
  gc_runs: GcRunsTable;
  immutable_rules: ImmutableRulesTable;
  retention_policies: RetentionPoliciesTable;
  retention_runs: RetentionRunsTable;
}

export interface ScanLayersTable {
  digest: string;
  indexer: number;
  index_json: string;
  bytes_read: number;
  indexed_at: number;
}

export interface ScanInventoriesTable {
  manifest_digest: string;
  source: 'layers' | 'sbom';
  sbom_digest: string | null;
  os_id: string | null;
  os_version: string | null;
  os_name: string | null;
  package_count: number;
  created_at: number;
  package_ids: string | null;
}

export interface ScanPackageKeysTable {
  id: Generated<number>;
  fingerprint: string;
  type: string;
  name: string;
  version: string;
  source_name: string | null;
  source_version: string | null;
  arch: string | null;
  purl: string;
}

export interface ScanPackagesTable {
  manifest_digest: string;
  position: number;
  type: string;
  name: string;
  version: string;
  source_name: string | null;
  source_version: string | null;
  arch: string | null;
  purl: string;
  location: string;
  licenses: string | null;
}

export interface VulnImportsTable {
  id: Generated<number>;
  source: string;
  format: string;
  origin: string;
  digest: string;
  records: number;
  affected: number;
  data_time: number | null;
  imported_at: number;
}

export interface VulnAffectedTable {
  import_id: number;
  type: string;
  name: string;
  release: string | null;
  advisory: string;
  aliases: string;
  upstream: string | null;
  ranges: string;
  versions: string;
  severity: string;
  cvss: number | null;
  summary: string | null;
  links: string;
}

export interface VulnFeedsTable {
  id: Generated<number>;
  active: Generated<number>;
  previous_id: number | null;
  digest: string;
  created_at: number;
}

export interface VulnFeedImportsTable {
  feed_id: number;
  import_id: number;
}

export interface ScanReportsTable {
  manifest_digest: string;
  status: 'done' | 'failed';
  error: string | null;
  feed_id: number | null;
  feed_digest: string | null;
  feed_time: number | null;
  critical: Generated<number>;
  high: Generated<number>;
  medium: Generated<number>;
  low: Generated<number>;
  unknown: Generated<number>;
  fixable: Generated<string>;
  scanned_at: number;
  duration_ms: Generated<number>;
  findings_hash: string | null;
  finding_ids: Generated<string>;
}

export interface ScanSettingsTable {
  project_id: number;
  scan_on_push: Generated<number>;
  prevent_severity: Generated<string>;
  fixable_only: Generated<number>;
  prevent_unscanned: Generated<number>;
  grace_seconds: Generated<number>;
  allowlist: Generated<string>;
  exempt: Generated<string>;
  updated_at: number;
}

export type JobState = 'pending' | 'running' | 'done' | 'failed';

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  key: string | null;
  payload: string;
  state: JobState;
  priority: Generated<number>;
  attempts: Generated<number>;
  run_after: number;
  lease_owner: string | null;
  lease_until: Generated<number>;
  progress: string | null;
  last_error: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface WebhooksTable {
  id: Generated<number>;
  project_id: number | null;
  project: string | null;
  config_name: string | null;
  url: string;
  secret: string;
  events: string;
  filter: string;
  format: string;
  options: string;
  enabled: Generated<number>;
  paused: Generated<number>;
  paused_reason: string | null;
  consecutive_failures: Generated<number>;
  lease_owner: string | null;
  lease_until: Generated<number>;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: number;
  event_id: string;
  event_type: string;
  repository: string;
  event: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  finished_at: number | null;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  at: number;
  status_code: number | null;
  latency_ms: number;
  /** No longer written, and cleared by 005: answers' bodies are not kept. */
  response: string | null;
  /** Bytes of the answer's body read (005); null: no answer, or logged before 005. */
  response_bytes: number | null;
  /** 1: reading stopped at the limit, the answer was longer than response_bytes (005). */
  response_truncated: Generated<number>;
  error: string | null;
}

/** Every tag move (010): digest null means the tag was deleted, previous null that it was new. */
export interface TagHistoryTable {
  id: Generated<number>;
  repository_id: number;
  tag: string;
  digest: string | null;
  previous: string | null;
  actor: string;
  at: number;
}

/** A garbage-collection candidate (010): a manifest or blob link to re-check after review_after. */
export interface GcReviewsTable {
  /** 0 for a blob review that only checks the blob row (no link is left). */
  repository_id: number;
  digest: string;
  review_after: number;
  /** untagged, untag, index, subject, manifest, upload, mount, unlink, repository... */
  reason: string;
}

/** Bytes to remove from storage after due_at (010); done_at marks a tombstone kept for a day. */
export interface GcByteDeletesTable {
  digest: string;
  size: number;
  due_at: number;
  attempts: Generated<number>;
  done_at: number | null;
}

export interface GcRunsTable {
  id: Generated<number>;
  trigger: string;
  dry_run: Generated<number>;
  started_at: number;
  finished_at: number | null;
  manifests: Generated<number>;
  blobs: Generated<number>;
  bytes: Generated<number>;
  uploads: Generated<number>;
  error: string | null;
}

export interface ImmutableRulesTable {
  id: Generated<number>;
  project_id: number;
  /** Globs over the repository path inside the project, and over tag names. */
  repos: string;
  tags: string;
  created_at: number;
  created_by: string;
}

export interface RetentionPoliciesTable {
  project_id: number;
  /** JSON: the rules (features/retention). */
  rules: string;
  /** A cron expression, or null: runs only on demand. */
  schedule: string | null;
  updated_at: number;
  updated_by: string;
}

export interface RetentionRunsTable {
  id: Generated<number>;
  project_id: number;
  trigger: string;
  dry_run: number;
  started_at: number;
  finished_at: number | null;
  tags: Generated<number>;
  bytes: Generated<number>;
  plan: string | null;
  error: string | null;
}
