// The scan feature's durable jobs (src/jobs/): scanning an image (on push, on request), and
// re-matching every stored inventory against a newly imported feed, which reads no blob. A scan
// reports scan.completed; a re-match reports vulnerability.new for each image (in each repository
// that holds it) that a new advisory affects. Webhooks deliver both.
import type { PushActivity } from '../../registry/activity.ts';
import type { Kysely } from 'kysely';
import type { RegistryEvent, SeverityCounts } from '../../core/events.ts';
import { RegistryError } from '../../core/errors.ts';
import type { JobContext, JobRunner } from '../../jobs/runner.ts';
import { inventoryPage, placesOf, unscannedImages } from '../../metadata/scan.ts';
import { projectOf } from '../../core/reference.ts';
import type { Database } from '../../metadata/schema.ts';
import type { EventBus } from '../../registry/event-bus.ts';
import type { Finding } from './advisories/types.ts';
import type { ScanEngine } from './engine.ts';
import type { ActiveFeed, FeedStore } from './feed/store.ts';
import type { InventoryStore } from './inventory-store.ts';
import type { Package } from './inventory/types.ts';
import { matchMany, newMatchMemo } from './matching.ts';
import { countBySeverity } from './policy.ts';
import type { ReportStore } from './report-store.ts';
import type { ScanSettings } from './settings.ts';

export const SCAN_IMAGE = 'scan.image';
export const SCAN_REMATCH = 'scan.rematch';

export interface ScanImagePayload {
  readonly repository: string;
  readonly digest: string;
  /** push, request or feed: why it was queued. */
  readonly reason: string;
  /** Index the layers again (a forced rescan from the API or CLI). */
  readonly reindex?: boolean;
}

export interface RematchPayload {
  readonly feedId: number;
}

const REMATCH_PAGE = 1000;
/** A push scan starts once no upload has run for this long, or after PUSH_WAIT_MAX_MS. */
const PUSH_QUIET_MS = 250;
const PUSH_WAIT_MAX_MS = 5000;
/** Never-scanned images a feed import queues scans for, at most (the rest: on demand). */
const MAX_CATCH_UP = 10_000;
const SYSTEM = { name: 'system' } as const;

export function scanImageKey(digest: string): string {
  return `scan:${digest}`;
}

export function registerScanJobs(jobs: JobRunner, deps: {
  readonly db: Kysely<Database>;
  readonly engine: ScanEngine;
  readonly feeds: FeedStore;
  readonly reports: ReportStore;
  readonly inventories: InventoryStore;
  readonly settings: ScanSettings;
  readonly bus: EventBus;
  readonly concurrency: number;
  /** The instance's upload activity: push scans wait for a pause in it. */
  readonly activity?: PushActivity;
  readonly now?: () => number;
}): void {
  const now = deps.now ?? Date.now;
  const emit = (e: RegistryEvent) => deps.bus.emit(e);

  jobs.register(SCAN_IMAGE, {
    concurrency: deps.concurrency,
    maxAttempts: 3,
    async run(payload: unknown, ctx: JobContext) {
      const p = payload as ScanImagePayload;
      // Queued with every push (in its transaction); the project's setting is read when it runs.
      if (p.reason === 'push' && !(await deps.settings.of(projectOf(p.repository))).scanOnPush) return { skipped: 'scan on push is off for the project' };
      // A push scan waits for a burst of pushes to pause (5 s at most), so it never competes with
      // the next push of a pipeline for the cores; a requested scan goes at once.
      if (p.reason === 'push') await deps.activity?.settle(PUSH_QUIET_MS, PUSH_WAIT_MAX_MS, ctx.signal);
      // Deleted (or garbage-collected) before its turn, or while it was read: nothing to scan.
      const gone = () => deps.engine.resolve(p.repository, p.digest).then(() => false, (e: unknown) => e instanceof RegistryError && e.code === 'MANIFEST_UNKNOWN');
      if (await gone()) return { skipped: 'the image was deleted before it was scanned' };
      let outcome: Awaited<ReturnType<typeof deps.engine.scan>>;
      try {
        outcome = await deps.engine.scan(p.repository, p.digest, { signal: ctx.signal, progress: (t) => ctx.progress(t), ...(p.reindex ? { reindex: true } : {}) });
      } catch (error) {
        if (await gone()) return { skipped: 'the image was deleted while it was scanned' };
        throw error;
      }
      const feed = await deps.feeds.active();
      for (const platform of outcome.platforms) {
        if (platform.status === 'skipped') continue;
        emit({
          type: 'scan.completed', repository: p.repository, digest: platform.digest, status: platform.status === 'done' ? 'done' : 'failed',
          summary: counts(platform.findings ?? []), at: new Date(now()), actor: SYSTEM,
          ...(platform.platform ? { platform: platform.platform } : {}), ...(feed ? { feedDigest: feed.digest } : {}), ...(platform.error ? { error: platform.error } : {}),
        });
      }
      return {
        digest: outcome.digest, index: outcome.index,
        platforms: outcome.platforms.map((x) => ({ digest: x.digest, platform: x.platform ?? null, status: x.status, error: x.error ?? null, packages: x.packages ?? null, summary: x.findings ? counts(x.findings) : null })),
      };
    },
  });

  jobs.register(SCAN_REMATCH, {
    concurrency: 1,
    maxAttempts: 3,
    async run(payload: unknown, ctx: JobContext) {
      const { feedId } = payload as RematchPayload;
      const feed = await deps.feeds.active();
      // A newer import replaced this feed meanwhile: its own re-match does the work.
      if (!feed || feed.id !== feedId) return { skipped: true };
      const result = await rematchAll({ ...deps, emit, now }, feed, (t) => ctx.progress(t), ctx.signal);
      // Images never scanned (pushed before scanning was on, or while it was off) are scanned now.
      let queued = 0;
      for (const image of await unscannedImages(deps.db, MAX_CATCH_UP)) {
        // After push scans (lower runs first): catching up on old images waits its turn.
        const r = await jobs.enqueue(SCAN_IMAGE, { repository: image.repository, digest: image.digest, reason: 'feed' } satisfies ScanImagePayload, { key: scanImageKey(image.digest), priority: 10 });
        if (!r.deduplicated) queued++;
      }
      return { ...result, queuedScans: queued };
    },
  });
}

/**
 * Re-matches every stored inventory against `feed`, a page at a time, reading no blob: each
 * report is replaced (it now names this feed) and images a new advisory affects get
 * vulnerability.new. Used by the re-match job and by the offline CLI.
 */
export async function rematchAll(
  deps: { readonly db: Kysely<Database>; readonly feeds: FeedStore; readonly reports: ReportStore; readonly inventories: InventoryStore; readonly emit: (e: RegistryEvent) => void; readonly now: () => number },
  feed: ActiveFeed, progress: (text: string) => void, signal?: AbortSignal,
): Promise<{ images: number; changed: number; tookMs: number }> {
  const started = performance.now();
  let after: string | undefined;
  let done = 0;
  let changed = 0;
  const memo = newMatchMemo();
  const keys = new Map<number, Package>();
  for (;;) {
    signal?.throwIfAborted();
    // Between pages the event loop gets a turn (SQLite's calls do not give one): requests are
    // served, and the job's lease is renewed, while every stored image is re-matched.
    await new Promise((r) => setImmediate(r));
    const page = await inventoryPage(deps.db, after, REMATCH_PAGE);
    if (!page.length) break;
    after = page[page.length - 1]!.manifest_digest;
    const digests = page.map((r) => r.manifest_digest);
    const inventories = await deps.inventories.keyed(page, keys);
    const matched = await matchMany(deps.feeds, feed, inventories, memo);
    const scannedAt = deps.now();
    await new Promise((r) => setImmediate(r));
    const { before } = await deps.reports.saveMany(digests.map((digest, i) => ({ digest, status: 'done' as const, scannedAt, durationMs: 0, feed: { id: feed.id, digest: feed.digest, dataTime: feed.dataTime }, findings: matched[i]! })));
    const fresh = digests.map((digest, i) => {
      const had = before.get(digest) ?? new Set<string>();
      return matched[i]!.filter((f) => !had.has(f.advisory) && !f.aliases.some((a) => had.has(a)));
    });
    const withNew = digests.filter((_, i) => fresh[i]!.length > 0);
    if (withNew.length) {
      changed += withNew.length;
      const places = await placesOf(deps.db, withNew);
      const position = new Map(digests.map((d, i) => [d, i]));
      for (const place of places) emitNew(deps.emit, place.repository, place.digest, fresh[position.get(place.digest)!]!, new Date(scannedAt), feed.digest);
    }
    done += page.length;
    progress(`re-matched ${done.toLocaleString('en')} images (${changed.toLocaleString('en')} with new advisories)`);
  }
  return { images: done, changed, tookMs: Math.round(performance.now() - started) };
}

function counts(findings: readonly Finding[]): SeverityCounts {
  return countBySeverity(findings);
}

function emitNew(emit: (e: RegistryEvent) => void, repository: string, digest: string, findings: readonly Finding[], at: Date, feedDigest?: string): void {
  emit({
    type: 'vulnerability.new', repository, digest, at, actor: SYSTEM,
    advisories: findings.map((f) => ({ id: f.advisory, severity: f.severity, package: f.package, installedVersion: f.installedVersion, ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}) })),
    ...(feedDigest ? { feedDigest } : {}),
  });
}
