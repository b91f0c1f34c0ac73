// Security verification (docs/scan.md): package inventories read from each layer once, SBOMs
// attached as OCI referrers, an offline vulnerability feed, scans on push and on request, re-matches
// of every stored inventory when the feed changes, the registry-wide package and advisory
// questions, and per-project policies that refuse the pull of a bad image. enable(ctx) wires it:
// job handlers, the pull gate, the transaction hook that queues scan-on-push, and the API routes.
import type { RegistryEvent } from '../../core/events.ts';
import { MediaType } from '../../core/mediatypes.ts';
import type { ApiRoute } from '../../http/api/route.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { Feature, FeatureContext } from '../feature.ts';
import { ScanPullGate } from './gate.ts';
import { SCAN_IMAGE, SCAN_REMATCH, registerScanJobs, scanImageKey, type RematchPayload, type ScanImagePayload } from './jobs.ts';
import { policyRoutes } from './routes/policy.ts';
import { queryRoutes } from './routes/queries.ts';
import { reportRoutes } from './routes/reports.ts';
import { vulndbRoutes } from './routes/vulndb.ts';
import { scanServices, type ScanServices } from './services.ts';

export { scanServices, type ScanServices } from './services.ts';

/** Image and index manifests are scanned; other pushes (artifacts, referrers) are not queued. */
const SCANNABLE: ReadonlySet<string> = new Set([MediaType.OciManifest, MediaType.DockerManifest]);

export interface ScanFeature extends Feature {
  readonly services: ScanServices;
}

export function enableScan(ctx: FeatureContext): ScanFeature {
  const config = ctx.config.scan;
  const services = scanServices({ db: ctx.db, storage: ctx.storage, registry: ctx.registry, record: ctx.record, maxFeedAgeHours: config.maxFeedAgeHours });
  registerScanJobs(ctx.jobs, {
    db: ctx.db, engine: services.engine, feeds: services.feeds, reports: services.reports, inventories: services.inventories, settings: services.settings,
    bus: ctx.registry.bus, concurrency: config.concurrency, activity: ctx.registry.uploads.activity,
  });

  const maxAgeMs = config.maxFeedAgeHours * 3_600_000;
  const gate = new ScanPullGate(ctx.db, services.settings, services.reports, services.findings, {
    block: config.staleFeed === 'block' && maxAgeMs > 0,
    ageSeconds: async () => {
      const feed = await services.feeds.active();
      if (!feed || maxAgeMs <= 0) return undefined;
      const age = Date.now() - feed.dataTime;
      return age > maxAgeMs ? Math.round(age / 1000) : undefined;
    },
  });

  const onFeedSwitched = async (feedId: number): Promise<number> => {
    const { id } = await ctx.jobs.enqueue(SCAN_REMATCH, { feedId } satisfies RematchPayload, { key: `rematch:${feedId}`, priority: 5 });
    return id;
  };

  let routes: ApiRoute[] = [];
  if (ctx.identity) {
    const deps = { db: ctx.db, services, registry: ctx.registry, authorizer: ctx.identity.authorizer, jobs: ctx.jobs, config, onFeedSwitched, record: ctx.record };
    routes = [...vulndbRoutes(deps), ...reportRoutes(deps), ...policyRoutes(deps), ...queryRoutes(deps)];
  }

  let unsubscribe: (() => void) | undefined;
  return {
    name: 'scan',
    capabilities: ['scan'],
    routes,
    services,
    pullGates: [gate],
    /**
     * Scan on push: the job is queued in the push's own transaction, so a committed push is
     * always scanned (the job reads the project's setting when it runs, and skips what is not an
     * image: an artifact, a signature). An index is not queued: each platform manifest was pushed
     * before it and is queued itself.
     */
    async inTransaction(trx: Executor, events: readonly RegistryEvent[]) {
      for (const e of events) {
        if (e.type !== 'push' || !SCANNABLE.has(e.mediaType)) continue;
        const payload: ScanImagePayload = { repository: e.repository, digest: e.digest, reason: 'push' };
        await ctx.jobs.enqueue(SCAN_IMAGE, payload, { key: scanImageKey(e.digest) }, trx);
      }
    },
    start() {
      // The push is committed when the bus hears of it: its queued scan can start now.
      unsubscribe = ctx.registry.bus.on('push', (e) => { if (SCANNABLE.has(e.mediaType)) ctx.jobs.wake(); });
      // An operator learns of a stale or missing feed from the log too, not only from the API.
      void services.views.feed(config.maxFeedAgeHours).then((status) => {
        if (!status.active) ctx.log.warn({}, 'no vulnerability feed is imported yet: images are inventoried but have no findings; import one with berth vulndb import');
        else if (status.stale) ctx.log.warn({ feed: status.active.digest, ageDays: Math.floor(status.active.ageSeconds / 86400) }, `the vulnerability feed is older than scan.maxFeedAgeHours (${config.maxFeedAgeHours}); import a newer one with berth vulndb import`);
      }, (error: unknown) => ctx.log.error({ err: error }, 'reading the vulnerability feed status failed'));
    },
    async close() {
      unsubscribe?.();
    },
  };
}
