// The registry-wide questions no peer answers, from the stored inventories and reports alone (no
// blob is read): which images hold package X (optionally in a version range), and which images
// an advisory Y affects. Each answer names the repositories and tags holding each image; what the
// caller may not pull is left out by the caller (the API route filters by project).
import type { Kysely } from 'kysely';
import { inventoryOsOf, packagesNamed, placesOf } from '../../metadata/scan.ts';
import { fromRecord } from './inventory-store.ts';
import { fixedVersionFor, isAffected, matchKeys, releaseKey } from './match/matcher.ts';
import type { Database } from '../../metadata/schema.ts';
import type { AffectedPackage } from './advisories/types.ts';
import type { FeedStore } from './feed/store.ts';
import type { PackageType } from './inventory/types.ts';
import { inVersionRange, parseVersionRange } from './query/version-range.ts';

export interface ImagePlace {
  readonly repository: string;
  readonly project: string;
  readonly tags: readonly string[];
  readonly digest: string;
}

export interface PackageHit extends ImagePlace {
  readonly package: { readonly name: string; readonly version: string; readonly type: string; readonly purl: string; readonly location: string; readonly source?: { readonly name: string; readonly version: string } };
}

export interface AdvisoryAnswer {
  readonly id: string;
  /** What the active feed says about it (one entry per affected package and release). */
  readonly affected: readonly AffectedPackage[];
  readonly images: readonly (ImagePlace & { readonly findings: readonly { package: string; installedVersion: string; fixedVersion: string | null; severity: string }[] })[];
}

export class ScanQueries {
  constructor(private readonly db: Kysely<Database>, private readonly feeds: FeedStore) {}

  /** Images holding a package named `name` (binary or source name), of `type`, in `range`. */
  async imagesWithPackage(name: string, options: { type?: PackageType; range?: string } = {}): Promise<PackageHit[]> {
    const conditions = options.range ? parseVersionRange(options.range) : undefined;
    const rows = (await packagesNamed(this.db, name, options.type))
      .filter((r) => !conditions || inVersionRange(r.type as PackageType, r.source_name === name && r.name !== name ? r.source_version ?? r.version : r.version, conditions));
    const places = await placesOf(this.db, rows.map((r) => r.manifest_digest));
    const byDigest = groupBy(places, (p) => p.digest);
    const out: PackageHit[] = [];
    for (const r of rows) {
      for (const place of byDigest.get(r.manifest_digest) ?? []) {
        out.push({
          ...place,
          package: {
            name: r.name, version: r.version, type: r.type, purl: r.purl, location: r.location,
            ...(r.source_name ? { source: { name: r.source_name, version: r.source_version ?? r.version } } : {}),
          },
        });
      }
    }
    return out;
  }

  /**
   * Images an advisory (or an alias of it) affects under the active feed, and what the feed says
   * about it: its entries name packages (and releases); the images holding those packages are
   * found through the stored inventories' package index, and each version is placed in the
   * entry's ranges, as the matcher does.
   */
  async imagesWithAdvisory(id: string): Promise<AdvisoryAnswer> {
    const feed = await this.feeds.active();
    const affected = feed ? await this.feeds.advisory(feed, id) : [];
    const findings = new Map<string, { package: string; installedVersion: string; fixedVersion: string | null; severity: string }[]>();
    const keys = new Map<string, AffectedPackage[]>();
    for (const ap of affected) {
      const k = `${ap.type}\u0000${ap.name}`;
      keys.set(k, [...(keys.get(k) ?? []), ap]);
    }
    for (const entries of keys.values()) {
      const { type, name } = entries[0]!;
      const rows = await packagesNamed(this.db, name, type);
      const os = await inventoryOsOf(this.db, rows.map((r) => r.manifest_digest));
      // Thousands of images hold the same few versions: each (entry, release, version) is placed once.
      const verdicts = new Map<string, { fixed: string | null } | null>();
      const verdict = (ap: AffectedPackage, i: number, version: string) => {
        const k = `${i}\u0000${version}`;
        let v = verdicts.get(k);
        if (v === undefined) verdicts.set(k, (v = isAffected(version, ap) ? { fixed: fixedVersionFor(version, ap) ?? null } : null));
        return v;
      };
      for (const r of rows) {
        const pkg = fromRecord(r);
        const o = os.get(r.manifest_digest);
        const release = releaseKey(o?.id ? { id: o.id, versionId: o.version ?? '' } : undefined);
        for (const key of matchKeys(pkg, release)) {
          if (key.type !== type || key.name !== name) continue;
          entries.forEach((ap, i) => {
            if (ap.release !== key.release) return;
            const affected = verdict(ap, i, key.version);
            if (!affected) return;
            const list = findings.get(r.manifest_digest) ?? [];
            if (!list.some((f) => f.package === pkg.name && f.installedVersion === pkg.version)) {
              list.push({ package: pkg.name, installedVersion: pkg.version, fixedVersion: affected.fixed, severity: ap.severity });
            }
            findings.set(r.manifest_digest, list);
          });
        }
      }
    }
    const places = await placesOf(this.db, [...findings.keys()]);
    return { id, affected, images: places.map((p) => ({ ...p, findings: findings.get(p.digest) ?? [] })) };
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
