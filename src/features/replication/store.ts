// The replication tables (migrations 015 and 019): rules, runs and per-artifact results. Typed
// here, beside the feature that owns them.
import type { Kysely } from 'kysely';
import type { Executor } from '../../metadata/executor.ts';
import type { Database } from '../../metadata/schema.ts';
import type { SecretBox } from '../secrets.ts';
import type { ArtifactResult, CopySummary } from './copier.ts';

interface ReplicationTables {
  replication_rules: {
    id: number; name: string; direction: string; peer: string; username: string | null; password_sealed: string | null;
    repos: string; tags: string; label: string | null; on_push: number; schedule: string | null; deletions: number; created_at: number; created_by: string;
    dest_prefix: string | null; enabled: number;
  };
  replication_runs: {
    id: number; rule_id: number; trigger: string; state: string; job_id: number | null; summary: string | null; error: string | null;
    requested_by: string; created_at: number; started_at: number | null; finished_at: number | null;
  };
  replication_results: {
    id: number; run_id: number; repository: string; reference: string; digest: string | null; kind: string; status: string; bytes: number; error: string | null; at: number;
  };
}

type Db = Kysely<Database & ReplicationTables>;

export type Direction = 'push' | 'pull';
export type Trigger = 'manual' | 'schedule' | 'push';
export type RunState = 'queued' | 'running' | 'done' | 'failed';

export interface Rule {
  readonly id: number;
  readonly name: string;
  readonly direction: Direction;
  readonly peer: string;
  readonly username?: string;
  readonly password?: string;
  readonly repos: string;
  readonly tags: string;
  readonly label?: string;
  readonly onPush: boolean;
  readonly schedule?: string;
  readonly deletions: boolean;
  /** Replaces the first path component of each name on the target (019). */
  readonly destPrefix?: string;
  /** A disabled rule is not run on push or on its schedule (019). */
  readonly enabled: boolean;
  readonly createdAt: number;
  readonly createdBy: string;
}

export type NewRule = Omit<Rule, 'id' | 'createdAt' | 'createdBy' | 'enabled'> & { readonly enabled?: boolean };

/** A change to a rule: a field left out stays; null clears an optional one. */
export interface RulePatch {
  readonly peer?: string;
  readonly repos?: string;
  readonly tags?: string;
  readonly label?: string | null;
  readonly onPush?: boolean;
  readonly schedule?: string | null;
  readonly deletions?: boolean;
  readonly destPrefix?: string | null;
  readonly enabled?: boolean;
  /** null removes the credentials; a password left out keeps the stored one. */
  readonly username?: string | null;
  readonly password?: string;
}

export interface Run {
  readonly id: number;
  readonly ruleId: number;
  readonly trigger: Trigger;
  readonly state: RunState;
  readonly jobId: number | null;
  readonly summary: CopySummary | null;
  readonly error: string | null;
  readonly requestedBy: string;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
}

export class ReplicationStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>, private readonly box: () => SecretBox) {
    this.db = db as unknown as Db;
  }

  private ruleOf(r: ReplicationTables['replication_rules']): Rule {
    return {
      id: Number(r.id), name: r.name, direction: r.direction as Direction, peer: r.peer,
      ...(r.username !== null ? { username: r.username } : {}),
      ...(r.password_sealed !== null ? { password: this.box().open(r.password_sealed) } : {}),
      repos: r.repos, tags: r.tags, ...(r.label !== null ? { label: r.label } : {}),
      onPush: Number(r.on_push) === 1, ...(r.schedule !== null ? { schedule: r.schedule } : {}), deletions: Number(r.deletions) === 1,
      ...(r.dest_prefix !== null && r.dest_prefix !== undefined ? { destPrefix: r.dest_prefix } : {}), enabled: r.enabled === undefined || Number(r.enabled) === 1,
      createdAt: Number(r.created_at), createdBy: r.created_by,
    };
  }

  async rules(): Promise<Rule[]> {
    return (await this.db.selectFrom('replication_rules').selectAll().orderBy('name').execute()).map((r) => this.ruleOf(r));
  }

  async rule(name: string): Promise<Rule | undefined> {
    const r = await this.db.selectFrom('replication_rules').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? this.ruleOf(r) : undefined;
  }

  async ruleById(id: number): Promise<Rule | undefined> {
    const r = await this.db.selectFrom('replication_rules').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.ruleOf(r) : undefined;
  }

  async insertRule(rule: NewRule, by: string, now = Date.now()): Promise<void> {
    await this.db.insertInto('replication_rules').values({
      name: rule.name, direction: rule.direction, peer: rule.peer, username: rule.username ?? null,
      password_sealed: rule.password !== undefined ? this.box().seal(rule.password) : null,
      repos: rule.repos, tags: rule.tags, label: rule.label ?? null, on_push: rule.onPush ? 1 : 0, schedule: rule.schedule ?? null,
      deletions: rule.deletions ? 1 : 0, created_at: now, created_by: by,
      dest_prefix: rule.destPrefix ?? null, enabled: rule.enabled === false ? 0 : 1,
    } as never).execute();
  }

  async updateRule(id: number, patch: RulePatch): Promise<void> {
    const set: Partial<ReplicationTables['replication_rules']> = {};
    if (patch.peer !== undefined) set.peer = patch.peer;
    if (patch.repos !== undefined) set.repos = patch.repos;
    if (patch.tags !== undefined) set.tags = patch.tags;
    if (patch.label !== undefined) set.label = patch.label;
    if (patch.onPush !== undefined) set.on_push = patch.onPush ? 1 : 0;
    if (patch.schedule !== undefined) set.schedule = patch.schedule;
    if (patch.deletions !== undefined) set.deletions = patch.deletions ? 1 : 0;
    if (patch.destPrefix !== undefined) set.dest_prefix = patch.destPrefix;
    if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
    if (patch.username === null) {
      set.username = null;
      set.password_sealed = null;
    } else if (patch.username !== undefined) set.username = patch.username;
    if (patch.password !== undefined) set.password_sealed = this.box().seal(patch.password);
    if (!Object.keys(set).length) return;
    await this.db.updateTable('replication_rules').set(set as never).where('id', '=', id).execute();
  }

  /** The newest run of each of the rules (for the list of rules). */
  async lastRuns(): Promise<Map<number, Run>> {
    const newest = this.db.selectFrom('replication_runs').select((eb) => eb.fn.max('id').as('id')).groupBy('rule_id');
    const rows = await this.db.selectFrom('replication_runs').selectAll().where('id', 'in', newest).execute();
    return new Map(rows.map((r) => [Number(r.rule_id), this.runOf(r)]));
  }

  /** How far each running run is: results recorded so far, by status. */
  async resultCounts(runId: number): Promise<Record<string, number>> {
    const rows = await this.db.selectFrom('replication_results').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('run_id', '=', runId).groupBy('status').execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async removeRule(name: string): Promise<boolean> {
    const rule = await this.rule(name);
    if (!rule) return false;
    // Runs and results go with it (and explicitly, for SQLite without foreign-key enforcement).
    const runs = this.db.selectFrom('replication_runs').select('id').where('rule_id', '=', rule.id);
    await this.db.deleteFrom('replication_results').where('run_id', 'in', runs).execute();
    await this.db.deleteFrom('replication_runs').where('rule_id', '=', rule.id).execute();
    const r = await this.db.deleteFrom('replication_rules').where('id', '=', rule.id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async insertRun(ruleId: number, trigger: Trigger, by: string, now = Date.now(), db?: Executor): Promise<number> {
    const r = await ((db ?? this.db) as unknown as Db).insertInto('replication_runs').values({
      rule_id: ruleId, trigger, state: 'queued', job_id: null, summary: null, error: null, requested_by: by, created_at: now, started_at: null, finished_at: null,
    } as never).returning('id').executeTakeFirstOrThrow();
    return Number(r.id);
  }

  /** The run a job made on an earlier try (on-push and scheduled jobs make theirs when they start). */
  async runOfJob(jobId: number): Promise<number | undefined> {
    const r = await this.db.selectFrom('replication_runs').select('id').where('job_id', '=', jobId).orderBy('id', 'desc').executeTakeFirst();
    return r ? Number(r.id) : undefined;
  }

  async setRunJob(runId: number, jobId: number): Promise<void> {
    await this.db.updateTable('replication_runs').set({ job_id: jobId }).where('id', '=', runId).execute();
  }

  /** A try of the run starts: its earlier try's results are dropped (the pass is idempotent). */
  async startRun(runId: number, jobId: number, now = Date.now()): Promise<void> {
    await this.db.deleteFrom('replication_results').where('run_id', '=', runId).execute();
    await this.db.updateTable('replication_runs').set({ state: 'running', job_id: jobId, started_at: now, finished_at: null, error: null }).where('id', '=', runId).execute();
  }

  async finishRun(runId: number, state: 'done' | 'failed', summary: CopySummary, error: string | undefined, now = Date.now()): Promise<void> {
    await this.db.updateTable('replication_runs').set({ state, summary: JSON.stringify(summary), error: error ?? null, finished_at: now }).where('id', '=', runId).execute();
  }

  async addResult(runId: number, r: ArtifactResult, now = Date.now()): Promise<void> {
    await this.db.insertInto('replication_results').values({
      run_id: runId, repository: r.repository, reference: r.reference, digest: r.digest ?? null, kind: r.kind, status: r.status, bytes: r.bytes, error: r.error ?? null, at: now,
    } as never).execute();
  }

  private runOf(r: ReplicationTables['replication_runs']): Run {
    return {
      id: Number(r.id), ruleId: Number(r.rule_id), trigger: r.trigger as Trigger, state: r.state as RunState, jobId: r.job_id === null ? null : Number(r.job_id),
      summary: r.summary ? (JSON.parse(r.summary) as CopySummary) : null, error: r.error, requestedBy: r.requested_by,
      createdAt: Number(r.created_at), startedAt: r.started_at === null ? null : Number(r.started_at), finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    };
  }

  async runs(ruleId: number, limit = 50): Promise<Run[]> {
    return (await this.db.selectFrom('replication_runs').selectAll().where('rule_id', '=', ruleId).orderBy('id', 'desc').limit(limit).execute()).map((r) => this.runOf(r));
  }

  async run(id: number): Promise<Run | undefined> {
    const r = await this.db.selectFrom('replication_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.runOf(r) : undefined;
  }

  async results(runId: number, limit = 10_000): Promise<(ArtifactResult & { at: number })[]> {
    const rows = await this.db.selectFrom('replication_results').selectAll().where('run_id', '=', runId).orderBy('id').limit(limit).execute();
    return rows.map((r) => ({
      repository: r.repository, reference: r.reference, ...(r.digest !== null ? { digest: r.digest } : {}), kind: r.kind as ArtifactResult['kind'],
      status: r.status as ArtifactResult['status'], bytes: Number(r.bytes), ...(r.error !== null ? { error: r.error } : {}), at: Number(r.at),
    }));
  }
}
