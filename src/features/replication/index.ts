// Replication (docs/replication.md): rules that push Berth's images to a peer registry or pull
// a peer's into Berth, run by hand, on a cron schedule, or on push. enable(ctx) wires the job
// handler (runs are durable jobs, once across instances), the transaction hook that queues
// on-push runs with the push itself, the schedule sweep, and the API routes. The rules are held
// in memory for the hook and reloaded every few seconds (how other instances learn of a change).
import type { RegistryEvent } from '../../core/events.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { Feature, FeatureContext } from '../feature.ts';
import { lazySecretBox } from '../secrets.ts';
import { compileFilter, cosignSubject } from './filters.ts';
import { replicationRoutes } from './routes.ts';
import { REPLICATION_JOB, ReplicationService, type ReplicationJobPayload } from './service.ts';
import type { Rule } from './store.ts';

export { REPLICATION_JOB, ReplicationService } from './service.ts';

const RELOAD_MS = 5000;
const SWEEP_MS = 10 * 60_000;

export interface ReplicationFeature extends Feature {
  readonly service: ReplicationService;
}

export function enableReplication(ctx: FeatureContext): ReplicationFeature {
  let rules: { rule: Rule; filter: ReturnType<typeof compileFilter> }[] = [];
  const reload = async () => {
    rules = (await service.store.rules()).filter((r) => r.direction === 'push' && r.onPush && r.enabled).map((rule) => ({ rule, filter: compileFilter({ repos: rule.repos, tags: rule.tags }) }));
  };
  const service: ReplicationService = new ReplicationService({
    db: ctx.db, box: lazySecretBox(ctx.config.storage.dataDir), registry: ctx.registry, jobs: ctx.jobs,
    ...(ctx.identity ? { projects: ctx.identity.projects } : {}),
    record: ctx.record,
    changed: () => reload().catch((error: unknown) => ctx.log.error({ err: error }, 'replication: reloading the rules failed')),
  });
  ctx.jobs.register(REPLICATION_JOB, {
    concurrency: 2,
    maxAttempts: ReplicationService.maxAttempts,
    run: (payload, job) => service.handle(payload as ReplicationJobPayload, job),
  });
  const logReload = () => void reload().catch((error: unknown) => ctx.log.error({ err: error }, 'replication: reloading the rules failed'));
  let timers: NodeJS.Timeout[] = [];
  let unsubscribe: (() => void) | undefined;
  return {
    name: 'replication',
    capabilities: ['replication'],
    routes: ctx.identity ? replicationRoutes(service) : [],
    service,
    /**
     * On push: the job is queued in the push's own transaction, so a committed push is always
     * replicated by the rules that take it. A tag pushed or moved, a referrer pushed by digest
     * (it has a subject), and, for rules that replicate deletions, a tag removed.
     */
    async inTransaction(trx: Executor, events: readonly RegistryEvent[]) {
      if (!rules.length) return;
      for (const e of events) {
        for (const { rule, filter } of rules) {
          if (!filter.repository(e.repository)) continue;
          if ((e.type === 'push' || e.type === 'tag') && e.tag !== undefined) {
            if (filter.tag(e.tag) || cosignSubject(e.tag)) await service.queueOnPush(trx, rule, { repository: e.repository, tag: e.tag });
          } else if (e.type === 'push') {
            const row = await trx.selectFrom('repository_manifests').innerJoin('repositories', 'repositories.id', 'repository_manifests.repository_id')
              .select('repository_manifests.subject_digest').where('repositories.name', '=', e.repository).where('repository_manifests.digest', '=', e.digest).executeTakeFirst();
            if (row?.subject_digest) await service.queueOnPush(trx, rule, { repository: e.repository, digest: e.digest });
          } else if (rule.deletions && e.type === 'untag') {
            if (filter.tag(e.tag)) await service.queueOnPush(trx, rule, { repository: e.repository, tag: e.tag, deleted: true });
          } else if (rule.deletions && e.type === 'delete' && e.target === 'manifest') {
            for (const tag of e.tags) if (filter.tag(tag)) await service.queueOnPush(trx, rule, { repository: e.repository, tag, deleted: true });
          }
        }
      }
    },
    start() {
      logReload();
      timers = [setInterval(logReload, RELOAD_MS), setInterval(() => void service.ensureAllScheduled().catch((error: unknown) => ctx.log.error({ err: error }, 'replication: queueing scheduled runs failed')), SWEEP_MS)];
      for (const t of timers) t.unref();
      void service.ensureAllScheduled().catch((error: unknown) => ctx.log.error({ err: error }, 'replication: queueing scheduled runs failed'));
      // The push is committed when the bus hears of it: its queued replication can start now.
      unsubscribe = ctx.registry.bus.onAny((e) => { if (rules.length && (e.type === 'push' || e.type === 'tag' || e.type === 'untag' || e.type === 'delete')) ctx.jobs.wake(); });
    },
    async close() {
      for (const t of timers) clearInterval(t);
      unsubscribe?.();
    },
  };
}
