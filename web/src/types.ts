// The shapes of /api/v1 answers the UI reads (docs/discovery.md, docs/api.md).
export type Role = 'owner' | 'maintainer' | 'developer' | 'guest';

export interface Badges {
  official: boolean;
  verifiedPublisher: boolean;
  sponsoredOss: boolean;
}

export interface RepositorySummary {
  name: string;
  project: string;
  repository: string;
  /** The README (markdown). */
  description: string;
  /** One line under the name, at most 100 characters. */
  shortDescription: string;
  labels: string[];
  badges: Badges;
  pullCount: number;
  starCount: number;
  tagCount: number;
  updatedAt: string;
  lastPulledAt: string | null;
  visibility: 'public' | 'private';
}

export interface RepositoryDetail extends RepositorySummary {
  starred: boolean;
  lastPushedAt: string | null;
  pullCommand: string;
  shortPullCommand?: string;
  permissions: { push: boolean; delete: boolean; edit: boolean };
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  digest: string;
  size: number;
  mediaType: string;
}

export interface TagView {
  name: string;
  digest: string;
  mediaType: string;
  size: number;
  pushedAt: string;
  lastPulledAt: string | null;
  pullCount: number;
  platforms: Platform[];
  artifactType?: string;
}

export interface Page {
  total: number;
  page: number;
  n: number;
}

export interface SearchAnswer extends Page {
  results: RepositorySummary[];
}

export interface RepositoryList extends Page {
  repositories: RepositorySummary[];
}

export interface TagList extends Page {
  tags: TagView[];
}

export interface Me {
  kind: 'user' | 'robot';
  name: string;
  admin: boolean;
  via?: string;
  projects?: { name: string; role: string }[];
  /** /me only: the user signs in through an OpenID Connect provider (and so may make a CLI secret). */
  oidc?: boolean;
}

/** GET /identity-providers: where users sign in (the sign-in page offers a button per OIDC provider). */
export interface IdentityProvider {
  name: string;
  type: 'builtin' | 'ldap' | 'oidc';
  displayName: string;
}

export interface Project {
  name: string;
  visibility: 'public' | 'private';
  description: string;
  createdAt: string;
  role?: Role;
  verified?: boolean;
  sponsored?: boolean;
  /** Storage quota and usage (members and administrators; not in lists). */
  quota?: ProjectQuota;
  /** In the list: how many repositories, and the bytes they link (each blob and manifest once). */
  repositoryCount?: number;
  storageBytes?: number;
}

export interface ProjectQuota {
  /** null: no quota. */
  limitBytes: number | null;
  usedBytes: number;
  percent: number | null;
  usage: { blobs: number; manifests: number; uploads: number };
  warnedAt: string | null;
}

export interface Member {
  user: string;
  role: Role;
  since: string;
}

export interface Robot {
  name: string;
  description: string;
  permissions: { project: string; actions: string[] }[];
  expiresAt: string | null;
  disabled: boolean;
  expired: boolean;
  createdBy: string;
  createdAt: string;
}

export interface User {
  name: string;
  admin: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  project: string | null;
  repository: string | null;
  reference: string | null;
  address: string | null;
  outcome: string;
  detail: string | null;
}

// The scan feature (shown only when GET /capabilities lists "scan").
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';
export type SeverityCounts = Record<Severity, number>;
export type ScanStatus = 'done' | 'failed' | 'not-scanned' | 'partial';

export interface ScanSummary {
  status: ScanStatus;
  /** A scan is queued or running. */
  pending: boolean;
  summary: SeverityCounts;
  fixable: SeverityCounts;
  scannedAt: string | null;
}

export interface ScanSummaries {
  summaries: Record<string, ScanSummary>;
}

export interface ScanPackage {
  name: string;
  version: string;
  type: string;
  purl: string;
  location: string;
  source?: { name: string; version: string };
  arch?: string;
  licenses?: string[];
  platform?: string;
}

export interface Vulnerability {
  id: string;
  aliases: string[];
  package: string;
  type: string;
  installedVersion: string;
  fixedVersion: string | null;
  severity: Severity;
  cvss: number | null;
  fixable: boolean;
  summary: string | null;
  links: string[];
  purl: string;
  platform?: string;
}

export interface ImageReportFields {
  digest: string;
  status: ScanStatus;
  pending: boolean;
  error: string | null;
  scannedAt: string | null;
  durationMs: number | null;
  feed: { id: number; digest: string; dataTime: string; ageSeconds: number; stale: boolean } | null;
  inventory: { source: 'layers' | 'sbom'; sbomDigest: string | null; os: { id: string; versionId: string; prettyName?: string } | null; packageCount: number } | null;
  summary: SeverityCounts;
  fixable: SeverityCounts;
}

export interface PlatformReport extends ImageReportFields {
  platform: string;
}

export interface ScanReport extends ImageReportFields {
  repository: string;
  reference: string;
  mediaType: string;
  packages: ScanPackage[];
  vulnerabilities: Vulnerability[];
  platforms?: PlatformReport[];
}

export interface FeedStatus {
  active: { id: number; digest: string; createdAt: string; dataTime: string; ageSeconds: number; previousId: number | null } | null;
  stale: boolean;
  maxFeedAgeHours: number;
}

export interface Job {
  id: number;
  kind: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  progress: string | null;
  error: string | null;
}

export type PreventSeverity = 'critical' | 'high' | 'medium' | 'low' | 'none';

export interface AllowlistEntry {
  id: string;
  expiresAt?: string;
  reason?: string;
}

export interface ScanPolicy {
  scanOnPush: boolean;
  preventSeverity: PreventSeverity;
  fixableOnly: boolean;
  preventUnscanned: boolean;
  graceSeconds: number;
  allowlist: AllowlistEntry[];
  exempt: string[];
}

// The trust feature (shown only when GET /capabilities lists "trust").
export type TrustMode = 'off' | 'audit' | 'enforce';
export type SignerKind = 'key' | 'pgp' | 'x509' | 'keyless';
export type SignatureFormat = 'cosign' | 'sigstore-bundle' | 'notation' | 'gpg';

export interface TrustSigner {
  name: string;
  kind: SignerKind;
  fingerprint: string;
  createdAt: string;
  createdBy: string;
}

export interface TrustPolicy {
  project: string;
  mode: TrustMode;
  exempt: string[];
  version: number;
  signers: TrustSigner[];
}

export interface TrustSummary {
  signed: boolean;
  signers: string[];
  /** How many signatures were found (0: unsigned), verified or not. */
  signatures: number;
  problems: string[];
  /** The problem codes of the signatures that do not verify (wrong-key, digest-mismatch, ...). */
  problemCodes?: string[];
}

export interface TrustSummaries {
  mode: TrustMode;
  summaries: Record<string, TrustSummary>;
}

export interface SignatureReport {
  format: SignatureFormat;
  /** Where it is: cosign-tag (the .sig manifest's digest), referrer (its digest) or extension (the signature's name). */
  source: { kind: string; ref: string };
  ok: boolean;
  signer: string | null;
  /** wrong-key, digest-mismatch, expired-certificate, expired-signature, identity-mismatch, untrusted-chain, malformed, unsupported. */
  problem: { code: string; message: string } | null;
  claims: { dockerReference?: string; predicateType?: string; subject?: string; issuer?: string; signedAt?: string } | null;
}

export interface TrustVerdict {
  repository: string;
  reference: string;
  digest: string;
  signed: boolean;
  signers: string[];
  problems: string[];
  signatures: SignatureReport[];
  signedVia?: string;
  mode: TrustMode;
  policyVersion: number;
  computedAt: string;
}

/** GET .../manifests/{digest}/details: one image of the image page (a platform of an index). */
export interface ImageOfDigest {
  digest: string;
  mediaType: string;
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  size: number;
  config: {
    entrypoint?: string[];
    cmd?: string[];
    env?: string[];
    workingDir?: string;
    user?: string;
    exposedPorts?: string[];
    labels?: Record<string, string>;
    stopSignal?: string;
  };
  layers: { digest: string; mediaType: string; size: number }[];
  history: { created?: string; createdBy?: string; comment?: string; emptyLayer: boolean; layer?: { digest: string; mediaType: string; size: number } }[];
  artifactType?: string;
}

export interface ImageDetails {
  repository: string;
  digest: string;
  mediaType: string;
  kind: 'image' | 'index';
  size: number;
  images: ImageOfDigest[];
  tags: { name: string; pushedAt: string }[];
  referrers: { artifactType: string; manifests: { digest: string; mediaType: string; size: number; annotations?: Record<string, string> }[] }[];
  pushedBy: { actor: string; at: string } | null;
  pullCommand: string;
}

export interface Webhook {
  id: number;
  project: string | null;
  name: string | null;
  source: 'project' | 'config';
  url: string;
  events: string[];
  format: string;
  filter: string;
  hasSecret: boolean;
  allowPrivateTargets: boolean;
  enabled: boolean;
  paused: boolean;
  pausedReason: string | null;
  failing: boolean;
  consecutiveFailures: number;
  createdBy: string;
  createdAt: string;
}

export interface WebhookDelivery {
  id: number;
  webhookId: number;
  eventId: string;
  eventType: string;
  repository: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  log: { at: string; statusCode: number | null; latencyMs: number; responseBytes: number | null; responseTruncated: boolean; error: string | null }[];
}
