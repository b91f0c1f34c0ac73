// What the identity commands need from Berth, whether they run offline against the data
// directory (local.ts) or against a running server's /api/v1 (remote.ts).
import type { AccessTokenView } from '../../auth/directory/access-tokens.ts';
import type { ProjectRemoval, ProjectView } from '../../auth/directory/projects.ts';
import type { RobotView } from '../../auth/directory/robots.ts';
import type { PersonalProjectFate, UserRemoval, UserView } from '../../auth/directory/users.ts';
import type { DeliveryView, NewWebhookInput, WebhookView } from '../../features/webhooks/index.ts';

export type { AccessTokenView, DeliveryView, NewWebhookInput, PersonalProjectFate, ProjectRemoval, ProjectView, RobotView, UserRemoval, UserView, WebhookView };

export interface MemberView {
  readonly user: string;
  readonly role: string;
  readonly since: string;
}

export interface AuditEntryView {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly project: string | null;
  readonly repository: string | null;
  readonly reference: string | null;
  readonly address: string | null;
  readonly outcome: string;
  readonly detail: string | null;
}

export interface AuditFilter {
  readonly project?: string;
  readonly actor?: string;
  readonly action?: string;
  /** A duration back from now (1h, 7d) or an ISO time. */
  readonly since?: string;
  readonly limit: number;
}

export interface NewRobot {
  readonly project: string;
  readonly name: string;
  /** Comma-separated subset of pull,push,delete. */
  readonly permissions: string;
  readonly expiresIn?: string;
  readonly description?: string;
}

export interface NewToken {
  /** Whose token: required offline; with --url, the signed-in user unless given. */
  readonly user?: string;
  readonly name: string;
  readonly permissions: string;
  readonly projects?: string[];
  readonly expiresIn?: string;
}

/** What `berth project update` may change; trusted-content flags are for administrators. */
export interface ProjectChanges {
  visibility?: 'public' | 'private';
  description?: string;
  verified?: boolean;
  sponsored?: boolean;
  /** Storage quota in bytes, null for none (administrators). */
  quotaBytes?: number | null;
}

export type { ReportView, FeedStatusView, ImportResultView, ScanPolicyView, PackageAnswerView, AdvisoryAnswerView, ReportFilter, PolicyChanges } from '../../features/scan/views.ts';
import type { AdvisoryAnswerView, FeedStatusView, ImportResultView, PackageAnswerView, PolicyChanges, ReportFilter, ReportView, ScanPolicyView } from '../../features/scan/views.ts';

export interface FeedSourceOptions {
  /** For oci:// sources: the account on the registry that holds the feed (password in BERTH_REGISTRY_PASSWORD). */
  readonly registryUser?: string;
  readonly registryPassword?: string;
  readonly plainHttp?: boolean;
}

/** The scan feature's commands (berth vulndb, berth scan, berth find, and project update's policy flags). */
export interface ScanOps {
  vulndbStatus(): Promise<FeedStatusView>;
  /** A path (folder, zip, JSON, NDJSON, tar) or oci://HOST/REPO:TAG. */
  vulndbImport(source: string, options: FeedSourceOptions, progress: (text: string) => void): Promise<ImportResultView>;
  vulndbRestore(progress: (text: string) => void): Promise<FeedStatusView & { rematchJob?: number | null }>;
  /** Scans the image (queued on a server, which is then waited for) and returns its report. */
  scan(repository: string, reference: string, options: { reindex?: boolean; timeoutMs: number }, progress: (text: string) => void): Promise<ReportView>;
  scanReport(repository: string, reference: string, filter: ReportFilter): Promise<ReportView>;
  scanPolicy(project: string): Promise<ScanPolicyView>;
  updateScanPolicy(project: string, changes: PolicyChanges): Promise<ScanPolicyView>;
  findPackage(name: string, options: { type?: string; versions?: string }): Promise<PackageAnswerView>;
  findAdvisory(id: string): Promise<AdvisoryAnswerView>;
}

export type { TrustPolicyView, VerdictView, SignerViewOut as TrustSignerView } from '../../features/trust/views.ts';
import type { SignerViewOut, TrustPolicyView, VerdictView } from '../../features/trust/views.ts';

/** The trust feature's commands (berth trust key|policy|verify). */
export interface TrustOps {
  trustKeyAdd(project: string, name: string, key: string, kind?: SignerViewOut['kind']): Promise<SignerViewOut>;
  trustKeyList(project: string): Promise<SignerViewOut[]>;
  trustKeyRemove(project: string, name: string): Promise<void>;
  trustPolicy(project: string): Promise<TrustPolicyView>;
  updateTrustPolicy(project: string, changes: { mode?: TrustPolicyView['mode']; exempt?: string[] }): Promise<TrustPolicyView>;
  trustVerify(repository: string, reference: string): Promise<VerdictView>;
}

export type { GcSummary as GcSummaryView, GcProgress as GcProgressView } from '../../features/gc/index.ts';
export type { GcStatus as GcStatusView } from '../../features/gc/service.ts';
import type { GcProgress, GcSummary } from '../../features/gc/index.ts';
import type { GcStatus } from '../../features/gc/service.ts';

/** berth gc: a pass now (offline in this process, or queued on the server and waited for). */
export interface GcOps {
  gc(options: { dryRun?: boolean; timeoutMs: number }, progress: (p: GcProgress) => void): Promise<GcSummary>;
  gcStatus(): Promise<GcStatus>;
}

export type { ImmutableRuleView, ImmutableRulesView } from '../../features/immutability/views.ts';
import type { ImmutableRuleView, ImmutableRulesView } from '../../features/immutability/views.ts';

/** Tag immutability's commands (berth immutable add|list|remove). */
export interface ImmutableOps {
  immutableList(project: string): Promise<ImmutableRulesView>;
  immutableAdd(project: string, rule: { repos: string; tags: string }): Promise<ImmutableRuleView>;
  immutableRemove(project: string, id: number): Promise<void>;
}

export type {
  PlanView as RetentionPlanView, PolicyView as RetentionPolicyView, RunResultView as RetentionRunView, RunSummaryView as RetentionRunSummaryView, RollbackResultView, TagHistoryView,
} from '../../features/retention/views.ts';
import type { PlanView, PolicyView, RollbackResultView, RunResultView, RunSummaryView, TagHistoryView } from '../../features/retention/views.ts';

/** Retention and tag history (berth retention set|show|run, berth tag history|rollback). */
export interface RetentionOps {
  /** Sets the policy from its YAML (or JSON) text. */
  retentionSet(project: string, source: string): Promise<PolicyView>;
  retentionShow(project: string, runs: number): Promise<{ policy: PolicyView; runs: RunSummaryView[] }>;
  /** The stored policy's plan now (nothing recorded). */
  retentionPreview(project: string): Promise<PlanView>;
  retentionRun(project: string, options: { dryRun: boolean }, progress: (text: string) => void): Promise<RunResultView>;
  tagHistory(repository: string, tag: string, options: { limit: number; before?: number }): Promise<TagHistoryView>;
  tagRollback(repository: string, tag: string, request: { to?: string; steps?: number }): Promise<RollbackResultView>;
}

export interface Management extends ScanOps, TrustOps, GcOps, ImmutableOps, RetentionOps {
  /** "the data directory /x" or "http://host:5000": where the commands act, for messages. */
  readonly target: string;
  addUser(name: string, password: string, admin: boolean): Promise<UserView>;
  listUsers(): Promise<UserView[]>;
  setPassword(name: string, password: string): Promise<void>;
  updateUser(name: string, changes: { admin?: boolean; disabled?: boolean }): Promise<UserView>;
  /** `personalProject` must be given when the user's personal project holds repositories. */
  removeUser(name: string, personalProject?: PersonalProjectFate): Promise<UserRemoval>;
  createProject(name: string, visibility: 'public' | 'private'): Promise<ProjectView>;
  listProjects(): Promise<ProjectView[]>;
  updateProject(name: string, changes: ProjectChanges): Promise<ProjectView>;
  /** Refused while the project holds repositories, unless `withRepositories`. */
  removeProject(name: string, withRepositories?: boolean): Promise<ProjectRemoval>;
  listMembers(project: string): Promise<MemberView[]>;
  setMember(project: string, user: string, role: string): Promise<void>;
  removeMember(project: string, user: string): Promise<void>;
  createRobot(req: NewRobot): Promise<{ robot: RobotView; secret: string }>;
  listRobots(project?: string): Promise<RobotView[]>;
  removeRobot(name: string): Promise<void>;
  rotateRobot(name: string): Promise<{ robot: RobotView; secret: string }>;
  setRobotDisabled(name: string, disabled: boolean): Promise<RobotView>;
  createToken(req: NewToken): Promise<{ token: AccessTokenView; secret: string; user: string }>;
  listTokens(user?: string): Promise<{ user: string; tokens: AccessTokenView[] }>;
  revokeToken(user: string | undefined, id: number): Promise<{ user: string }>;
  audit(filter: AuditFilter): Promise<AuditEntryView[]>;
  addWebhook(project: string, input: NewWebhookInput): Promise<{ webhook: WebhookView; secret?: string }>;
  /** A project's webhooks, or every one (administrators). */
  listWebhooks(project?: string): Promise<WebhookView[]>;
  webhookDeliveries(id: number, limit: number): Promise<DeliveryView[]>;
  redeliver(deliveryId: number): Promise<DeliveryView>;
  setWebhookPaused(id: number, paused: boolean): Promise<WebhookView>;
  removeWebhook(id: number): Promise<void>;
  close(): Promise<void>;
}
