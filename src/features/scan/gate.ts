// The vulnerability policy's pull gate: a manifest GET of an image whose report the project's
// policy refuses is answered 403 DENIED with a message that names the policy and the worst
// findings, which podman, skopeo and docker print. Indexes are not gated (they hold no layers:
// the platform manifest a client fetches next is). HEAD is never gated (the registry does not
// ask), nor are Berth's own reads, nor accounts the project exempts.
import type { Kysely } from 'kysely';
import { RegistryError } from '../../core/errors.ts';
import { isIndexMediaType } from '../../core/mediatypes.ts';
import { projectOf } from '../../core/reference.ts';
import type { Database } from '../../metadata/schema.ts';
import type { PullGate, PullRequestInfo } from '../../registry/pull-gate.ts';
import { evaluatePolicy, severityRank, type PolicyFinding } from './policy.ts';
import type { ReportFindings } from './report-findings.ts';
import type { ReportStore } from './report-store.ts';
import type { ScanSettings } from './settings.ts';

export interface StaleFeed {
  /** The feed is older than the configured maximum: how old (seconds), or undefined when it is fine. */
  readonly ageSeconds: () => Promise<number | undefined>;
  readonly block: boolean;
}

export class ScanPullGate implements PullGate {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: ScanSettings,
    private readonly reports: ReportStore,
    private readonly findings: ReportFindings,
    private readonly stale: StaleFeed,
    private readonly now: () => number = Date.now,
  ) {}

  async check(pull: PullRequestInfo): Promise<RegistryError | undefined> {
    if (isIndexMediaType(pull.mediaType)) return undefined;
    const project = projectOf(pull.repository);
    const policy = await this.settings.of(project);
    if (policy.preventSeverity === 'none' && !policy.preventUnscanned) return undefined;
    if (pull.account !== undefined && policy.exempt.includes(pull.account)) return undefined;
    if (this.stale.block) {
      const age = await this.stale.ageSeconds();
      if (age !== undefined) {
        return refusal(`pull refused by the vulnerability policy of project ${project}: the vulnerability feed is ${Math.floor(age / 86400)} days old, older than scan.maxFeedAgeHours allows; an administrator must import a newer one (berth vulndb import)`);
      }
    }
    const report = await this.reports.get(pull.digest);
    let findings: PolicyFinding[] | undefined;
    if (report?.status === 'done') {
      const threshold = policy.preventSeverity === 'none' ? Infinity : severityRank(policy.preventSeverity);
      // Most images have nothing at or above the threshold: the counts say so without the findings.
      const counts = (policy.fixableOnly ? report.fixable : report.summary);
      const relevant = Object.entries(counts).some(([s, n]) => n > 0 && severityRank(s as PolicyFinding['severity']) >= threshold);
      findings = relevant ? (await this.findings.of(pull.digest, report)).map((f) => ({
        advisory: f.advisory, aliases: f.aliases, severity: f.severity, package: f.package, installedVersion: f.installedVersion,
        ...(f.fixedVersion !== undefined ? { fixedVersion: f.fixedVersion } : {}), ...(f.cvss !== undefined ? { cvss: f.cvss } : {}),
      })) : [];
    }
    const pushed = policy.graceSeconds > 0 ? await this.pushedAt(pull.repository, pull.digest) : undefined;
    const decision = evaluatePolicy({
      project, policy, now: this.now(),
      ...(findings !== undefined ? { findings } : {}), ...(pushed !== undefined ? { pushedAt: pushed } : {}), ...(pull.account !== undefined ? { account: pull.account } : {}),
    });
    if (decision.allow) return undefined;
    return refusal(decision.message, decision.blocking.slice(0, 10).map((f) => ({ id: f.advisory, severity: f.severity, package: f.package, installedVersion: f.installedVersion, fixedVersion: f.fixedVersion ?? null })));
  }

  private async pushedAt(repository: string, digest: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('repository_manifests as rm').innerJoin('repositories as r', 'r.id', 'rm.repository_id')
      .select('rm.pushed_at').where('r.name', '=', repository).where('rm.digest', '=', digest).executeTakeFirst();
    return row ? Number(row.pushed_at) : undefined;
  }
}

function refusal(message: string, findings: unknown[] = []): RegistryError {
  return new RegistryError('DENIED', { policy: 'vulnerability', findings }, { message });
}
