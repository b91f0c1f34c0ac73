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

/**
 * Every advisory entry of the feed that names a package of these inventories, by (type, name).
 * With `known` (a re-match's memo), names looked up for earlier pages are not asked again, and
 * packages are visited once per release and stored key.
 */
async function lookupAll(feeds: FeedStore, feed: ActiveFeed, inventories: readonly KeyedInventory[], known?: Map<string, AffectedPackage[]>): Promise<Map<string, AffectedPackage[]>> {
  const byName = known ?? new Map<string, AffectedPackage[]>();
  const wanted = new Map<string, { type: PackageType; name: string }>();
  const seen = new Set<string>();
  for (const inventory of inventories) {
    const release = releaseKey(inventory.os);
    inventory.packages.forEach((pkg, i) => {
      const id = inventory.ids?.[i];
      if (id !== undefined) {
        const visit = `${release ?? ''}\u0000${id}`;
        if (seen.has(visit)) return;
        seen.add(visit);
      }
      for (const k of matchKeys(pkg, release)) {
        const key = keyOf(k.type, k.name);
        if (!byName.has(key)) wanted.set(key, { type: k.type, name: k.name });
      }
    });
  }
  if (!wanted.size) return byName;
  for (const key of wanted.keys()) byName.set(key, []);
  for (const ap of await feeds.lookup(feed, [...wanted.values()])) byName.get(keyOf(ap.type, ap.name))?.push(ap);
  return byName;
}

/** What a re-match shares across all its inventories: which advisory entries affect which package version, and the merged findings of each package group. */
export interface MatchMemo {
  readonly affecting: NonNullable<Parameters<typeof match>[0]['memo']>;
  readonly groups: NonNullable<Parameters<typeof match>[0]['groupMemo']>;
  /** The feed's entries for each (type, name) looked up so far, [] for none. */
  readonly lookups: Map<string, AffectedPackage[]>;
}

export function newMatchMemo(): MatchMemo {
  return { affecting: new Map(), groups: new Map(), lookups: new Map() };
}

/** An inventory as a re-match reads it: with its stored package key ids (parallel to packages), which key the memo. */
export interface KeyedInventory extends Inventory {
  readonly ids?: readonly number[];
}

function matchWith(byName: Map<string, AffectedPackage[]>, inventory: KeyedInventory, memo?: MatchMemo): Finding[] {
  return match({
    packages: inventory.packages,
    ...(inventory.os ? { os: inventory.os } : {}),
    lookup: (type, name, release) => (byName.get(keyOf(type, name)) ?? []).filter((ap) => ap.release === release),
    ...(memo ? { memo: memo.affecting, groupMemo: memo.groups, ...(inventory.ids ? { ids: inventory.ids } : {}) } : {}),
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
export async function matchMany(feeds: FeedStore, feed: ActiveFeed, inventories: readonly KeyedInventory[], memo: MatchMemo = newMatchMemo()): Promise<Finding[][]> {
  const byName = await lookupAll(feeds, feed, inventories, memo.lookups);
  const out: Finding[][] = [];
  for (let i = 0; i < inventories.length; i++) {
    if (i > 0 && i % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    out.push(matchWith(byName, inventories[i]!, memo));
  }
  return out;
}
