// Proxy projects (docs/proxy.md): a project that is a pull-through cache of an upstream
// registry. enable(ctx) wires the store, the puller (the registry's pull-through hook, see
// registry/pull-through.ts), the API routes and the metrics; the set of proxy projects is held
// in memory (so other projects' pulls cost nothing more) and reloaded every few seconds, which
// is how other instances learn of a change.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Feature, FeatureContext } from '../feature.ts';
import { ProxyPuller } from './puller.ts';
import { proxyRoutes } from './routes.ts';
import { secretBoxFor, type SecretBox } from './secrets.ts';
import { ProxyService, type DefaultRetention } from './service.ts';

export { ProxyService, PROXY_RETENTION } from './service.ts';
export type { ProxyProjectView } from './views.ts';

const RELOAD_MS = 5000;

/** The box, made (key file and all) at its first use only. */
export function lazyBox(dataDir: string): () => SecretBox {
  let box: SecretBox | undefined;
  return () => (box ??= secretBoxFor(resolve(dataDir)));
}

export interface ProxyFeature extends Feature {
  readonly service: ProxyService;
  readonly puller: ProxyPuller;
}

/** defaultRetention: how a new proxy project gets its retention policy (the composition root passes features/retention's). */
export function enableProxy(ctx: FeatureContext, defaultRetention?: DefaultRetention): ProxyFeature {
  const box = lazyBox(ctx.config.storage.dataDir);
  const holder: { puller?: ProxyPuller } = {};
  const service = new ProxyService(ctx.db, box, ctx.identity?.projects, ctx.record, async () => { await holder.puller?.reload(); }, defaultRetention);
  const p = new ProxyPuller({ registry: ctx.registry, store: service.store, log: ctx.log, holder: `${hostname()}:${process.pid}`, ...(ctx.now ? { now: ctx.now } : {}) });
  holder.puller = p;
  // Transparent mirror mode: reads of names found nowhere else go to this proxy project
  // (proxy.mirror, or BERTH_PROXY_MIRROR as every key has its variable).
  if (ctx.config.proxy.mirror) p.mirror = ctx.config.proxy.mirror;
  ctx.registry.pullThrough = p;
  let timer: NodeJS.Timeout | undefined;
  const reload = () => p.reload().catch((error: unknown) => ctx.log.error({ err: error }, 'proxy: reloading the proxy projects failed'));
  return {
    name: 'proxy',
    capabilities: ['proxy'],
    routes: ctx.identity ? proxyRoutes(service) : [],
    metrics: p.metrics.registry,
    service,
    puller: p,
    start() {
      void reload();
      timer = setInterval(reload, RELOAD_MS);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
    },
  };
}
