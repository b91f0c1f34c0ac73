// Each project's retention policy: who reads it (members and administrators), who changes and
// runs it (owners, maintainers and administrators), and storing it: the normalised rules and the
// text they were written in (comments kept for the editor) as JSON, the schedule in its column.
// Every change is audited and re-plans the schedule.
import type { Kysely } from 'kysely';
import { stringify } from 'yaml';
import { isAdmin, requireVisibleProject, type Actor } from '../../auth/directory/actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../../auth/directory/changes.ts';
import { RegistryError } from '../../core/errors.ts';
import { memberRole, type ProjectRow } from '../../metadata/identity/projects.ts';
import { findRetentionPolicy, saveRetentionPolicy } from '../../metadata/retention.ts';
import type { Database } from '../../metadata/schema.ts';
import { nextRuns, parseCron } from './cron.ts';
import { EMPTY_POLICY, parsePolicy, PolicyError, policyToData, validatePolicy, type RetentionPolicy } from './rules.ts';

export interface StoredPolicy {
  readonly policy: RetentionPolicy;
  /** The text it was written in (YAML or JSON), for the editor; generated when set as data. */
  readonly source: string;
  readonly updatedAt: number | null;
  readonly updatedBy: string | null;
}

export interface RetentionAccess {
  readonly project: ProjectRow;
  /** Owners, maintainers and administrators change and run the policy. */
  readonly canChange: boolean;
}

/** The YAML an owner would write for this policy. */
export function policySource(policy: RetentionPolicy): string {
  return stringify(policyToData(policy), { lineWidth: 0 });
}

export class RetentionSettings {
  /** Called after a policy is saved (the scheduler queues its next run). */
  onSaved: (projectId: number, project: string, schedule: string | null) => Promise<void> = async () => {};

  constructor(private readonly db: Kysely<Database>, private readonly record: ChangeRecorder = IGNORE_CHANGES, private readonly now: () => number = Date.now) {}

  /**
   * The project and whether the actor may change it. Strangers get the missing-project answer;
   * someone who may see a public project but is not its member is refused.
   */
  async access(actor: Actor | undefined, name: string): Promise<RetentionAccess> {
    const project = await requireVisibleProject(this.db, actor, name);
    if (actor && isAdmin(actor)) return { project, canChange: true };
    if (actor?.kind === 'robot' && actor.permissions.has(project.name)) return { project, canChange: false };
    if (actor?.kind === 'user') {
      const role = await memberRole(this.db, project.id, actor.id);
      if (role !== undefined) {
        const limited = actor.limit && (!actor.limit.actions.has('delete') || (actor.limit.projects !== undefined && !actor.limit.projects.has(project.name)));
        return { project, canChange: (role === 'owner' || role === 'maintainer') && !limited };
      }
      if (actor.admin) return { project, canChange: false }; // an administrator's access token limited to other projects
    }
    throw new RegistryError('DENIED', { project: project.name }, { message: `only members of ${project.name} read its retention policy` });
  }

  /** As access(), refusing those who may not change or run the policy. */
  async requireChange(actor: Actor, name: string): Promise<ProjectRow> {
    const a = await this.access(actor, name);
    if (!a.canChange) throw new RegistryError('DENIED', { project: a.project.name }, { message: `only owners and maintainers of ${a.project.name} and administrators change or run its retention policy` });
    return a.project;
  }

  /** The stored policy (the empty one when none was set); no access check. */
  async of(projectId: number): Promise<StoredPolicy> {
    const row = await findRetentionPolicy(this.db, projectId);
    if (!row) return { policy: EMPTY_POLICY, source: '', updatedAt: null, updatedBy: null };
    let stored: { untagged?: boolean; rules?: unknown; source?: string };
    try {
      stored = JSON.parse(row.rules) as typeof stored;
    } catch {
      stored = {};
    }
    let policy: RetentionPolicy;
    try {
      policy = validatePolicy({ schedule: row.schedule, untagged: stored.untagged ?? false, rules: stored.rules ?? [] });
    } catch (error) {
      // A policy stored by a later version with rules this one does not know: run nothing.
      if (!(error instanceof PolicyError)) throw error;
      policy = EMPTY_POLICY;
    }
    return { policy, source: stored.source ?? policySource(policy), updatedAt: Number(row.updated_at), updatedBy: row.updated_by };
  }

  /** Saves a validated policy; `source` is the text it came from (YAML or JSON). */
  async set(actor: Actor, name: string, policy: RetentionPolicy, source?: string): Promise<StoredPolicy & { project: ProjectRow }> {
    const project = await this.requireChange(actor, name);
    if (policy.schedule) parseCron(policy.schedule);
    const text = source !== undefined && source.trim() !== '' ? source : policySource(policy);
    await saveRetentionPolicy(this.db, project.id, { rules: JSON.stringify({ untagged: policy.untagged, rules: policyToData(policy).rules, source: text }), schedule: policy.schedule }, this.now(), actor.name);
    await this.record({
      action: 'retention.policy', actor, project: project.name,
      detail: { rules: policy.rules.length, untagged: policy.untagged, schedule: policy.schedule },
    });
    await this.onSaved(project.id, project.name, policy.schedule);
    return { project, ...(await this.of(project.id)) };
  }

  /**
   * Sets `source` (a policy's YAML) as the project's policy unless it has one already: a default
   * another feature gives the projects it makes (proxy projects: not pulled in 30 days).
   */
  async setDefault(actor: Actor, name: string, source: string): Promise<boolean> {
    const project = await this.requireChange(actor, name);
    if (await findRetentionPolicy(this.db, project.id)) return false;
    await this.set(actor, name, parsePolicy(source), source);
    return true;
  }

  /** The next runs of the schedule (ISO times), for show and the UI. */
  nextRuns(schedule: string | null, count = 3): string[] {
    if (!schedule) return [];
    return nextRuns(parseCron(schedule), this.now(), count).map((t) => new Date(t).toISOString());
  }
}
