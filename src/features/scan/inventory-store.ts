// Inventories and layer indexes as the scan feature keeps them: typed views over the rows of
// metadata/scan.ts. A layer's index is stored once per digest and shared by every image with
// that layer; an image's inventory is stored with one row per package, so registry-wide
// questions ("which images contain X") are indexed lookups and re-matching reads no blob.
import type { Kysely } from 'kysely';
import { findInventory, findLayerIndex, inventoryPackages, packageKeyIds, packageKeysById, packagesOfMany, saveInventory, saveLayerIndex, setPackageIds, type InventoryRecord, type PackageKeyRecord, type PackageRecord } from '../../metadata/scan.ts';
import type { Database } from '../../metadata/schema.ts';
import { LAYER_INDEX_VERSION } from './inventory/layer.ts';
import type { Inventory, LayerIndex, OsRelease, Package, PackageType } from './inventory/types.ts';
import type { KeyedInventory } from './matching.ts';

/** Bump when the layer reader learns something new: layers are then indexed again. */
export const INDEXER_VERSION = LAYER_INDEX_VERSION;

export interface StoredInventory extends Inventory {
  readonly source: 'layers' | 'sbom';
  readonly sbomDigest?: string;
  readonly createdAt: number;
}

export class InventoryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async layer(digest: string): Promise<LayerIndex | undefined> {
    const row = await findLayerIndex(this.db, digest, INDEXER_VERSION);
    return row ? (JSON.parse(row.index_json) as LayerIndex) : undefined;
  }

  async saveLayer(digest: string, index: LayerIndex, now: number): Promise<void> {
    await saveLayerIndex(this.db, digest, INDEXER_VERSION, JSON.stringify(index), index.bytesRead, now);
  }

  async save(digest: string, inventory: Inventory, source: 'layers' | 'sbom', sbomDigest: string | undefined, now: number): Promise<void> {
    await this.db.transaction().execute((trx) => saveInventory(trx, {
      manifest_digest: digest, source, sbom_digest: sbomDigest ?? null,
      os_id: inventory.os?.id ?? null, os_version: inventory.os?.versionId ?? null, os_name: inventory.os?.prettyName ?? null, created_at: now,
    }, inventory.packages.map(toRecord)));
  }

  /**
   * These inventories as matching reads them, from their package key ids and the keys (read
   * once into `keys`, which a re-match shares across its pages): no package row is read, except
   * for inventories stored before keys existed, whose ids are filled in on the way.
   */
  async keyed(rows: readonly InventoryRecord[], keys: Map<number, Package>): Promise<KeyedInventory[]> {
    const legacy = rows.filter((r) => r.package_ids === null);
    const filled = new Map<string, number[]>();
    if (legacy.length) {
      const packages = await packagesOfMany(this.db, legacy.map((r) => r.manifest_digest));
      await this.db.transaction().execute(async (trx) => {
        for (const r of legacy) {
          const ids = await packageKeyIds(trx, packages.get(r.manifest_digest) ?? []);
          await setPackageIds(trx, r.manifest_digest, ids);
          filled.set(r.manifest_digest, ids);
        }
      });
    }
    const idsOf = rows.map((r) => filled.get(r.manifest_digest) ?? parseIds(r.package_ids));
    const missing = new Set<number>();
    for (const ids of idsOf) for (const id of ids) if (!keys.has(id)) missing.add(id);
    if (missing.size) for (const [id, key] of await packageKeysById(this.db, [...missing])) keys.set(id, fromKey(key));
    return rows.map((row, i) => {
      const ids = idsOf[i]!.filter((id) => keys.has(id));
      const os = osOf(row);
      return { packages: ids.map((id) => keys.get(id)!), ids, ...(os ? { os } : {}) };
    });
  }

  async get(digest: string): Promise<StoredInventory | undefined> {
    const row = await findInventory(this.db, digest);
    if (!row) return undefined;
    return fromRows(row, await inventoryPackages(this.db, digest));
  }
}

export function toRecord(p: Package): PackageRecord {
  return {
    type: p.type, name: p.name, version: p.version, source_name: p.source?.name ?? null, source_version: p.source?.version ?? null,
    arch: p.arch ?? null, purl: p.purl, location: p.location, licenses: p.licenses?.length ? JSON.stringify(p.licenses) : null,
  };
}

export function fromRecord(r: PackageRecord): Package {
  return {
    type: r.type as PackageType, name: r.name, version: r.version, purl: r.purl, location: r.location,
    ...(r.source_name !== null ? { source: { name: r.source_name, version: r.source_version ?? r.version } } : {}),
    ...(r.arch !== null ? { arch: r.arch } : {}),
    ...(r.licenses !== null ? { licenses: JSON.parse(r.licenses) as string[] } : {}),
  };
}

export function osOf(row: InventoryRecord): OsRelease | undefined {
  return row.os_id ? { id: row.os_id, versionId: row.os_version ?? '', ...(row.os_name ? { prettyName: row.os_name } : {}) } : undefined;
}

export function fromRows(row: InventoryRecord, packages: readonly PackageRecord[]): StoredInventory {
  const os = osOf(row);
  return {
    packages: packages.map(fromRecord), source: row.source, createdAt: row.created_at,
    ...(os ? { os } : {}), ...(row.sbom_digest ? { sbomDigest: row.sbom_digest } : {}),
  };
}

function parseIds(text: string | null): number[] {
  return text ? text.split(',').map(Number) : [];
}

/** A stored key as a package (what matching reads; location and licenses are the image's own, in scan_packages). */
function fromKey(k: PackageKeyRecord): Package {
  return fromRecord({ ...k, location: '', licenses: null });
}
