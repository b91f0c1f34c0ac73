// Runs a project's retention policy: plans it (planner.ts), then, unless it is a dry run, deletes
// through the registry as the retention actor, one tag (or untagged manifest) per change, so that
// webhooks, the audit log, tag history and immutability apply as to any client's delete. A tag an
// immutability rule refuses (TAG_IMMUTABLE) is kept and reported; a tag that moved since the plan,
// or an untagged manifest that was tagged or became a platform of an index, is left alone (the
// guard checks it inside the delete's own transaction); nothing aborts the run. Each run is a
// retention_runs row with its outcome, and audited.
import type { Kysely } from 'kysely';
import type { Actor } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import { RegistryError } from '../../core/errors.ts';
import type { RegistryEvent } from '../../core/events.ts';
import { matchesGlob } from '../../core/tag-rules.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { ProjectRow } from '../../metadata/identity/projects.ts';
import { finishRetentionRun, insertRetentionRun, pruneRetentionRuns } from '../../metadata/retention.ts';
import type { Database } from '../../metadata/schema.ts';
import type { RequestContext } from '../../registry/context.ts';
import type { Registry } from '../../registry/registry.ts';
import { immutableMatcher, loadInventory } from './inventory.ts';
import { decide, finish, type Decisions, type Plan, type PlannedManifest, type PlannedTag } from './planner.ts';
import type { RetentionPolicy } from './rules.ts';
import type { RetentionMetrics } from './metrics.ts';
import { runHead } from './views.ts';

/** The actor retention deletes as (no account can have this name: it holds a ":"). */
export const RETENTION_ACTOR = 'system:retention';

export type RunTrigger = 'manual' | 'schedule' | 'cli';

/** A review due within this of a delete is the delete's own (the registry queues one as it deletes). */
const PROTECTION_SLACK_MS = 5000;

/** Runs kept per project (older ones are pruned as new ones finish). */
export const RUNS_KEPT = 200;

export interface SkippedItem {
  readonly repository: string;
  readonly tag?: string;
  readonly digest: string;
  /** immutable: refused by an immutability rule; moved: changed since the plan; gone: already deleted; failed: another error. */
  readonly outcome: 'immutable' | 'moved' | 'gone' | 'failed';
  readonly reason: string;
}

export interface RunResult extends Plan {
  readonly id: number;
  readonly trigger: RunTrigger;
  readonly dryRun: boolean;
  readonly requestedBy: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** What the plan held that the run did not delete, and why. */
  readonly skipped: readonly SkippedItem[];
  readonly error: string | null;
}

export interface RunOptions {
  readonly dryRun: boolean;
  readonly trigger: RunTrigger;
  /** Who asked (the audit entry's actor); the deletes are the retention actor's. */
  readonly actor: Actor;
  readonly signal?: AbortSignal;
  readonly progress?: (text: string) => void;
}

type Expectation = { readonly kind: 'tag'; readonly digest: string } | { readonly kind: 'manifest'; readonly repositoryId: number };

/**
 * The registry transaction hook that makes a retention delete conditional: a tag is deleted only
 * if it still points at the planned digest; an untagged manifest only if it is still untagged and
 * no manifest of the repository names it as a platform. Anything else rolls the change back.
 */
export class RetentionGuard {
  private readonly expected = new Map<string, Expectation>();

  expect(requestId: string, repository: string, reference: string, e: Expectation): () => void {
    const key = `${requestId}\u0000${repository}\u0000${reference}`;
    this.expected.set(key, e);
    return () => this.expected.delete(key);
  }

  readonly inTransaction = async (trx: Executor, events: readonly RegistryEvent[]): Promise<void> => {
    if (!this.expected.size) return;
    for (const e of events) {
      if (e.actor.name !== RETENTION_ACTOR || !e.requestId) continue;
      if (e.type === 'untag') {
        const want = this.expected.get(`${e.requestId}\u0000${e.repository}\u0000${e.tag}`);
        if (want?.kind === 'tag' && want.digest !== e.digest) {
          throw new RegistryError('CONFLICT', { tag: e.tag, digest: e.digest }, { message: `${e.repository}:${e.tag} moved to ${e.digest.slice(0, 19)}… since the plan` });
        }
        const image = this.expected.get(`${e.requestId}\u0000${e.repository}\u0000${e.digest}`);
        if (image?.kind === 'manifest') {
          throw new RegistryError('CONFLICT', { tag: e.tag, digest: e.digest }, { message: `${e.digest.slice(0, 19)}… was tagged ${e.tag} since the plan` });
        }
      } else if (e.type === 'delete' && e.target === 'manifest') {
        const image = this.expected.get(`${e.requestId}\u0000${e.repository}\u0000${e.digest}`);
        if (image?.kind !== 'manifest') continue;
        const parent = await trx.selectFrom('manifest_refs as mr')
          .innerJoin('repository_manifests as rm', 'rm.digest', 'mr.manifest_digest')
          .select('mr.manifest_digest')
          .where('rm.repository_id', '=', image.repositoryId).where('mr.kind', '=', 'manifest').where('mr.child_digest', '=', e.digest)
          .executeTakeFirst();
        if (parent) throw new RegistryError('CONFLICT', { digest: e.digest }, { message: `${e.digest.slice(0, 19)}… is a platform of ${parent.manifest_digest.slice(0, 19)}… since the plan` });
        // A client looked it up by digest since the plan: GC's protection of it reaches past the
        // delete's own review (queued at about now), so it may be about to name it in an index.
        const review = await trx.selectFrom('gc_manifest_reviews').select('review_after').where('repository_id', '=', image.repositoryId).where('digest', '=', e.digest).executeTakeFirst();
        if (review && Number(review.review_after) > e.at.getTime() + PROTECTION_SLACK_MS) {
          throw new RegistryError('CONFLICT', { digest: e.digest }, { message: `${e.digest.slice(0, 19)}… was looked up or pushed since the plan (protected until ${new Date(Number(review.review_after)).toISOString()})` });
        }
      }
    }
  };
}

export interface RunnerDeps {
  readonly db: Kysely<Database>;
  readonly registry: Registry;
  readonly guard: RetentionGuard;
  readonly record: ChangeRecorder;
  readonly now?: () => number;
  readonly metrics?: RetentionMetrics;
}

export class RetentionRunner {
  private readonly now: () => number;
  /** One run per project at a time in this process (across instances, the scheduler's job lease). */
  private readonly running = new Map<number, Promise<unknown>>();

  constructor(private readonly deps: RunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The plan for a policy (the stored one, or rules being edited), without recording anything. */
  async preview(project: ProjectRow, policy: RetentionPolicy): Promise<Plan> {
    const { inventory, decisions } = await this.decide(project, policy, this.now());
    return finish(inventory, decisions, { now: this.now(), untagged: policy.untagged, done: false, warnings: decisions.warnings });
  }

  private async decide(project: ProjectRow, policy: RetentionPolicy, now: number) {
    const inventory = await loadInventory(this.deps.db, project.name, now);
    const immutable = await immutableMatcher(this.deps.db, project.id);
    return { inventory, decisions: decide(inventory, policy, { now, immutable }, matchesGlob) };
  }

  /** Runs (or dry-runs) the policy; waits for a run of the same project in progress here first. */
  async run(project: ProjectRow, policy: RetentionPolicy, options: RunOptions): Promise<RunResult> {
    const before = this.running.get(project.id) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => this.runNow(project, policy, options));
    this.running.set(project.id, mine);
    try {
      return await mine;
    } finally {
      if (this.running.get(project.id) === mine) this.running.delete(project.id);
    }
  }

  private async runNow(project: ProjectRow, policy: RetentionPolicy, options: RunOptions): Promise<RunResult> {
    const started = this.now();
    const id = await insertRetentionRun(this.deps.db, { projectId: project.id, trigger: options.trigger, dryRun: options.dryRun, startedAt: started });
    let result: RunResult;
    try {
      result = await this.execute(id, project, policy, options, started);
    } catch (error) {
      // Planning itself failed (the DB went away): the row says so.
      const message = error instanceof Error ? error.message : String(error);
      await finishRetentionRun(this.deps.db, id, { finishedAt: this.now(), tags: 0, bytes: 0, plan: JSON.stringify({ error: message }), error: message.slice(0, 2000) }).catch(() => undefined);
      this.deps.metrics?.failed(options.trigger);
      throw error;
    }
    await finishRetentionRun(this.deps.db, id, {
      finishedAt: Date.parse(result.finishedAt), tags: result.summary.tags + result.summary.manifests, bytes: result.summary.bytes,
      plan: runHead(result), error: result.error,
    });
    this.deps.metrics?.ran(result);
    await pruneRetentionRuns(this.deps.db, project.id, RUNS_KEPT).catch(() => undefined);
    await this.deps.record({
      action: options.dryRun ? 'retention.dry-run' : 'retention.run', actor: options.actor, project: project.name,
      detail: { run: id, trigger: options.trigger, tags: result.summary.tags, manifests: result.summary.manifests, bytes: result.summary.bytes, skipped: result.skipped.length, ...(result.error ? { error: result.error } : {}) },
    });
    return result;
  }

  private async execute(id: number, project: ProjectRow, policy: RetentionPolicy, options: RunOptions, started: number): Promise<RunResult> {
    const { inventory, decisions } = await this.decide(project, policy, started);
    const meta = { id, trigger: options.trigger, dryRun: options.dryRun, requestedBy: options.actor.name, startedAt: new Date(started).toISOString() };
    if (options.dryRun) {
      const planned = finish(inventory, decisions, { now: started, untagged: policy.untagged, done: false, warnings: decisions.warnings });
      return { ...planned, ...meta, finishedAt: new Date(this.now()).toISOString(), skipped: [], error: null };
    }

    const ctx: RequestContext = { actor: { name: RETENTION_ACTOR }, requestId: `retention-run-${id}` };
    const skipped: SkippedItem[] = [];
    const doneTags = new Map<string, PlannedTag[]>();
    const doneManifests = new Map<string, PlannedManifest[]>();
    const keepTags = new Map<string, PlannedTag[]>([...decisions.keepTags].map(([k, v]) => [k, [...v]]));
    const total = [...decisions.deleteTags.values()].reduce((n, l) => n + l.length, 0) + [...decisions.deleteManifests.values()].reduce((n, l) => n + l.length, 0);
    let step = 0;
    let error: string | null = null;
    const stopped = () => options.signal?.aborted === true;

    const outcomeOf = (e: unknown): { outcome: SkippedItem['outcome']; reason: string } => {
      if (e instanceof RegistryError) {
        if (e.code === 'TAG_IMMUTABLE') return { outcome: 'immutable', reason: e.message };
        if (e.code === 'CONFLICT') return { outcome: 'moved', reason: e.message };
        if (e.code === 'MANIFEST_UNKNOWN' || e.code === 'NAME_UNKNOWN') return { outcome: 'gone', reason: 'already deleted' };
        return { outcome: 'failed', reason: e.message };
      }
      return { outcome: 'failed', reason: e instanceof Error ? e.message : String(e) };
    };

    const repositoryIds = new Map<string, number>();
    for (const [repository, tags] of decisions.deleteTags) {
      for (const t of tags) {
        if (stopped()) break;
        options.progress?.(`deleting ${++step}/${total}: ${repository}:${t.tag}`);
        const release = this.deps.guard.expect(ctx.requestId!, repository, t.tag, { kind: 'tag', digest: t.digest });
        try {
          await this.deps.registry.manifests.delete(ctx, repository, t.tag);
          doneTags.set(repository, [...(doneTags.get(repository) ?? []), t]);
        } catch (e) {
          const o = outcomeOf(e);
          skipped.push({ repository, tag: t.tag, digest: t.digest, ...o });
          if (o.outcome !== 'gone') keepTags.set(repository, [...(keepTags.get(repository) ?? []), { ...t, reasons: [o.outcome === 'immutable' ? `immutable (refused: ${o.reason})` : o.reason] }]);
        } finally {
          release();
        }
      }
    }
    for (const [repository, manifests] of decisions.deleteManifests) {
      for (const m of manifests) {
        if (stopped()) break;
        options.progress?.(`deleting ${++step}/${total}: ${repository}@${m.digest.slice(0, 19)}…`);
        let repositoryId = repositoryIds.get(repository);
        if (repositoryId === undefined) {
          repositoryId = (await this.deps.registry.repositories.find(repository))?.id ?? -1;
          repositoryIds.set(repository, repositoryId);
        }
        const release = this.deps.guard.expect(ctx.requestId!, repository, m.digest, { kind: 'manifest', repositoryId });
        try {
          await this.deps.registry.manifests.delete(ctx, repository, m.digest);
          doneManifests.set(repository, [...(doneManifests.get(repository) ?? []), m]);
        } catch (e) {
          skipped.push({ repository, digest: m.digest, ...outcomeOf(e) });
        } finally {
          release();
        }
      }
    }
    if (stopped()) error = `stopped after ${step} of ${total} deletions (the server is shutting down); the next run finishes the job`;

    const outcome: Decisions = { deleteTags: doneTags, deleteManifests: doneManifests, keepTags, keepManifests: decisions.keepManifests, outOfScope: decisions.outOfScope };
    const done = finish(inventory, outcome, { now: started, untagged: policy.untagged, done: true, warnings: decisions.warnings });
    return { ...done, ...meta, finishedAt: new Date(this.now()).toISOString(), skipped, error };
  }
}
