// The composition root: turns a Config into a running server (storage, metadata, registry,
// auth, HTTP) and shuts it down gracefully.
import type { Server as HttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { createBuiltinAuth, identityProvidersOf, type BuiltinAuth, type DirectoryHooks } from '../auth/builtin.ts';
import { auditEntryOf } from '../auth/directory/audit-entry.ts';
import type { AdminBootstrap } from '../auth/directory/users.ts';
import { SessionService } from '../auth/sessions.ts';
import { HtpasswdAccess } from '../auth/htpasswd.ts';
import { OpenAccess } from '../auth/open-access.ts';
import type { AuthProvider } from '../auth/provider.ts';
import { splitListen, type Config } from '../core/config.ts';
import { projectOf } from '../core/reference.ts';
import { enableAudit } from '../features/audit/index.ts';
import { enableSearch } from '../features/search/index.ts';
import { enablePullCounts } from '../features/pulls/index.ts';
import { enableWebhooks } from '../features/webhooks/index.ts';
import type { Feature, FeatureContext } from '../features/feature.ts';
import type { Registry as PromRegistry } from 'prom-client';
import { enableScan } from '../features/scan/index.ts';
import { enableTrust } from '../features/trust/index.ts';
import { enableGc } from '../features/gc/index.ts';
import { enableImmutability } from '../features/immutability/index.ts';
import { enableQuota } from '../features/quota/index.ts';
import { enableRetention } from '../features/retention/index.ts';
import { enableProxy } from '../features/proxy/index.ts';
import { enableReplication } from '../features/replication/index.ts';
import { lazySecretBox } from '../features/secrets.ts';
import type { RegistryEvent } from '../core/events.ts';
import { JobRunner } from '../jobs/runner.ts';
import type { Executor } from '../metadata/executor.ts';
import { EventBus } from '../registry/event-bus.ts';
import { UploadJanitor } from '../registry/janitor.ts';
import { Registry } from '../registry/registry.ts';
import { registerApi } from './api/index.ts';
import { buildApp } from './app.ts';
import { readTls, watchTls } from './tls.ts';
import { Readiness, probeStorage } from './health.ts';
import { HttpMetrics } from './metrics.ts';
import { uploadDigestMetrics } from './upload-metrics.ts';
import { startMetricsListener } from './metrics-listener.ts';
import { registerDockerSearch } from './docker-search.ts';
import { registerOidcRoutes } from './oidc/routes.ts';
import { registerTokenRoutes } from './token/routes.ts';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly registry: Registry;
  /** The address actually bound, e.g. http://127.0.0.1:5000 */
  readonly address: string;
  /** Where /metrics is served (server.metrics.listen), e.g. http://127.0.0.1:5001; absent when off. */
  readonly metricsAddress?: string;
  /** The built-in auth services (auth.mode builtin). */
  readonly identity?: BuiltinAuth;
  /** What the start did about the administrator account (auth.mode builtin), for serve to tell. */
  readonly adminBootstrap?: AdminBootstrap;
  close(): Promise<void>;
}

import { DatabaseClock } from '../metadata/db-clock.ts';
import { openMetadataFor, openStorageFor, registryLimitsOf } from './stores.ts';

export { openMetadataFor, openStorageFor, registryLimitsOf };

export async function startServer(config: Config): Promise<RunningServer> {
  const storage = openStorageFor(config);
  // A store that does not answer (a wrong S3 endpoint, bucket or key) stops the start here, with
  // the driver's explanation, instead of failing every push later.
  await storage.stat('_health/readyz');
  const metadata = await openMetadataFor(config);
  // Leases (uploads, jobs, proxy fetches) in the database's time, so instances' clocks need not agree.
  const clock = new DatabaseClock(metadata.db, metadata.dialect);
  await clock.start((error) => logs.to?.warn({ err: error }, 'measuring the database clock failed; the last offset stays'));

  let auth: AuthProvider;
  let identity: BuiltinAuth | undefined;
  // Filled in below, once the audit log and the registry exist.
  const directoryHooks: DirectoryHooks = { warn: (message) => process.stderr.write(`berth: warning: ${message}\n`), secrets: lazySecretBox(config.storage.dataDir) };
  if (config.auth.mode === 'builtin') {
    identity = await createBuiltinAuth(metadata.db, config, directoryHooks);
    await identity.projects.ensureLibrary();
    auth = identity.access;
  } else if (config.auth.mode === 'htpasswd') {
    auth = new HtpasswdAccess(config.auth.htpasswdFile, config.auth.realm);
  } else {
    auth = new OpenAccess();
  }

  // The bus exists before the app (the registry needs it); its errors go to the app's log.
  const logs: { to?: FastifyBaseLogger } = {};
  const bus = new EventBus((error, event) => logs.to?.error({ err: error, event: event.type }, 'event subscriber failed'));
  // Webhooks write their outbox rows inside the registry's transactions (inTransaction).
  const where: { host: string } = { host: config.server.publicUrl ? new URL(config.server.publicUrl).host : 'localhost:5000' };
  const webhooks = enableWebhooks({
    db: metadata.db,
    bus,
    config: config.notifications,
    registryHost: () => where.host,
    onError: (error) => logs.to?.error({ err: error }, 'webhook delivery failed'),
    record: (change) => directoryHooks.record?.(change),
  });
  // Every feature's transaction hook runs inside each registry change (webhooks' outbox first).
  const transactionHooks: ((trx: Executor, events: readonly RegistryEvent[]) => Promise<void>)[] = [webhooks.inTransaction];
  const registry = new Registry({
    db: metadata.db,
    storage,
    bus,
    inTransaction: async (trx, events) => {
      for (const hook of transactionHooks) await hook(trx, events);
    },
    limits: registryLimitsOf(config),
    now: clock.now,
  });
  const featureMetrics: PromRegistry[] = [uploadDigestMetrics(() => registry.uploads.digestStats)];
  const httpMetrics = new HttpMetrics();
  const readiness = new Readiness([
    { name: 'database', check: async () => { await sql`select 1`.execute(metadata.db); } },
    { name: 'storage', check: () => probeStorage(storage) },
  ]);
  const tls = readTls(config.server.tls);
  const app = buildApp({
    httpMetrics,
    readiness,
    trustProxy: config.server.trustProxy,
    registry,
    auth,
    publicUrl: config.server.publicUrl,
    logLevel: config.log.level,
    bodyTimeoutMs: config.server.bodyTimeoutSeconds * 1000,
    idleTimeoutMs: config.server.idleTimeoutSeconds * 1000,
    ...(tls ? { tls } : {}),
    onDenied: (d) => audit.recordDenied({
      actor: d.identity.name, address: d.address, via: 'v2', what: `${d.action} ${d.repository ?? 'catalog'}`,
      ...(d.repository ? { project: projectOf(d.repository) } : {}),
    }),
  });
  logs.to = app.log;
  const audit = enableAudit(metadata.db, bus, (error) => app.log.error({ err: error }, 'audit log write failed'));
  const pulls = enablePullCounts(metadata.db, bus, (error) => app.log.error({ err: error }, 'pull count write failed'));
  // Search reads what the caller may pull; without identity services everything is visible.
  const search = enableSearch({ db: metadata.db, dialect: metadata.dialect, open: !identity });
  registerDockerSearch(app, { search, auth, ...(identity ? { accounts: identity.accounts, onFailedLogin: (a: string, ip: string) => identity.access.onFailedLogin?.(a, ip) } : {}) });
  directoryHooks.record = (change) => audit.record(auditEntryOf(change));
  // Background work of every feature: durable jobs, leased, once across instances.
  const jobs = new JobRunner(metadata.db, {
    pollMs: 1000, leaseMs: 60_000, keepMs: 7 * 86_400_000, now: clock.now,
    onError: (error, job) => app.log.error({ err: error, ...(job ? { job: job.id, kind: job.kind } : {}) }, 'background job failed'),
  });
  const featureContext: FeatureContext = {
    db: metadata.db, dialect: metadata.dialect, config, registry, storage, jobs,
    ...(identity ? { identity } : {}),
    record: async (change) => { await directoryHooks.record?.(change); },
    log: app.log,
    now: clock.now,
  };
  const features: Feature[] = [];
  if (config.scan.enabled) features.push(enableScan(featureContext));
  features.push(enableTrust(featureContext));
  features.push(enableGc(featureContext));
  features.push(enableImmutability(featureContext));
  features.push(enableQuota(featureContext));
  const retention = enableRetention(featureContext);
  features.push(retention);
  // A new proxy project gets the retention default "not pulled in 30 days" (issue 15).
  features.push(enableProxy(featureContext, (actor, project, source) => retention.services.settings.setDefault(actor, project, source)));
  features.push(enableReplication(featureContext));
  for (const f of features) {
    for (const gate of f.pullGates ?? []) registry.manifests.addPullGate(gate);
    if (f.metrics) featureMetrics.push(f.metrics);
    if (f.inTransaction) transactionHooks.push((trx, events) => f.inTransaction!(trx, events));
  }
  directoryHooks.repositoriesRemoved = (names) => {
    for (const n of names) {
      registry.repositories.forget(n);
      metadata.invalidations.publish('repository', n);
    }
  };
  directoryHooks.credentialsChanged = () => metadata.invalidations.publish('principals');
  // What other instances changed (PostgreSQL): drop the same cached facts here.
  metadata.invalidations.subscribe((topic, key) => {
    if (topic === 'repository' || topic === '*') {
      if (topic === '*') registry.repositories.forgetAll();
      else registry.repositories.forget(key);
    }
    if (topic === 'principals' || topic === '*') identity?.accounts.forgetLive();
  });
  if (identity) {
    identity.access.onFailedLogin = (account, address) => audit.recordFailedLogin({ account, address, via: 'basic' });
    registerTokenRoutes(app, {
      accounts: identity.accounts,
      authorizer: identity.authorizer,
      tokens: identity.tokens,
      onLogin: (e) => e.ok
        ? audit.record({ at: Date.now(), actor: e.account, action: 'login', address: e.address, outcome: 'success', detail: JSON.stringify({ via: e.via }) })
        : audit.recordFailedLogin({ account: e.account, address: e.address, via: e.via }),
    });
    const sessions = new SessionService(metadata.db, Date.now, (userId) => identity.external.stillValid(userId));
    const onLogin = (e: { account: string; address: string; ok: boolean; via: string }) => e.ok
      ? audit.record({ at: Date.now(), actor: e.account, action: 'login', address: e.address, outcome: 'success', detail: JSON.stringify({ via: e.via }) })
      : audit.recordFailedLogin({ account: e.account, address: e.address, via: e.via });
    if (identity.oidc.size) registerOidcRoutes(app, { clients: identity.oidc, external: identity.external, sessions, publicUrl: config.server.publicUrl, onLogin });
    registerApi(app, {
      ...identity, db: metadata.db, webhooks: webhooks.services, search,
      identityProviders: identityProvidersOf(config),
      registry, publicUrl: config.server.publicUrl, sessions, features, jobs,
      onDenied: (d) => audit.recordDenied({ ...d, via: 'api' }),
      onLogin: (e) => e.ok
        ? audit.record({ at: Date.now(), actor: e.account, action: 'login', address: e.address, outcome: 'success', detail: JSON.stringify({ via: e.via }) })
        : audit.recordFailedLogin({ account: e.account, address: e.address, via: e.via }),
    });
  }

  const listen = splitListen(config.server.listen);
  const port = listen.port;
  let host = listen.host;
  try {
    await app.listen({ host, port });
  } catch (error) {
    // ":5000" means every interface; on a host without IPv6 that is 0.0.0.0.
    const code = (error as NodeJS.ErrnoException).code;
    if (host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw error;
    host = '0.0.0.0';
    await app.listen({ host, port });
  }
  // Only once the server listens: a start that fails (a busy port) must not make an
  // administrator whose password nobody saw. Then at every start, whenever none exists.
  const adminBootstrap = identity ? await identity.users.bootstrapAdmin(process.env.BERTH_ADMIN_PASSWORD) : undefined;
  const bound = app.server.address();
  const boundPort = typeof bound === 'object' && bound ? bound.port : port;
  const shownHost = host === '::' || host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const address = `${tls ? 'https' : 'http'}://${shownHost}:${boundPort}`;
  const metricsListener = config.server.metrics.listen
    ? await startMetricsListener({
      ...splitListen(config.server.metrics.listen),
      registries: () => [httpMetrics.registry, ...featureMetrics],
      readiness,
      onError: (error) => app.log.error({ err: error }, 'metrics listener failed'),
    }).catch(async (error: unknown) => { await app.close(); throw error; })
    : undefined;
  const unwatchTls = tls ? watchTls(app.server as unknown as HttpsServer, config.server.tls, app.log) : undefined;
  if (!config.server.publicUrl) where.host = `${shownHost}:${boundPort}`;
  // In the background: starting Berth never waits on the delivery worker or the janitor.
  registry.uploads.startAs(`${hostname()}:${boundPort}`);
  webhooks.start(`${hostname()}:${boundPort}`);
  const janitor = new UploadJanitor(registry.deps, registry.uploads, {
    maxAgeMs: config.storage.purgeUploadsAfterHours * 3_600_000,
    intervalMs: Math.min(3_600_000, config.storage.purgeUploadsAfterHours * 3_600_000),
    onSwept: (r) => app.log.info(r, 'removed leftovers of interrupted uploads'),
    onError: (error) => app.log.error({ err: error }, 'upload janitor failed'),
  });
  janitor.start();
  void jobs.start(`${hostname()}:${boundPort}`);
  for (const f of features) f.start?.();

  let closing: Promise<void> | undefined;
  return {
    app,
    registry,
    address,
    ...(metricsListener ? { metricsAddress: metricsListener.address } : {}),
    identity,
    ...(adminBootstrap ? { adminBootstrap } : {}),
    close: () => {
      closing ??= (async () => {
        unwatchTls?.();
        await app.close();
        await metricsListener?.close();
        await janitor.close();
        for (const f of features) await f.close?.();
        // Jobs in flight are told to stop; their leases are freed for the next start or another instance.
        await jobs.close(Math.min(10_000, config.server.shutdownTimeoutSeconds * 500));
        // Attempts in flight get a bounded wait; anything unfinished stays in the outbox for the next start.
        await webhooks.close(Math.min(10_000, config.server.shutdownTimeoutSeconds * 500));
        await audit.close();
        await pulls.close();
        await registry.touches.close();
        clock.stop();
        await metadata.close();
        await storage.close?.();
      })();
      return closing;
    },
  };
}
