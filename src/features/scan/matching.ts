// Matching stored inventories against the active feed: the feed store answers the advisory
// lookups, the pure matcher (match/matcher.ts) does the rest. Many inventories are matched with one
// batched lookup of every package name they hold, so re-matching 10,000 images after an import
// costs a few indexed queries and no blob read.
import type { Finding } from './advisories/types.ts';
import type { AffectedPackage } from './advisories/types.ts';
import type { ActiveFeed, FeedStore } from './feed/store.ts';
import type { Inventory, PackageType } from './inventory/types.ts';
import { match, matchKeys, releaseKey } from './match/matcher.ts';

const keyOf = (type: PackageType, name: string): string => `${type}\u0000${name}`;

/** Every advisory entry of the feed that names a package of these inventories, by (type, name). */
async function lookupAll(feeds: FeedStore, feed: ActiveFeed, inventories: readonly Inventory[]): Promise<Map<string, AffectedPackage[]>> {
  const wanted = new Map<string, { type: PackageType; name: string }>();
  for (const inventory of inventories) {
    const release = releaseKey(inventory.os);
    for (const pkg of inventory.packages) {
      for (const k of matchKeys(pkg, release)) wanted.set(keyOf(k.type, k.name), { type: k.type, name: k.name });
    }
  }
  const byName = new Map<string, AffectedPackage[]>();
  for (const ap of await feeds.lookup(feed, [...wanted.values()])) {
    const k = keyOf(ap.type, ap.name);
    const list = byName.get(k);
    if (list) list.push(ap);
    else byName.set(k, [ap]);
  }
  return byName;
}

/** What a re-match shares across all its inventories: which advisory entries affect which package version, and the merged findings of each package group. */
export interface MatchMemo {
  readonly affecting: NonNullable<Parameters<typeof match>[0]['memo']>;
  readonly groups: NonNullable<Parameters<typeof match>[0]['groupMemo']>;
}

export function newMatchMemo(): MatchMemo {
  return { affecting: new Map(), groups: new Map() };
}

function matchWith(byName: Map<string, AffectedPackage[]>, inventory: Inventory, memo?: MatchMemo): Finding[] {
  return match({
    packages: inventory.packages,
    ...(inventory.os ? { os: inventory.os } : {}),
    lookup: (type, name, release) => (byName.get(keyOf(type, name)) ?? []).filter((ap) => ap.release === release),
    ...(memo ? { memo: memo.affecting, groupMemo: memo.groups } : {}),
  });
}

/** Matching is synchronous work: a page of inventories gives the event loop a turn this often. */
const YIELD_EVERY = 50;

export async function matchInventory(feeds: FeedStore, feed: ActiveFeed, inventory: Inventory): Promise<Finding[]> {
  return matchWith(await lookupAll(feeds, feed, [inventory]), inventory);
}

/**
 * The findings of each inventory, in order. A memo shared across calls (against the same feed)
 * saves working out the same package versions again; the event loop gets turns in between, so
 * requests are served while thousands of images are matched.
 */
export async function matchMany(feeds: FeedStore, feed: ActiveFeed, inventories: readonly Inventory[], memo: MatchMemo = newMatchMemo()): Promise<Finding[][]> {
  const byName = await lookupAll(feeds, feed, inventories);
  const out: Finding[][] = [];
  for (let i = 0; i < inventories.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    out.push(matchWith(byName, inventories[i]!, memo));
  }
  return out;
}
