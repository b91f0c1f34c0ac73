// The composition root: turns a Config into a running server (storage, metadata, registry,
// auth, HTTP) and shuts it down gracefully.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { HtpasswdAccess } from '../auth/htpasswd.ts';
import { OpenAccess } from '../auth/open-access.ts';
import type { AuthProvider } from '../auth/provider.ts';
import { splitListen, type Config } from '../core/config.ts';
import { openMetadata, type MetadataDb } from '../metadata/db.ts';
import { EventBus } from '../registry/event-bus.ts';
import { Registry } from '../registry/registry.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { FilesystemDriver } from '../storage/filesystem.ts';
import { buildApp } from './app.ts';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly registry: Registry;
  /** The address actually bound, e.g. http://127.0.0.1:5000 */
  readonly address: string;
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

function authFor(config: Config): AuthProvider {
  if (config.auth.mode === 'htpasswd') return new HtpasswdAccess(config.auth.htpasswdFile, config.auth.realm);
  return new OpenAccess();
}

export async function startServer(config: Config): Promise<RunningServer> {
  const dataDir = resolve(config.storage.dataDir);
  const storage: StorageDriver = new FilesystemDriver(join(dataDir, 'storage'));
  const auth = authFor(config);
  const metadata = await openMetadataFor(config);

  let app: FastifyInstance | undefined;
  const bus = new EventBus((error, event) => app?.log.error({ err: error, event: event.type }, 'event subscriber failed'));
  const registry = new Registry({
    db: metadata.db,
    storage,
    bus,
    limits: { manifestMaxBytes: config.limits.manifestMaxBytes, pageMaxEntries: config.limits.pageMaxEntries },
  });
  app = buildApp({
    registry,
    auth,
    publicUrl: config.server.publicUrl,
    logLevel: config.log.level,
    healthCheck: async () => {
      await sql`select 1`.execute(metadata.db);
    },
  });

  let { host, port } = splitListen(config.server.listen);
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

  let closing: Promise<void> | undefined;
  return {
    app,
    registry,
    address,
    close: () => {
      closing ??= (async () => {
        await app.close();
        await metadata.close();
        await storage.close?.();
      })();
      return closing;
    },
  };
}
