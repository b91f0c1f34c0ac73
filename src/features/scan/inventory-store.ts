// Inventories and layer indexes as the scan feature keeps them: typed views over the rows of
// metadata/scan.ts. A layer's index is stored once per digest and shared by every image with
// that layer; an image's inventory is stored with one row per package, so registry-wide
// questions ("which images contain X") are indexed lookups and re-matching reads no blob.
import type { Kysely } from 'kysely';
import { findInventory, findLayerIndex, inventoryPackages, saveInventory, saveLayerIndex, type InventoryRecord, type PackageRecord } from '../../metadata/scan.ts';
import type { Database } from '../../metadata/schema.ts';
import { LAYER_INDEX_VERSION } from './inventory/layer.ts';
import type { Inventory, LayerIndex, OsRelease, Package, PackageType } from './inventory/types.ts';

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
