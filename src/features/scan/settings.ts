// Each project's scan settings and vulnerability policy: read by members (and by anyone for a
// public project), changed by owners and administrators, audited. A project without a row has
// the defaults (scan on push, block nothing).
import type { Kysely } from 'kysely';
import { requireOwnedProject, requireVisibleProject, type Actor } from '../../auth/directory/actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../../auth/directory/changes.ts';
import { RegistryError } from '../../core/errors.ts';
import { findProject } from '../../metadata/identity/projects.ts';
import { findScanSettings, saveScanSettings } from '../../metadata/scan.ts';
import type { Database } from '../../metadata/schema.ts';
import { DEFAULT_POLICY, isPreventSeverity, type AllowlistEntry, type ScanPolicy } from './policy.ts';

export type PolicyChanges = Partial<ScanPolicy>;

const MAX_LIST = 1000;

export class ScanSettings {
  private readonly cache = new Map<string, { policy: ScanPolicy; until: number }>();

  constructor(private readonly db: Kysely<Database>, private readonly record: ChangeRecorder = IGNORE_CHANGES, private readonly now: () => number = Date.now) {}

  /** The project's policy (defaults when none was set); no access check: for the gate and jobs. */
  async of(project: string): Promise<ScanPolicy> {
    const hit = this.cache.get(project);
    if (hit && hit.until > this.now()) return hit.policy;
    const p = await findProject(this.db, project);
    const row = p ? await findScanSettings(this.db, p.id) : undefined;
    const policy: ScanPolicy = row ? {
      scanOnPush: row.scan_on_push === 1,
      preventSeverity: isPreventSeverity(row.prevent_severity) ? row.prevent_severity : 'none',
      fixableOnly: row.fixable_only === 1,
      preventUnscanned: row.prevent_unscanned === 1,
      graceSeconds: Number(row.grace_seconds),
      allowlist: JSON.parse(row.allowlist) as AllowlistEntry[],
      exempt: JSON.parse(row.exempt) as string[],
    } : DEFAULT_POLICY;
    // Read on every gated pull: a moment's cache keeps that off the database; changes on this
    // instance are seen at once, on others within a second.
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(project, { policy, until: this.now() + 1000 });
    return policy;
  }

  /** For the API: members of the project (anyone, for a public one) may read it. */
  async get(actor: Actor | undefined, project: string): Promise<ScanPolicy> {
    await requireVisibleProject(this.db, actor, project);
    return this.of(project);
  }

  async update(actor: Actor, project: string, changes: PolicyChanges): Promise<ScanPolicy> {
    const row = await requireOwnedProject(this.db, actor, project);
    const current = await this.of(project);
    const next: ScanPolicy = { ...current, ...changes };
    check(next);
    await saveScanSettings(this.db, row.id, {
      scan_on_push: next.scanOnPush ? 1 : 0, prevent_severity: next.preventSeverity, fixable_only: next.fixableOnly ? 1 : 0,
      prevent_unscanned: next.preventUnscanned ? 1 : 0, grace_seconds: next.graceSeconds, allowlist: JSON.stringify(next.allowlist),
      exempt: JSON.stringify(next.exempt), updated_at: this.now(),
    });
    this.cache.delete(project);
    await this.record({ action: 'project.scan-policy', actor, project, detail: { ...changes } });
    return next;
  }
}

function check(p: ScanPolicy): void {
  const invalid = (message: string) => new RegistryError('INVALID_REQUEST', undefined, { message });
  if (!isPreventSeverity(p.preventSeverity)) throw invalid('preventSeverity must be critical, high, medium, low or none');
  if (!Number.isSafeInteger(p.graceSeconds) || p.graceSeconds < 0 || p.graceSeconds > 30 * 86400) throw invalid('graceSeconds must be 0 to 2592000');
  if (p.allowlist.length > MAX_LIST || p.exempt.length > MAX_LIST) throw invalid(`the allowlist and the exempt accounts hold at most ${MAX_LIST} entries each`);
  for (const e of p.allowlist) {
    if (!/^[A-Za-z][A-Za-z0-9._:-]{2,100}$/.test(e.id)) throw invalid(`${JSON.stringify(e.id).slice(0, 60)} is not an advisory id (CVE-2024-1234, GHSA-..., DSA-...)`);
    if (e.expiresAt !== undefined && Number.isNaN(Date.parse(e.expiresAt))) throw invalid(`the allowlist entry ${e.id} has an expiry that is not an ISO 8601 time`);
  }
  for (const a of p.exempt) if (typeof a !== 'string' || !a || a.length > 200) throw invalid('exempt accounts are user or robot names');
}
