// The composition root: turns a Config into a running server (storage, metadata, registry,
// auth, HTTP) and shuts it down gracefully.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { createBuiltinAuth, type BuiltinAuth } from '../auth/builtin.ts';
import { SessionService } from '../auth/sessions.ts';
import { HtpasswdAccess } from '../auth/htpasswd.ts';
import { OpenAccess } from '../auth/open-access.ts';
import type { AuthProvider } from '../auth/provider.ts';
import { splitListen, type Config } from '../core/config.ts';
import { openMetadata, type MetadataDb } from '../metadata/db.ts';
import { enableAudit } from '../features/audit/index.ts';
import { enableSearch } from '../features/search/index.ts';
import { enablePullCounts } from '../features/pulls/index.ts';
import { enableWebhooks } from '../features/webhooks/index.ts';
import { EventBus } from '../registry/event-bus.ts';
import { Registry } from '../registry/registry.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { FilesystemDriver } from '../storage/filesystem.ts';
import { registerApi } from './api/index.ts';
import { buildApp } from './app.ts';
import { registerDockerSearch } from './docker-search.ts';
import { registerTokenRoutes } from './token/routes.ts';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly registry: Registry;
  /** The address actually bound, e.g. http://127.0.0.1:5000 */
  readonly address: string;
  /** The built-in auth services (auth.mode builtin). */
  readonly identity?: BuiltinAuth;
  /** Set on first start: the generated admin password, to be printed once. */
  readonly generatedAdminPassword?: string;
  close(): Promise<void>;
}

export async function openMetadataFor(config: Config): Promise<MetadataDb> {
  const dataDir = resolve(config.storage.dataDir);
  mkdirSync(dataDir, { recursive: true });
  if (config.database.dialect === 'postgres') {
    if (!config.database.url) throw new Error('database.dialect postgres needs database.url (BERTH_DATABASE_URL)');
    return openMetadata({ dialect: 'postgres', location: config.database.url });
  }
  return openMetadata({ dialect: 'sqlite', location: join(dataDir, 'berth.db') });
}


export async function startServer(config: Config): Promise<RunningServer> {
  const dataDir = resolve(config.storage.dataDir);
  const storage: StorageDriver = new FilesystemDriver(join(dataDir, 'storage'));
  const metadata = await openMetadataFor(config);

  let auth: AuthProvider;
  let identity: BuiltinAuth | undefined;
  let generatedAdminPassword: string | undefined;
  if (config.auth.mode === 'builtin') {
    identity = await createBuiltinAuth(metadata.db, config);
    await identity.projects.ensureLibrary();
    const admin = await identity.users.bootstrapAdmin(process.env.BERTH_ADMIN_PASSWORD);
    generatedAdminPassword = admin.password;
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
  });
  const registry = new Registry({
    db: metadata.db,
    storage,
    bus,
    inTransaction: webhooks.inTransaction,
    limits: { manifestMaxBytes: config.limits.manifestMaxBytes, pageMaxEntries: config.limits.pageMaxEntries },
  });
  const app = buildApp({
    registry,
    auth,
    publicUrl: config.server.publicUrl,
    logLevel: config.log.level,
    healthCheck: async () => {
      await sql`select 1`.execute(metadata.db);
    },
  });
  logs.to = app.log;
  const audit = enableAudit(metadata.db, bus, (error) => app.log.error({ err: error }, 'audit log write failed'));
  const pulls = enablePullCounts(metadata.db, bus, (error) => app.log.error({ err: error }, 'pull count write failed'));
  // Search reads what the caller may pull; without identity services everything is visible.
  const search = enableSearch({ db: metadata.db, dialect: metadata.dialect, open: !identity });
  registerDockerSearch(app, { search, auth, ...(identity ? { accounts: identity.accounts, onFailedLogin: (a: string, ip: string) => identity.access.onFailedLogin?.(a, ip) } : {}) });
  if (identity) {
    identity.access.onFailedLogin = (account, address) =>
      audit.record({ at: Date.now(), actor: account, action: 'login_failed', address, outcome: 'failure', detail: JSON.stringify({ via: 'basic' }) });
    registerTokenRoutes(app, {
      accounts: identity.accounts,
      authorizer: identity.authorizer,
      tokens: identity.tokens,
      onLogin: (e) => audit.record({ at: Date.now(), actor: e.account, action: e.ok ? 'login' : 'login_failed', address: e.address, outcome: e.ok ? 'success' : 'failure', detail: JSON.stringify({ via: e.via }) }),
    });
    registerApi(app, {
      ...identity, db: metadata.db, webhooks: webhooks.services, search,
      registry, publicUrl: config.server.publicUrl, sessions: new SessionService(metadata.db),
      onLogin: (e) => audit.record({ at: Date.now(), actor: e.account, action: e.ok ? 'login' : 'login_failed', address: e.address, outcome: e.ok ? 'success' : 'failure', detail: JSON.stringify({ via: e.via }) }),
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
  const bound = app.server.address();
  const boundPort = typeof bound === 'object' && bound ? bound.port : port;
  const shownHost = host === '::' || host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const address = `http://${shownHost}:${boundPort}`;
  if (!config.server.publicUrl) where.host = `${shownHost}:${boundPort}`;
  // In the background: starting Berth never waits on the delivery worker.
  webhooks.start(`${hostname()}:${boundPort}`);

  let closing: Promise<void> | undefined;
  return {
    app,
    registry,
    address,
    identity,
    generatedAdminPassword,
    close: () => {
      closing ??= (async () => {
        await app.close();
        // Attempts in flight get a bounded wait; anything unfinished stays in the outbox for the next start.
        await webhooks.close(Math.min(10_000, config.server.shutdownTimeoutSeconds * 500));
        await audit.close();
        await pulls.close();
        await metadata.close();
        await storage.close?.();
      })();
      return closing;
    },
  };
}
