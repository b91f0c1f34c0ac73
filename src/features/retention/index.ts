// Retention policies and tag history with rollback (docs/retention.md, docs/tag-history.md).
// Retention: per-project rules (keep the N most recently pushed or pulled, those pushed or pulled
// within D days, by tag pattern, always), combined with OR and scoped by repository and tag
// patterns, an option for untagged manifests, dry runs that give the exact plan, and runs on
// demand or on a cron schedule through the durable job runner; deletes go through the registry
// as system:retention, so webhooks, the audit log and immutability apply, and GC reclaims the
// bytes. Tag history: every move the registry records, and rollback by digest or by steps.
import type { ApiRoute } from '../../http/api/route.ts';
import type { Feature, FeatureContext } from '../feature.ts';
import { TagHistoryService } from './history.ts';
import { RetentionMetrics } from './metrics.ts';
import { RollbackService } from './rollback.ts';
import { retentionRoutes } from './routes.ts';
import { RetentionGuard, RetentionRunner } from './runner.ts';
import { RetentionScheduler } from './schedule.ts';
import { RetentionSettings } from './settings.ts';

export interface RetentionServices {
  readonly settings: RetentionSettings;
  readonly runner: RetentionRunner;
  readonly guard: RetentionGuard;
  readonly history: TagHistoryService;
  readonly rollback: RollbackService;
  readonly metrics: RetentionMetrics;
}

/** The services, for the server and the offline CLI (whose registry must run guard.inTransaction). */
export function retentionServices(ctx: Pick<FeatureContext, 'db' | 'registry' | 'record'>, now: () => number = Date.now): RetentionServices {
  const settings = new RetentionSettings(ctx.db, ctx.record, now);
  const guard = new RetentionGuard();
  const metrics = new RetentionMetrics();
  const runner = new RetentionRunner({ db: ctx.db, registry: ctx.registry, guard, record: ctx.record, now, metrics });
  return { settings, runner, guard, metrics, history: new TagHistoryService(ctx.db, ctx.registry), rollback: new RollbackService(ctx.db, ctx.registry) };
}

export interface RetentionFeature extends Feature {
  readonly services: RetentionServices;
  readonly scheduler: RetentionScheduler;
}

export function enableRetention(ctx: FeatureContext): RetentionFeature {
  const services = retentionServices(ctx);
  const scheduler = new RetentionScheduler(ctx.db, ctx.jobs, services.settings, services.runner, (error) => ctx.log.error({ err: error }, 'retention schedule failed'));
  scheduler.register();
  services.settings.onSaved = async (projectId, project, schedule) => {
    await scheduler.ensure(projectId, project, schedule);
  };
  const routes: ApiRoute[] = ctx.identity
    ? retentionRoutes({ db: ctx.db, ...services, authorizer: ctx.identity.authorizer, record: ctx.record })
    : [];
  return {
    name: 'retention',
    capabilities: ['retention', 'tag-history'],
    routes,
    services,
    scheduler,
    inTransaction: services.guard.inTransaction,
    metrics: services.metrics.registry,
    start: () => scheduler.start(),
    close: async () => scheduler.close(),
  };
}
