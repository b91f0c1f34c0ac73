// Online garbage collection (docs/gc.md): candidates come from the review queues the registry
// fills in its own transactions, never from walking storage; each is re-checked and deleted under
// its digest's lock in one transaction; bytes go afterwards through a durable queue. A continuous
// worker queues a pass every gc.intervalSeconds as a durable job (one run across instances);
// `berth gc` and POST /api/v1/gc/runs ask for one now.
import type { Feature, FeatureContext } from '../feature.ts';
import { REVIEW_FENCE_MS } from '../../metadata/gc-queues.ts';
import { Collector, type GcProgress } from './collector.ts';
import { GC_JOB, gcRoutes, type GcJobPayload } from './routes.ts';
import { GcService } from './service.ts';

export { Collector } from './collector.ts';
export type { GcSummary, GcProgress } from './collector.ts';
export { GcService } from './service.ts';

/** A progress line for a job's row or a log. */
export function progressText(p: GcProgress): string {
  return `${p.phase}: ${p.done}/${p.total}`;
}

/** The collector and its service over the given parts (the server, and `berth gc` offline). */
export function gcServices(ctx: Pick<FeatureContext, 'db' | 'storage' | 'registry' | 'config' | 'record'>): GcService {
  const collector = new Collector(ctx.db, ctx.storage, ctx.registry, ctx.config);
  return new GcService(ctx.db, collector, ctx.record, {
    enabled: ctx.config.gc.enabled,
    intervalMs: ctx.config.gc.intervalSeconds * 1000,
    reviewDelaySeconds: ctx.config.gc.reviewDelaySeconds,
  });
}

export function enableGc(ctx: FeatureContext): Feature {
  const service = gcServices(ctx);
  const intervalMs = ctx.config.gc.intervalSeconds * 1000;
  ctx.jobs.register(GC_JOB, {
    concurrency: 1,
    maxAttempts: 3,
    run: async (payload, job) => {
      const p = payload as GcJobPayload;
      const actor = { kind: 'system', name: 'system' } as const;
      let last = 0;
      const summary = await service.run(p.trigger, actor, {
        dryRun: p.dryRun ?? false,
        signal: job.signal,
        // Someone waits on an asked-for pass: it takes the cascade of what it collects in one go.
        ...(p.trigger === 'api' ? { settleMs: REVIEW_FENCE_MS + 1000 } : {}),
        progress: (progress) => {
          // A progress line at most every half second (each renews the lease with a write).
          const now = Date.now();
          if (now - last < 500) return;
          last = now;
          job.progress(progressText(progress));
        },
      }, p.actor);
      if (summary.manifests + summary.blobs > 0) ctx.log.info({ manifests: summary.manifests, blobs: summary.blobs, bytes: summary.bytes, ms: summary.durationMs }, 'garbage collected');
      return summary;
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const queuePass = () => {
    service.nextRunAt = Date.now() + intervalMs;
    void ctx.jobs.enqueue(GC_JOB, { trigger: 'worker' } satisfies GcJobPayload, { key: 'gc' }).catch((error: unknown) => ctx.log.error({ err: error }, 'queueing a garbage collection pass failed'));
  };
  return {
    name: 'gc',
    routes: gcRoutes(service, ctx.jobs, ctx.record),
    capabilities: ['gc'],
    metrics: service.metrics.registry,
    start() {
      if (!ctx.config.gc.enabled) return;
      queuePass();
      timer = setInterval(queuePass, intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
    },
  };
}
