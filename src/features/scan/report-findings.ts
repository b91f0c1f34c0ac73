// An image's findings, worked out when asked for: its stored inventory matched against the feed
// version its report names (kept for restores; the active feed if that version was pruned). The
// same matching made the report's counts, so the two agree; nothing is stored per finding.
import type { Finding } from './advisories/types.ts';
import type { FeedStore } from './feed/store.ts';
import type { InventoryStore } from './inventory-store.ts';
import { matchInventory } from './matching.ts';
import type { ReportStore, StoredReport } from './report-store.ts';

export class ReportFindings {
  constructor(private readonly deps: { feeds: FeedStore; inventories: InventoryStore; reports: ReportStore }) {}

  async of(digest: string, report?: StoredReport): Promise<Finding[]> {
    const r = report ?? (await this.deps.reports.get(digest));
    if (!r || r.status !== 'done') return [];
    const inventory = await this.deps.inventories.get(digest);
    if (!inventory) return [];
    const feed = (r.feedId !== undefined ? await this.deps.feeds.byId(r.feedId) : undefined) ?? (r.feedId !== undefined ? await this.deps.feeds.active() : undefined);
    return feed ? matchInventory(this.deps.feeds, feed, inventory) : [];
  }
}
