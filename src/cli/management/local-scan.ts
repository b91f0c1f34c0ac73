// The scan commands offline, on the data directory (or PostgreSQL and the store) a server uses:
// imports are loaded and switched to, then every stored image is re-matched before the command
// returns; scans run in this process. A server running on the same data sees the new feed and
// reports at once. Scans of images never scanned are queued for the server's job runner.
import type { Kysely } from 'kysely';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { Config } from '../../core/config.ts';
import { scanServices, type ScanServices } from '../../features/scan/index.ts';
import { FeedImportError, importOci, importPath } from '../../features/scan/feed/import.ts';
import { OciClientError } from '../../features/scan/feed/oci-client.ts';
import { FeedRestoreError, type ActiveFeed } from '../../features/scan/feed/store.ts';
import { rematchAll, SCAN_IMAGE, scanImageKey } from '../../features/scan/jobs.ts';
import { VersionRangeError } from '../../features/scan/query/version-range.ts';
import { affectedView } from '../../features/scan/views.ts';
import { openStorageFor, registryLimitsOf } from '../../http/stores.ts';
import { JobRunner } from '../../jobs/runner.ts';
import { unscannedImages } from '../../metadata/scan.ts';
import type { Database } from '../../metadata/schema.ts';
import { EventBus } from '../../registry/event-bus.ts';
import { Registry } from '../../registry/registry.ts';
import type { StorageDriver } from '../../storage/driver.ts';
import { CliError } from '../cli-error.ts';
import type { ScanOps } from './types.ts';

export function localScanOps(db: Kysely<Database>, config: Config, record: ChangeRecorder): ScanOps & { close(): Promise<void> } {
  // The store is opened only by the commands that read blobs (scans).
  let opened: { storage: StorageDriver; services: ScanServices } | undefined;
  const services = (): ScanServices => {
    if (!opened) {
      const storage = openStorageFor(config);
      const registry = new Registry({ db, storage, bus: new EventBus(), limits: registryLimitsOf(config) });
      opened = { storage, services: scanServices({ db, storage, registry, record, maxFeedAgeHours: config.scan.maxFeedAgeHours }) };
    }
    return opened.services;
  };
  const maxAge = config.scan.maxFeedAgeHours;

  const rematch = async (feed: ActiveFeed, progress: (t: string) => void) => {
    const s = services();
    const result = await rematchAll({ db, feeds: s.feeds, reports: s.reports, inventories: s.inventories, emit: () => {}, now: Date.now }, feed, progress);
    // Never-scanned images are left to the server's job runner (it reads their layers).
    const jobs = new JobRunner(db, { pollMs: 1000, leaseMs: 60_000, keepMs: 7 * 86_400_000, onError: () => {} });
    for (const image of await unscannedImages(db, 10_000)) {
      await jobs.enqueue(SCAN_IMAGE, { repository: image.repository, digest: image.digest, reason: 'feed' }, { key: scanImageKey(image.digest), priority: 10 });
    }
    return result;
  };

  const failure = (error: unknown): never => {
    if (error instanceof FeedImportError || error instanceof OciClientError || error instanceof FeedRestoreError || error instanceof VersionRangeError) {
      throw new CliError(error.message);
    }
    throw error;
  };

  return {
    vulndbStatus: () => services().views.feed(maxAge),
    async vulndbImport(source, options, progress) {
      const s = services();
      const result = source.startsWith('oci://')
        ? await importOci(s.feeds, source, {
          progress, oci: { ...(options.registryUser ? { username: options.registryUser } : {}), ...(options.registryPassword !== undefined ? { password: options.registryPassword } : {}), ...(options.plainHttp ? { plainHttp: true } : {}) },
        }).catch(failure)
        : await importPath(s.feeds, source, { progress }).catch(failure);
      const feed = (await s.feeds.active())!;
      return { ...result, rematchJob: null, rematch: await rematch(feed, progress) };
    },
    async vulndbRestore(progress) {
      const s = services();
      await s.feeds.restore().catch(failure);
      await rematch((await s.feeds.active())!, progress);
      return { ...(await s.views.feed(maxAge)), rematchJob: null };
    },
    async scan(repository, reference, options, progress) {
      const s = services();
      const info = await s.engine.resolve(repository, reference);
      await s.engine.scan(repository, info.digest, { progress, ...(options.reindex ? { reindex: true } : {}) });
      return s.views.report(repository, reference, info.digest, info.mediaType);
    },
    async scanReport(repository, reference, filter) {
      const s = services();
      const info = await s.engine.resolve(repository, reference);
      return s.views.report(repository, reference, info.digest, info.mediaType, filter);
    },
    scanPolicy: (project) => services().settings.get(SYSTEM, project).then(view),
    updateScanPolicy: (project, changes) => services().settings.update(SYSTEM, project, changes).then(view),
    async findPackage(name, options) {
      const started = performance.now();
      const hits = await services().queries.imagesWithPackage(name, { ...(options.type ? { type: options.type as never } : {}), ...(options.versions ? { range: options.versions } : {}) }).catch(failure);
      return { total: hits.length, truncated: false, tookMs: Math.round(performance.now() - started), images: hits.map((h) => ({ repository: h.repository, tags: [...h.tags], digest: h.digest, package: h.package })) };
    },
    async findAdvisory(id) {
      const started = performance.now();
      const a = await services().queries.imagesWithAdvisory(id);
      return {
        id, total: a.images.length, truncated: false, tookMs: Math.round(performance.now() - started),
        advisory: a.affected.map(affectedView),
        images: a.images.map((i) => ({ repository: i.repository, tags: [...i.tags], digest: i.digest, findings: [...i.findings] })),
      };
    },
    async close() {
      await opened?.storage.close?.();
    },
  };
}

function view<T extends { allowlist: readonly unknown[]; exempt: readonly string[] }>(p: T): T & { allowlist: never[]; exempt: string[] } {
  return { ...p, allowlist: [...p.allowlist] as never[], exempt: [...p.exempt] };
}

