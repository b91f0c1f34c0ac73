// A project's vulnerability policy and whether it lets a pull through (pure: the caller passes
// the report, the push time, the account and the time). Findings at or above the chosen severity
// block, optionally only those with a fix; allowlisted advisories (until their entries expire)
// never do; an image not yet scanned blocks when the project says so; and nothing blocks during
// the grace period after a push, nor for accounts the project exempts (replication, signing).
import { SEVERITIES, type Severity } from './advisories/types.ts';

export type PreventSeverity = Exclude<Severity, 'unknown'> | 'none';
export const PREVENT_SEVERITIES: readonly PreventSeverity[] = ['critical', 'high', 'medium', 'low', 'none'];

export interface AllowlistEntry {
  /** An advisory id or alias (CVE-2024-1234, GHSA-..., DSA-...). */
  readonly id: string;
  /** ISO 8601; the entry stops counting after it. */
  readonly expiresAt?: string;
  readonly reason?: string;
}

export interface ScanPolicy {
  readonly scanOnPush: boolean;
  readonly preventSeverity: PreventSeverity;
  readonly fixableOnly: boolean;
  readonly preventUnscanned: boolean;
  readonly graceSeconds: number;
  readonly allowlist: readonly AllowlistEntry[];
  /** Accounts (users or robots) whose pulls the policy never refuses. */
  readonly exempt: readonly string[];
}

export const DEFAULT_POLICY: ScanPolicy = {
  scanOnPush: true, preventSeverity: 'none', fixableOnly: false, preventUnscanned: false, graceSeconds: 0, allowlist: [], exempt: [],
};

/** What the policy looks at in a finding. */
export interface PolicyFinding {
  readonly advisory: string;
  readonly aliases: readonly string[];
  readonly severity: Severity;
  readonly package: string;
  readonly installedVersion: string;
  readonly fixedVersion?: string;
  readonly cvss?: number;
}

export interface PolicyInput {
  readonly project: string;
  readonly policy: ScanPolicy;
  /** The image's report; undefined when it has not been scanned (or the scan failed). */
  readonly findings?: readonly PolicyFinding[];
  /** When the image was pushed to the repository (epoch ms), for the grace period. */
  readonly pushedAt?: number;
  readonly account?: string;
  readonly now: number;
}

export type PolicyDecision =
  | { readonly allow: true; readonly why?: 'exempt' | 'grace' }
  | { readonly allow: false; readonly message: string; readonly blocking: readonly PolicyFinding[] };

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

/** Whether an allowlist entry covers this finding at `now`. */
function allowlisted(f: PolicyFinding, allowlist: readonly AllowlistEntry[], now: number): boolean {
  const ids = new Set([f.advisory, ...f.aliases].map((x) => x.toUpperCase()));
  return allowlist.some((e) => ids.has(e.id.toUpperCase()) && (e.expiresAt === undefined || Date.parse(e.expiresAt) > now));
}

/** The findings that the policy counts against a pull, most severe first. */
export function blockingFindings(policy: ScanPolicy, findings: readonly PolicyFinding[], now: number): PolicyFinding[] {
  if (policy.preventSeverity === 'none') return [];
  const threshold = RANK[policy.preventSeverity];
  return findings
    .filter((f) => RANK[f.severity] >= threshold && (!policy.fixableOnly || f.fixedVersion !== undefined) && !allowlisted(f, policy.allowlist, now))
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || (b.cvss ?? 0) - (a.cvss ?? 0) || a.advisory.localeCompare(b.advisory));
}

export function evaluatePolicy(input: PolicyInput): PolicyDecision {
  const { policy, project } = input;
  if (input.account !== undefined && policy.exempt.includes(input.account)) return { allow: true, why: 'exempt' };
  const blocksAnything = policy.preventSeverity !== 'none' || policy.preventUnscanned;
  if (!blocksAnything) return { allow: true };
  if (policy.graceSeconds > 0 && input.pushedAt !== undefined && input.now - input.pushedAt < policy.graceSeconds * 1000) return { allow: true, why: 'grace' };
  const who = `the vulnerability policy of project ${project}`;
  if (input.findings === undefined) {
    if (!policy.preventUnscanned) return { allow: true };
    return { allow: false, blocking: [], message: `pull refused by ${who}: the image has not been scanned yet; try again once it is (berth scan REF queues a scan), or ask a project owner` };
  }
  const blocking = blockingFindings(policy, input.findings, input.now);
  if (!blocking.length) return { allow: true };
  const shown = blocking.slice(0, 3).map((f) => `${f.advisory} (${f.severity}) in ${f.package} ${f.installedVersion}${f.fixedVersion ? `, fixed in ${f.fixedVersion}` : ', no fix yet'}`);
  const more = blocking.length > shown.length ? ` and ${blocking.length - shown.length} more` : '';
  const scope = `${policy.fixableOnly ? 'fixable ' : ''}finding${blocking.length === 1 ? '' : 's'} at or above ${policy.preventSeverity}`;
  return {
    allow: false,
    blocking,
    message: `pull refused by ${who}: ${blocking.length} ${scope}: ${shown.join('; ')}${more}. Update the image, or ask a project owner to allowlist them`,
  };
}

/** Counts by severity, every key present. */
export function countBySeverity(findings: readonly { severity: Severity }[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[f.severity]++;
  return out;
}

export function isPreventSeverity(v: string): v is PreventSeverity {
  return (PREVENT_SEVERITIES as readonly string[]).includes(v);
}
