// The scan feature's services over one database and store, shared by the server (enable) and the
// offline CLI: the feed, the stored inventories and reports, the projects' policies, the engine
// that scans an image, the views the API and CLI show, and the registry-wide questions.
import type { Kysely } from 'kysely';
import { IGNORE_CHANGES, type ChangeRecorder } from '../../auth/directory/changes.ts';
import type { Database } from '../../metadata/schema.ts';
import type { Registry } from '../../registry/registry.ts';
import type { StorageDriver } from '../../storage/driver.ts';
import { ScanEngine } from './engine.ts';
import { FeedStore } from './feed/store.ts';
import { InventoryStore } from './inventory-store.ts';
import { ScanQueries } from './queries.ts';
import { ReportFindings } from './report-findings.ts';
import { ReportStore } from './report-store.ts';
import { ScanSettings } from './settings.ts';
import { ReportViews } from './views.ts';

/** The scanner's name and version, in SBOMs and reports. */
export const SCANNER = { name: 'berth', version: '0.1.0' } as const;

export interface ScanServices {
  readonly feeds: FeedStore;
  readonly inventories: InventoryStore;
  readonly reports: ReportStore;
  readonly findings: ReportFindings;
  readonly settings: ScanSettings;
  readonly engine: ScanEngine;
  readonly views: ReportViews;
  readonly queries: ScanQueries;
}

export function scanServices(deps: {
  readonly db: Kysely<Database>;
  readonly storage: StorageDriver;
  readonly registry: Registry;
  readonly record?: ChangeRecorder;
  /** scan.maxFeedAgeHours: reports say when the feed in use is older. */
  readonly maxFeedAgeHours?: number;
  readonly now?: () => number;
}): ScanServices {
  const now = deps.now ?? Date.now;
  const feeds = new FeedStore(deps.db, now);
  const inventories = new InventoryStore(deps.db);
  const reports = new ReportStore(deps.db);
  const settings = new ScanSettings(deps.db, deps.record ?? IGNORE_CHANGES, now);
  const engine = new ScanEngine({ db: deps.db, storage: deps.storage, registry: deps.registry, feeds, inventories, reports, tool: SCANNER, now });
  const findings = new ReportFindings({ feeds, inventories, reports });
  const views = new ReportViews({ engine, reports, findings, inventories, feeds, db: deps.db, maxFeedAgeHours: deps.maxFeedAgeHours ?? 0 });
  const queries = new ScanQueries(deps.db, feeds);
  return { feeds, inventories, reports, findings, settings, engine, views, queries };
}
