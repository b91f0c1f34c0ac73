// Replication management: rules (add, list, remove), runs asked for now, history, and the job
// handler that runs a pass. A pass is a durable job (src/jobs): leased, retried with backoff, run
// once across instances; a try that fails leaves its results, the next try starts them again.
import type { Kysely } from 'kysely';
import { SYSTEM, type Actor } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { ProjectService } from '../../auth/directory/projects.ts';
import { CronError, nextRun, parseCron } from '../../core/cron.ts';
import { RegistryError } from '../../core/errors.ts';
import type { JobContext, JobRunner } from '../../jobs/runner.ts';
import type { Executor } from '../../metadata/executor.ts';
import { findProject } from '../../metadata/identity/projects.ts';
import type { Database } from '../../metadata/schema.ts';
import type { Registry } from '../../registry/registry.ts';
import { RegistryClient } from '../../registry-client/index.ts';
import type { SecretBox } from '../secrets.ts';
import { Copier, type CopySummary, type OnlyOne } from './copier.ts';
import { filterProblem } from './filters.ts';
import { prefixProblem } from './names.ts';
import { LocalEndpoint, RemoteEndpoint } from './peers.ts';
import { ReplicationStore, type Direction, type Rule, type RulePatch, type Run, type Trigger } from './store.ts';
import type { ResultView, RuleView, RunView, RunWithResultsView } from './views.ts';

export const REPLICATION_JOB = 'replication.run';

export interface ReplicationJobPayload {
  readonly ruleId: number;
  readonly trigger: Trigger;
  readonly runId?: number;
  readonly only?: OnlyOne;
  /** A scheduled run: the schedule it was queued for, and the occurrence. */
  readonly schedule?: string;
  readonly at?: number;
}

export interface NewRuleInput {
  readonly name: string;
  readonly to?: string;
  readonly from?: string;
  readonly repos: string;
  readonly tags?: string;
  readonly label?: string;
  readonly onPush?: boolean;
  readonly schedule?: string;
  readonly deletions?: boolean;
  readonly username?: string;
  readonly password?: string;
  /** Replaces the first path component of each name on the target (names.ts). */
  readonly destPrefix?: string;
  readonly enabled?: boolean;
}

/** A change to a rule (PATCH): the store's patch, checked here (what is left out stays; null clears; the password is write-only). */
export type RuleChangeInput = RulePatch;

/**
 * Tries of a run. Someone waits on a manual run: three tries (a few seconds). On-push and
 * scheduled runs wait out a peer that is down for a while: ten tries, backing off to about
 * eight minutes in all, before the run is reported failed (the next run catches up).
 */
const MAX_ATTEMPTS = 10;
const MANUAL_ATTEMPTS = 3;

function invalid(message: string): RegistryError {
  return new RegistryError('INVALID_REQUEST', undefined, { message });
}

export function checkPeer(value: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalid(`${flag} ${value.slice(0, 200)} is not a URL (http(s)://host[:port])`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`${flag} must be http:// or https://`);
  if (u.username || u.password) throw invalid('give the peer\'s credentials with --username and --password-stdin, not in the URL');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** The checks shared by add and update. */
function checkRule(direction: Direction, f: { repos: string; tags: string; label?: string | undefined; onPush?: boolean | undefined; schedule?: string | undefined; destPrefix?: string | undefined }): void {
  const problem = filterProblem({ repos: f.repos, tags: f.tags });
  if (problem) throw invalid(problem);
  if (f.label !== undefined) {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(f.label)) throw invalid('--label is a repository label: a lower-case word of a-z, 0-9 and "-"');
    if (direction === 'pull') throw invalid('--label selects Berth\'s repositories by their label: it applies to push rules (--to) only');
  }
  if (f.onPush && direction === 'pull') throw invalid('--on-push reacts to pushes into Berth: it applies to push rules (--to) only; schedule a pull rule with --schedule');
  if (f.schedule !== undefined) {
    try {
      parseCron(f.schedule);
    } catch (error) {
      if (error instanceof CronError) throw invalid(`--schedule: ${error.message}`);
      throw error;
    }
  }
  if (f.destPrefix !== undefined) {
    const p = prefixProblem(f.destPrefix);
    if (p) throw invalid(p);
  }
}

export interface ReplicationDeps {
  readonly db: Kysely<Database>;
  readonly box: () => SecretBox;
  readonly registry?: Registry;
  readonly jobs?: JobRunner;
  readonly projects?: ProjectService;
  readonly record: ChangeRecorder;
  /** Told after a rule is added or removed (the on-push cache reloads). */
  readonly changed?: () => Promise<void>;
  readonly now?: () => number;
}

export class ReplicationService {
  readonly store: ReplicationStore;
  private readonly now: () => number;

  constructor(private readonly deps: ReplicationDeps) {
    this.store = new ReplicationStore(deps.db, deps.box);
    this.now = deps.now ?? Date.now;
  }

  async list(): Promise<RuleView[]> {
    const last = await this.store.lastRuns();
    return (await this.store.rules()).map((r) => this.viewOf(r, last.get(r.id)));
  }

  async get(name: string): Promise<RuleView> {
    const rule = await this.rule(name);
    return this.viewOf(rule, await this.lastRunOf(rule));
  }

  private async lastRunOf(rule: Rule): Promise<Run | undefined> {
    return (await this.store.runs(rule.id, 1))[0];
  }

  private async rule(name: string): Promise<Rule> {
    const rule = await this.store.rule(name);
    if (!rule) throw new RegistryError('NOT_FOUND', undefined, { message: `no replication rule ${name.slice(0, 100)}` });
    return rule;
  }

  async add(actor: Actor, input: NewRuleInput): Promise<RuleView> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(input.name)) throw invalid('a rule name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    if ((input.to === undefined) === (input.from === undefined)) throw invalid('give exactly one of --to URL (push from Berth) or --from URL (pull into Berth)');
    const direction = input.to !== undefined ? 'push' : 'pull';
    const peer = checkPeer((input.to ?? input.from)!, direction === 'push' ? '--to' : '--from');
    const tags = input.tags ?? '**';
    checkRule(direction, { repos: input.repos, tags, label: input.label, onPush: input.onPush, schedule: input.schedule, destPrefix: input.destPrefix });
    if (input.password !== undefined && input.username === undefined) throw invalid('a password needs a username (--username)');
    if (await this.store.rule(input.name)) throw new RegistryError('CONFLICT', undefined, { message: `a replication rule ${input.name} exists already` });
    await this.store.insertRule({
      name: input.name, direction, peer, repos: input.repos, tags,
      ...(input.label !== undefined ? { label: input.label } : {}),
      onPush: Boolean(input.onPush), ...(input.schedule !== undefined ? { schedule: input.schedule.trim() } : {}), deletions: Boolean(input.deletions),
      ...(input.username !== undefined ? { username: input.username } : {}),
      ...(input.password !== undefined ? { password: input.password } : {}),
      ...(input.destPrefix !== undefined ? { destPrefix: input.destPrefix } : {}),
      enabled: input.enabled !== false,
    }, actor.name, this.now());
    const rule = (await this.store.rule(input.name))!;
    await this.deps.record({ action: 'replication.add', actor, detail: { rule: rule.name, direction, peer, repos: rule.repos, tags, ...(rule.username ? { username: rule.username } : {}), ...(rule.schedule ? { schedule: rule.schedule } : {}), onPush: rule.onPush, deletions: rule.deletions, ...(rule.destPrefix ? { destPrefix: rule.destPrefix } : {}), ...(rule.enabled ? {} : { enabled: false }) } });
    await this.ensureScheduled(rule);
    await this.deps.changed?.();
    return this.viewOf(rule, await this.lastRunOf(rule));
  }

  /** Changes a rule (its name and direction stay); the password is replaced only when given. */
  async update(actor: Actor, name: string, change: RuleChangeInput): Promise<RuleView> {
    const old = await this.rule(name);
    const peer = change.peer !== undefined ? checkPeer(change.peer, old.direction === 'push' ? '--to' : '--from') : undefined;
    const pick = <K extends keyof RuleChangeInput>(k: K, was: RuleChangeInput[K]) => (change[k] !== undefined ? change[k] : was);
    const label = pick('label', old.label ?? null);
    const schedule = pick('schedule', old.schedule ?? null);
    const destPrefix = pick('destPrefix', old.destPrefix ?? null);
    checkRule(old.direction, {
      repos: change.repos ?? old.repos, tags: change.tags ?? old.tags, label: label ?? undefined, onPush: change.onPush ?? old.onPush,
      schedule: schedule ?? undefined, destPrefix: destPrefix ?? undefined,
    });
    const username = pick('username', old.username ?? null);
    if (change.password !== undefined && username === null) throw invalid('a password needs a username (--username)');
    const patch: RulePatch = {
      ...(peer !== undefined ? { peer } : {}),
      ...(change.repos !== undefined ? { repos: change.repos } : {}), ...(change.tags !== undefined ? { tags: change.tags } : {}),
      ...(change.label !== undefined ? { label: change.label } : {}), ...(change.onPush !== undefined ? { onPush: change.onPush } : {}),
      ...(change.schedule !== undefined ? { schedule: change.schedule === null ? null : change.schedule.trim() } : {}),
      ...(change.deletions !== undefined ? { deletions: change.deletions } : {}),
      ...(change.destPrefix !== undefined ? { destPrefix: change.destPrefix } : {}), ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
      ...(change.username !== undefined ? { username: change.username } : {}), ...(change.password !== undefined ? { password: change.password } : {}),
    };
    await this.store.updateRule(old.id, patch);
    const rule = (await this.store.ruleById(old.id))!;
    const changed = Object.keys(patch).filter((k) => k !== 'password');
    await this.deps.record({ action: 'replication.update', actor, detail: { rule: name, changed: [...changed, ...(change.password !== undefined ? ['password'] : [])].join(',') } });
    await this.ensureScheduled(rule);
    await this.deps.changed?.();
    return this.viewOf(rule, await this.lastRunOf(rule));
  }

  async remove(name: string, actor: Actor = SYSTEM): Promise<void> {
    if (!(await this.store.removeRule(name))) throw new RegistryError('NOT_FOUND', undefined, { message: `no replication rule ${name.slice(0, 100)}` });
    await this.deps.record({ action: 'replication.remove', actor, detail: { rule: name } });
    await this.deps.changed?.();
  }

  /** Queues a run of the rule now; returns the run and its job. */
  async requestRun(actor: Actor, name: string): Promise<{ run: RunView; job: number }> {
    const jobs = this.deps.jobs;
    if (!jobs) throw new RegistryError('UNSUPPORTED', undefined, { message: 'runs are queued on a running server' });
    const rule = await this.rule(name);
    const runId = await this.store.insertRun(rule.id, 'manual', actor.name, this.now());
    const { id } = await jobs.enqueue(REPLICATION_JOB, { ruleId: rule.id, trigger: 'manual', runId } satisfies ReplicationJobPayload, { priority: 5 });
    await this.store.setRunJob(runId, id);
    await this.deps.record({ action: 'replication.run', actor, detail: { rule: name, run: runId } });
    return { run: this.runView((await this.store.run(runId))!, rule.name), job: id };
  }

  /** Queues an on-push job in the push's own transaction (key: one open job per rule and reference). */
  async queueOnPush(trx: Executor, rule: Rule, only: OnlyOne): Promise<void> {
    const ref = only.tag ?? only.digest ?? '';
    await this.deps.jobs?.enqueue(REPLICATION_JOB, { ruleId: rule.id, trigger: 'push', only } satisfies ReplicationJobPayload, { key: `replication:${rule.id}:${only.deleted ? 'delete:' : ''}${only.repository}:${ref}`, priority: 3 }, trx);
  }

  async history(name: string, limit = 50): Promise<RunView[]> {
    const rule = await this.rule(name);
    const runs = await this.store.runs(rule.id, limit);
    return Promise.all(runs.map(async (r) => ({ ...this.runView(r, rule.name), progress: await this.progressOf(r) })));
  }

  /** How far a queued or running run is, from its job's progress note ("done/total what"). */
  private async progressOf(run: Run): Promise<RunView['progress']> {
    if (run.state !== 'running' && run.state !== 'queued') return null;
    const row = run.jobId !== null ? await this.deps.jobs?.job(run.jobId) : undefined;
    const m = row?.progress ? /^(\d+)\/(\d+) (.*)$/s.exec(row.progress) : null;
    if (!m) return null;
    return { done: Number(m[1]), total: Number(m[2]), current: m[3]! };
  }

  async runWithResults(id: number): Promise<RunWithResultsView> {
    const run = await this.store.run(id);
    if (!run) throw new RegistryError('NOT_FOUND', undefined, { message: `no replication run ${id}` });
    const rule = await this.store.ruleById(run.ruleId);
    const results: ResultView[] = (await this.store.results(id)).map((r) => ({
      repository: r.repository, reference: r.reference, digest: r.digest ?? null, kind: r.kind, status: r.status, bytes: r.bytes, error: r.error ?? null, at: new Date(r.at).toISOString(),
    }));
    return { ...this.runView(run, rule?.name ?? String(run.ruleId)), progress: await this.progressOf(run), results };
  }

  /** Queues the rule's next scheduled occurrence (one job per occurrence, across instances). */
  async ensureScheduled(rule: Rule, after = this.now()): Promise<number | undefined> {
    const jobs = this.deps.jobs;
    if (!jobs || !rule.schedule || !rule.enabled) return undefined;
    let at: number | undefined;
    try {
      at = nextRun(parseCron(rule.schedule), after);
    } catch (error) {
      if (error instanceof CronError) return undefined;
      throw error;
    }
    if (at === undefined) return undefined;
    await jobs.enqueue(REPLICATION_JOB, { ruleId: rule.id, trigger: 'schedule', schedule: rule.schedule, at } satisfies ReplicationJobPayload, { key: `replication:schedule:${rule.id}:${at}`, runAfter: at });
    return at;
  }

  async ensureAllScheduled(): Promise<void> {
    for (const rule of await this.store.rules()) await this.ensureScheduled(rule);
  }

  /** The job handler: one pass of a rule (or of one pushed reference). */
  async handle(payload: ReplicationJobPayload, job: JobContext): Promise<unknown> {
    const rule = await this.store.ruleById(payload.ruleId);
    if (!rule) return { skipped: 'the rule no longer exists' };
    if (payload.trigger === 'schedule' && rule.schedule !== payload.schedule) return { skipped: `the schedule changed (now ${rule.schedule ?? 'none'})` };
    // A disabled rule runs only by hand (a push or schedule job queued before it was disabled is dropped).
    if (payload.trigger !== 'manual' && !rule.enabled) return { skipped: 'the rule is disabled' };
    try {
      const runId = payload.runId ?? (await this.store.runOfJob(job.id)) ?? (await this.store.insertRun(rule.id, payload.trigger, payload.trigger === 'push' ? 'on-push' : 'schedule', this.now()));
      return await this.pass(rule, runId, job.id, payload.only, job, undefined, payload.trigger === 'manual' ? MANUAL_ATTEMPTS : MAX_ATTEMPTS);
    } finally {
      if (payload.trigger === 'schedule' && !job.signal.aborted) await this.ensureScheduled(rule, Math.max(this.now(), payload.at ?? 0));
    }
  }

  /** Runs a pass and records it as run `runId` (the server's job, or `berth replicate run` offline). */
  async pass(rule: Rule, runId: number, jobId: number, only: OnlyOne | undefined, job?: Pick<JobContext, 'signal' | 'progress' | 'attempt'>, onProgress?: (done: number, total: number, what: string) => void, tries = 1): Promise<{ run: number } & CopySummary> {
    const registry = this.deps.registry;
    if (!registry) throw new Error('replication needs the registry');
    await this.store.startRun(runId, jobId, this.now());
    const local = new LocalEndpoint(registry, this.deps.db, { actor: { name: `replication:${rule.name}` } }, (p) => this.ensureProject(p));
    const remote = new RemoteEndpoint(new RegistryClient({
      url: rule.peer, userAgent: 'berth-replication', timeoutMs: 60_000,
      ...(rule.username !== undefined ? { credentials: { username: rule.username, password: rule.password ?? '' } } : {}),
    }));
    let last = 0;
    const copier = new Copier({
      source: rule.direction === 'push' ? local : remote,
      target: rule.direction === 'push' ? remote : local,
      direction: rule.direction,
      ...(rule.destPrefix !== undefined ? { destPrefix: rule.destPrefix } : {}),
      filter: { repos: rule.repos, tags: rule.tags },
      ...(rule.label !== undefined ? { label: rule.label } : {}),
      deletions: rule.deletions,
      ...(job ? { signal: job.signal } : {}),
      onResult: (r) => this.store.addResult(runId, r, this.now()),
      onProgress: (done, total, what) => {
        onProgress?.(done, total, what);
        const now = Date.now();
        if (done !== total && now - last < 250) return;
        last = now;
        job?.progress(`${done}/${total} ${what}`);
      },
    });
    let summary: CopySummary;
    try {
      if (only && rule.label !== undefined && !(await local.repositories(rule.label)).includes(only.repository)) summary = copier.summary;
      else summary = only ? await copier.runOne(only) : await copier.runAll();
    } catch (error) {
      await this.store.finishRun(runId, 'failed', copier.summary, (error as Error).message?.slice(0, 2000), this.now());
      // Tried again later (the lease was lost, or tries are left); the last try reports the failure.
      if (job?.signal.aborted || (job && job.attempt < tries)) throw error;
      return { run: runId, ...copier.summary };
    }
    if (summary.failed > 0) {
      const first = (await this.store.results(runId)).find((r) => r.status === 'failed');
      const message = `${summary.failed} artifact${summary.failed === 1 ? '' : 's'} failed${first ? `, first ${first.repository}:${first.reference}: ${first.error}` : ''}`;
      await this.store.finishRun(runId, 'failed', summary, message, this.now());
      // Retried (what was copied is skipped then) until the last try, which reports the failure.
      if (job && job.attempt < tries) throw new Error(message);
      return { run: runId, ...summary };
    }
    await this.store.finishRun(runId, 'done', summary, undefined, this.now());
    return { run: runId, ...summary };
  }

  private async ensureProject(project: string): Promise<void> {
    if (await findProject(this.deps.db, project)) return;
    if (!this.deps.projects) return;
    try {
      await this.deps.projects.create(SYSTEM, project, 'private');
    } catch (error) {
      // Made meanwhile by another pass or instance.
      if (!(error instanceof RegistryError && error.code === 'CONFLICT')) throw error;
    }
  }

  static get maxAttempts(): number {
    return MAX_ATTEMPTS;
  }

  private viewOf(r: Rule, last: Run | undefined): RuleView {
    let next: number | undefined;
    try {
      next = r.schedule ? nextRun(parseCron(r.schedule), this.now()) : undefined;
    } catch { next = undefined; }
    return {
      name: r.name, direction: r.direction, peer: r.peer, username: r.username ?? null, hasPassword: r.password !== undefined,
      repos: r.repos, tags: r.tags, label: r.label ?? null, onPush: r.onPush, schedule: r.schedule ?? null,
      nextRunAt: next !== undefined && r.enabled ? new Date(next).toISOString() : null, deletions: r.deletions,
      destPrefix: r.destPrefix ?? null, enabled: r.enabled,
      lastRun: last ? this.runView(last, r.name) : null,
      createdAt: new Date(r.createdAt).toISOString(), createdBy: r.createdBy,
    };
  }

  runView(r: Run, rule: string): RunView {
    const iso = (n: number | null) => (n === null ? null : new Date(n).toISOString());
    return {
      id: r.id, rule, trigger: r.trigger, state: r.state, job: r.jobId, summary: r.summary, error: r.error, requestedBy: r.requestedBy,
      createdAt: new Date(r.createdAt).toISOString(), startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt),
    };
  }
}
