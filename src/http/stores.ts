// Opening the stores the configuration names: the metadata database and the blob storage. The
// server (server.ts) and the offline CLI (cli/management) open them the same way; this module
// stays free of fastify and the features, so that the CLI can load it quickly.
import { join, resolve } from 'node:path';
import type { Config } from '../core/config.ts';
import { openMetadata, type MetadataDb } from '../metadata/db.ts';
import type { RegistryLimits } from '../registry/deps.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { FilesystemDriver } from '../storage/filesystem.ts';
import { lazyStorage } from '../storage/lazy.ts';
import { ensurePrivateDir } from '../storage/private-files.ts';

export async function openMetadataFor(config: Config): Promise<MetadataDb> {
  const dataDir = resolve(config.storage.dataDir);
  ensurePrivateDir(dataDir);
  if (config.database.dialect === 'postgres') {
    if (!config.database.url) throw new Error('database.dialect postgres needs database.url (BERTH_DATABASE_URL)');
    return openMetadata({
      dialect: 'postgres', location: config.database.url,
      onInvalidationError: (error) => process.stderr.write(`berth: warning: cache invalidation across instances: ${(error as Error).message}; caches expire on their own meanwhile\n`),
    });
  }
  return openMetadata({ dialect: 'sqlite', location: join(dataDir, 'berth.db') });
}


/** The registry's limits from the configuration (the server and the offline CLI use the same). */
export function registryLimitsOf(config: Config): RegistryLimits {
  const hashState = config.storage.uploadHashState;
  return {
    manifestMaxBytes: config.limits.manifestMaxBytes,
    pageMaxEntries: config.limits.pageMaxEntries,
    reviewDelayMs: config.gc.reviewDelaySeconds * 1000,
    uploadHashState: hashState === 'auto' ? (config.database.dialect === 'postgres' ? 'database' : 'memory') : hashState,
  };
}

/** The blob store the configuration names (the servers and the offline CLI open the same one). */
export function openStorageFor(config: Config): StorageDriver {
  // Loaded at the first call: the AWS SDK is a large import that filesystem setups never need.
  if (config.storage.driver === 's3') return lazyStorage('s3', async () => new (await import('../storage/s3.ts')).S3Driver(config.storage.s3));
  const dataDir = resolve(config.storage.dataDir);
  ensurePrivateDir(join(dataDir, 'storage'));
  return new FilesystemDriver(join(dataDir, 'storage'));
}

