// Rows of the scan feature (features/scan): layer indexes, inventories and their packages, the
// vulnerability feed (imports, affected packages, feed versions), reports with their findings,
// and per-project scan settings.
import { IN_LIST_MAX, rowsPerInsert, slices } from './batches.ts';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from './executor.ts';

// ---- Layer indexes ------------------------------------------------------------------------------

export async function findLayerIndex(db: Executor, digest: string, indexer: number): Promise<{ index_json: string; bytes_read: number } | undefined> {
  return db.selectFrom('scan_layers').select(['index_json', 'bytes_read']).where('digest', '=', digest).where('indexer', '=', indexer).executeTakeFirst();
}

export async function saveLayerIndex(db: Executor, digest: string, indexer: number, indexJson: string, bytesRead: number, now: number): Promise<void> {
  await db.insertInto('scan_layers').values({ digest, indexer, index_json: indexJson, bytes_read: bytesRead, indexed_at: now })
    .onConflict((oc) => oc.column('digest').doUpdateSet({ indexer, index_json: indexJson, bytes_read: bytesRead, indexed_at: now }))
    .execute();
}

// ---- Inventories --------------------------------------------------------------------------------

export interface PackageRecord {
  readonly type: string;
  readonly name: string;
  readonly version: string;
  readonly source_name: string | null;
  readonly source_version: string | null;
  readonly arch: string | null;
  readonly purl: string;
  readonly location: string;
  readonly licenses: string | null;
}

export interface InventoryRecord {
  readonly manifest_digest: string;
  readonly source: 'layers' | 'sbom';
  readonly sbom_digest: string | null;
  readonly os_id: string | null;
  readonly os_version: string | null;
  readonly os_name: string | null;
  readonly package_count: number;
  readonly created_at: number;
  /** The ids of its packages' keys in order, comma-separated (null: stored before keys existed). */
  readonly package_ids: string | null;
}

/** Replaces a manifest's inventory and its package rows (call inside a transaction). */
export async function saveInventory(db: Executor, inv: Omit<InventoryRecord, 'package_count' | 'package_ids'>, packages: readonly PackageRecord[]): Promise<void> {
  const ids = await packageKeyIds(db, packages);
  await db.deleteFrom('scan_packages').where('manifest_digest', '=', inv.manifest_digest).execute();
  await db.insertInto('scan_inventories').values({ ...inv, package_count: packages.length, package_ids: ids.join(',') })
    .onConflict((oc) => oc.column('manifest_digest').doUpdateSet({
      source: inv.source, sbom_digest: inv.sbom_digest, os_id: inv.os_id, os_version: inv.os_version, os_name: inv.os_name,
      package_count: packages.length, created_at: inv.created_at, package_ids: ids.join(','),
    }))
    .execute();
  const rows = packages.map((p, position) => ({ manifest_digest: inv.manifest_digest, position, ...p }));
  for (const batch of slices(rows, rowsPerInsert(11))) await db.insertInto('scan_packages').values(batch).execute();
}

// ---- Package keys: each distinct package once, for re-matching ------------------------------------

/** What matching reads of a package; stored once however many images hold it. */
export type PackageKeyRecord = Pick<PackageRecord, 'type' | 'name' | 'version' | 'source_name' | 'source_version' | 'arch' | 'purl'>;

export function packageFingerprint(p: PackageKeyRecord): string {
  return createHash('sha256').update(JSON.stringify([p.type, p.name, p.version, p.source_name, p.source_version, p.arch, p.purl])).digest('hex');
}

/** The key ids of these packages, in order, adding the keys not stored yet (call inside a transaction). */
export async function packageKeyIds(db: Executor, packages: readonly PackageKeyRecord[]): Promise<number[]> {
  const fingerprints = packages.map(packageFingerprint);
  const ids = new Map<string, number>();
  const known = async (wanted: readonly string[]) => {
    for (const batch of slices([...new Set(wanted)], IN_LIST_MAX)) {
      for (const r of await db.selectFrom('scan_package_keys').select(['id', 'fingerprint']).where('fingerprint', 'in', batch).execute()) ids.set(r.fingerprint, Number(r.id));
    }
  };
  await known(fingerprints);
  const missing = new Map<string, PackageKeyRecord>();
  packages.forEach((p, i) => {
    if (!ids.has(fingerprints[i]!)) missing.set(fingerprints[i]!, p);
  });
  if (missing.size) {
    const rows = [...missing].map(([fingerprint, p]) => ({
      fingerprint, type: p.type, name: p.name, version: p.version, source_name: p.source_name, source_version: p.source_version, arch: p.arch, purl: p.purl,
    }));
    // Another instance may add the same key meanwhile: its row serves both.
    for (const batch of slices(rows, rowsPerInsert(8))) await db.insertInto('scan_package_keys').values(batch).onConflict((oc) => oc.column('fingerprint').doNothing()).execute();
    await known([...missing.keys()]);
  }
  return fingerprints.map((f) => ids.get(f)!);
}

/** Stored keys by id. */
export async function packageKeysById(db: Executor, ids: readonly number[]): Promise<Map<number, PackageKeyRecord>> {
  const out = new Map<number, PackageKeyRecord>();
  for (const batch of slices([...new Set(ids)], IN_LIST_MAX)) {
    const rows = await db.selectFrom('scan_package_keys').select(['id', 'type', 'name', 'version', 'source_name', 'source_version', 'arch', 'purl']).where('id', 'in', batch).execute();
    for (const { id, ...key } of rows) out.set(Number(id), key);
  }
  return out;
}

/** Fills in the key ids of an inventory stored before package keys existed. */
export async function setPackageIds(db: Executor, digest: string, ids: readonly number[]): Promise<void> {
  await db.updateTable('scan_inventories').set({ package_ids: ids.join(',') }).where('manifest_digest', '=', digest).execute();
}

export async function findInventory(db: Executor, digest: string): Promise<InventoryRecord | undefined> {
  return db.selectFrom('scan_inventories').selectAll().where('manifest_digest', '=', digest).executeTakeFirst() as Promise<InventoryRecord | undefined>;
}

export async function inventoryPackages(db: Executor, digest: string): Promise<PackageRecord[]> {
  return db.selectFrom('scan_packages').select(['type', 'name', 'version', 'source_name', 'source_version', 'arch', 'purl', 'location', 'licenses'])
    .where('manifest_digest', '=', digest).orderBy('position').execute();
}

/** Inventories in digest order after `after`, for re-matching in pages. */
export async function inventoryPage(db: Executor, after: string | undefined, limit: number): Promise<InventoryRecord[]> {
  let q = db.selectFrom('scan_inventories').selectAll().orderBy('manifest_digest').limit(limit);
  if (after !== undefined) q = q.where('manifest_digest', '>', after);
  return q.execute() as Promise<InventoryRecord[]>;
}

/**
 * The packages of many inventories at once, by manifest, with what matching reads: a re-match
 * reads every stored package, so the long columns it never uses (location, licenses) are left
 * out (location is '', licenses null).
 */
export async function packagesOfMany(db: Executor, digests: readonly string[]): Promise<Map<string, PackageRecord[]>> {
  const out = new Map<string, PackageRecord[]>(digests.map((d) => [d, []]));
  for (const batch of slices([...new Set(digests)], IN_LIST_MAX)) {
    const rows = await db.selectFrom('scan_packages')
      .select(['manifest_digest', 'type', 'name', 'version', 'source_name', 'source_version', 'arch', 'purl'])
      .where('manifest_digest', 'in', batch).orderBy('manifest_digest').orderBy('position').execute();
    for (const { manifest_digest, ...p } of rows) out.get(manifest_digest)!.push({ ...p, location: '', licenses: null });
  }
  return out;
}

/** The os-release of these images' inventories. */
export async function inventoryOsOf(db: Executor, digests: readonly string[]): Promise<Map<string, { id: string | null; version: string | null }>> {
  const out = new Map<string, { id: string | null; version: string | null }>();
  for (const batch of slices([...new Set(digests)], IN_LIST_MAX)) {
    for (const r of await db.selectFrom('scan_inventories').select(['manifest_digest', 'os_id', 'os_version']).where('manifest_digest', 'in', batch).execute()) {
      out.set(r.manifest_digest, { id: r.os_id, version: r.os_version });
    }
  }
  return out;
}

export async function countInventories(db: Executor): Promise<number> {
  const r = await db.selectFrom('scan_inventories').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Images holding a package of this name (binary or source name), optionally of one type. */
export async function packagesNamed(db: Executor, name: string, type?: string): Promise<(PackageRecord & { manifest_digest: string })[]> {
  let q = db.selectFrom('scan_packages')
    .select(['manifest_digest', 'type', 'name', 'version', 'source_name', 'source_version', 'arch', 'purl', 'location', 'licenses'])
    .where((eb) => eb.or([eb('name', '=', name), eb('source_name', '=', name)]));
  if (type !== undefined) q = q.where('type', '=', type);
  return q.orderBy('manifest_digest').limit(100_000).execute();
}

// ---- The feed -----------------------------------------------------------------------------------

export interface ImportRecord {
  readonly id: number;
  readonly source: string;
  readonly format: string;
  readonly origin: string;
  readonly digest: string;
  readonly records: number;
  readonly affected: number;
  readonly data_time: number | null;
  readonly imported_at: number;
}

export interface AffectedRecord {
  readonly type: string;
  readonly name: string;
  readonly release: string | null;
  readonly advisory: string;
  readonly aliases: string;
  readonly upstream: string | null;
  readonly ranges: string;
  readonly versions: string;
  readonly severity: string;
  readonly cvss: number | null;
  readonly summary: string | null;
  readonly links: string;
}

export async function insertImport(db: Executor, i: Omit<ImportRecord, 'id'>): Promise<number> {
  const r = await db.insertInto('vuln_imports').values(i).returning('id').executeTakeFirstOrThrow();
  return Number(r.id);
}

export async function insertAffected(db: Executor, importId: number, rows: readonly AffectedRecord[]): Promise<void> {
  for (const batch of slices(rows.map((r) => ({ import_id: importId, ...r })), rowsPerInsert(13))) await db.insertInto('vuln_affected').values(batch).execute();
}

/**
 * Copies the rows of one import whose part (the release of an OS entry, else the ecosystem) is
 * one of `parts` into another import (in the caller's transaction); returns how many.
 */
export async function copyAffected(db: Executor, fromImport: number, toImport: number, parts: readonly string[]): Promise<number> {
  if (!parts.length) return 0;
  const columns = ['type', 'name', 'release', 'advisory', 'aliases', 'upstream', 'ranges', 'versions', 'severity', 'cvss', 'summary', 'links'] as const;
  const r = await db.insertInto('vuln_affected').columns(['import_id', ...columns])
    .expression(db.selectFrom('vuln_affected').select([sql<number>`${toImport}`.as('import_id'), ...columns])
      .where('import_id', '=', fromImport).where(sql<string>`coalesce(release, type)`, 'in', [...parts]))
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0);
}

export async function updateImportCounts(db: Executor, id: number, records: number, affected: number, dataTime: number | null): Promise<void> {
  await db.updateTable('vuln_imports').set({ records, affected, data_time: dataTime }).where('id', '=', id).execute();
}

export interface FeedRecord {
  readonly id: number;
  readonly active: number;
  readonly previous_id: number | null;
  readonly digest: string;
  readonly created_at: number;
}

export async function activeFeed(db: Executor): Promise<FeedRecord | undefined> {
  return db.selectFrom('vuln_feeds').selectAll().where('active', '=', 1).executeTakeFirst() as Promise<FeedRecord | undefined>;
}

export async function findFeed(db: Executor, id: number): Promise<FeedRecord | undefined> {
  return db.selectFrom('vuln_feeds').selectAll().where('id', '=', id).executeTakeFirst() as Promise<FeedRecord | undefined>;
}

export async function importsOfFeed(db: Executor, feedId: number): Promise<ImportRecord[]> {
  return db.selectFrom('vuln_feed_imports as fi').innerJoin('vuln_imports as i', 'i.id', 'fi.import_id')
    .select(['i.id', 'i.source', 'i.format', 'i.origin', 'i.digest', 'i.records', 'i.affected', 'i.data_time', 'i.imported_at'])
    .where('fi.feed_id', '=', feedId).orderBy('i.source').execute() as Promise<ImportRecord[]>;
}

/** A new feed version made of these imports; it becomes the active one (in the caller's transaction). */
export async function createActiveFeed(db: Executor, importIds: readonly number[], previousId: number | null, digest: string, now: number): Promise<number> {
  await db.updateTable('vuln_feeds').set({ active: 0 }).where('active', '=', 1).execute();
  const r = await db.insertInto('vuln_feeds').values({ active: 1, previous_id: previousId, digest, created_at: now }).returning('id').executeTakeFirstOrThrow();
  const id = Number(r.id);
  for (const importId of importIds) await db.insertInto('vuln_feed_imports').values({ feed_id: id, import_id: importId }).execute();
  return id;
}

/** Makes an existing feed version the active one again (restore). */
export async function activateFeed(db: Executor, id: number): Promise<void> {
  await db.updateTable('vuln_feeds').set({ active: 0 }).where('active', '=', 1).execute();
  await db.updateTable('vuln_feeds').set({ active: 1 }).where('id', '=', id).execute();
}

/**
 * Imports no feed version refers to any more (their rows go with them): committed ones, and
 * loads that never committed (digest still empty) once they are older than `staleBefore`, so an
 * import being loaded right now is left alone.
 */
export async function pruneImports(db: Executor, staleBefore: number): Promise<number> {
  const r = await db.deleteFrom('vuln_imports')
    .where('id', 'not in', db.selectFrom('vuln_feed_imports').select('import_id'))
    .where((eb) => eb.or([eb('digest', '!=', ''), eb('imported_at', '<', staleBefore)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Feed versions older than the newest `keep` (and not active) are forgotten. */
export async function pruneFeeds(db: Executor, keep: number): Promise<void> {
  const kept = (await db.selectFrom('vuln_feeds').select('id').orderBy('id', 'desc').limit(keep).execute()).map((r) => Number(r.id));
  if (!kept.length) return;
  await db.deleteFrom('vuln_feeds').where('id', 'not in', kept).where('active', '=', 0).execute();
}

/** The affected-package rows of these imports for these (type, name) pairs. */
export async function affectedFor(db: Executor, importIds: readonly number[], keys: readonly { type: string; name: string }[]): Promise<AffectedRecord[]> {
  if (!importIds.length || !keys.length) return [];
  const out: AffectedRecord[] = [];
  const byType = new Map<string, string[]>();
  for (const k of keys) byType.set(k.type, [...(byType.get(k.type) ?? []), k.name]);
  for (const [type, names] of byType) {
    for (const batch of slices([...new Set(names)], IN_LIST_MAX)) {
      out.push(...(await db.selectFrom('vuln_affected')
        .select(['type', 'name', 'release', 'advisory', 'aliases', 'upstream', 'ranges', 'versions', 'severity', 'cvss', 'summary', 'links'])
        .where('import_id', 'in', [...importIds]).where('type', '=', type).where('name', 'in', batch).execute()));
    }
  }
  return out;
}

/** Every affected-package row of an advisory in these imports, by its id or one of its aliases. */
export async function affectedByAdvisory(db: Executor, importIds: readonly number[], advisory: string): Promise<AffectedRecord[]> {
  if (!importIds.length) return [];
  const alias = `%${JSON.stringify(advisory).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db.selectFrom('vuln_affected')
    .select(['type', 'name', 'release', 'advisory', 'aliases', 'upstream', 'ranges', 'versions', 'severity', 'cvss', 'summary', 'links'])
    .where('import_id', 'in', [...importIds])
    .where((eb) => eb.or([eb('advisory', '=', advisory), eb('aliases', 'like', sql<string>`${alias} escape '\\'`)]))
    .execute();
}

// ---- Reports ------------------------------------------------------------------------------------

export interface ReportRecord {
  readonly manifest_digest: string;
  readonly status: 'done' | 'failed';
  readonly error: string | null;
  readonly feed_id: number | null;
  readonly feed_digest: string | null;
  readonly feed_time: number | null;
  readonly critical: number;
  readonly high: number;
  readonly medium: number;
  readonly low: number;
  readonly unknown: number;
  readonly fixable: string;
  readonly scanned_at: number;
  readonly duration_ms: number;
  readonly findings_hash: string | null;
  /** JSON array of the findings' advisory ids. */
  readonly finding_ids: string;
}


/** Replaces a manifest's report. */
export async function saveReport(db: Executor, report: ReportRecord): Promise<void> {
  const { manifest_digest: _d, ...rest } = report;
  await db.insertInto('scan_reports').values(report).onConflict((oc) => oc.column('manifest_digest').doUpdateSet(rest)).execute();
}

/** Replaces the reports of many images at once (a re-match page). */
export async function saveReports(db: Executor, reports: readonly ReportRecord[]): Promise<void> {
  for (const batch of slices(reports.map((r) => r.manifest_digest), IN_LIST_MAX)) await db.deleteFrom('scan_reports').where('manifest_digest', 'in', batch).execute();
  for (const batch of slices([...reports], rowsPerInsert(16))) await db.insertInto('scan_reports').values(batch).execute();
}

/** A re-match that found the same findings: only the feed the reports name (and their time) change. */
export async function touchReports(db: Executor, digests: readonly string[], feed: { id: number; digest: string; time: number }, at: number): Promise<void> {
  for (const batch of slices([...digests], IN_LIST_MAX)) {
    await db.updateTable('scan_reports').set({ feed_id: feed.id, feed_digest: feed.digest, feed_time: feed.time, scanned_at: at, duration_ms: 0 })
      .where('manifest_digest', 'in', batch).execute();
  }
}

/**
 * Image manifests in some repository that have no report yet (never scanned), with one
 * repository each: not indexes, not artifacts (their artifactType is not an image config), not referrers.
 */
export async function unscannedImages(db: Executor, limit: number): Promise<{ digest: string; repository: string }[]> {
  const rows = await db.selectFrom('manifests as m')
    .innerJoin('repository_manifests as rm', 'rm.digest', 'm.digest')
    .innerJoin('repositories as r', 'r.id', 'rm.repository_id')
    .leftJoin('scan_reports as sr', 'sr.manifest_digest', 'm.digest')
    .select(['m.digest', (eb) => eb.fn.min('r.name').as('repository')])
    .where('sr.manifest_digest', 'is', null)
    .where('m.subject_digest', 'is', null)
    .where('m.media_type', 'in', ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'])
    .where((eb) => eb.or([eb('m.artifact_type', 'is', null), eb('m.artifact_type', 'in', ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'])]))
    .groupBy('m.digest').orderBy('m.digest').limit(limit).execute();
  return rows.map((r) => ({ digest: r.digest, repository: String(r.repository) }));
}

export async function findReport(db: Executor, digest: string): Promise<ReportRecord | undefined> {
  return db.selectFrom('scan_reports').selectAll().where('manifest_digest', '=', digest).executeTakeFirst() as Promise<ReportRecord | undefined>;
}

export async function reportsOf(db: Executor, digests: readonly string[]): Promise<Map<string, ReportRecord>> {
  const out = new Map<string, ReportRecord>();
  for (const batch of slices([...new Set(digests)], IN_LIST_MAX)) {
    for (const r of await db.selectFrom('scan_reports').selectAll().where('manifest_digest', 'in', batch).execute()) out.set(r.manifest_digest, r as ReportRecord);
  }
  return out;
}




// ---- Settings -----------------------------------------------------------------------------------

export interface ScanSettingsRecord {
  readonly scan_on_push: number;
  readonly prevent_severity: string;
  readonly fixable_only: number;
  readonly prevent_unscanned: number;
  readonly grace_seconds: number;
  readonly allowlist: string;
  readonly exempt: string;
  readonly updated_at: number;
}

export async function findScanSettings(db: Executor, projectId: number): Promise<ScanSettingsRecord | undefined> {
  return db.selectFrom('scan_settings').select(['scan_on_push', 'prevent_severity', 'fixable_only', 'prevent_unscanned', 'grace_seconds', 'allowlist', 'exempt', 'updated_at'])
    .where('project_id', '=', projectId).executeTakeFirst();
}

export async function saveScanSettings(db: Executor, projectId: number, s: ScanSettingsRecord): Promise<void> {
  await db.insertInto('scan_settings').values({ project_id: projectId, ...s })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ ...s })).execute();
}

// ---- Where manifests live -----------------------------------------------------------------------

/** The repositories (and tags) that hold these manifests, for answers that name images. */
export async function placesOf(db: Executor, digests: readonly string[]): Promise<{ digest: string; repository: string; project: string; tags: string[] }[]> {
  const out: { digest: string; repository: string; project: string; tags: string[] }[] = [];
  for (const batch of slices([...new Set(digests)], IN_LIST_MAX)) {
    // CROSS JOIN makes SQLite start from the digests (it would rather walk every repository in
    // name order to skip the sort, and probe each one for every digest: 0.8 s for 10,000).
    const rows = await db.selectFrom('repository_manifests as rm').crossJoin('repositories as r')
      .leftJoin('tags as t', (j) => j.onRef('t.repository_id', '=', 'rm.repository_id').onRef('t.digest', '=', 'rm.digest'))
      .select(['rm.digest', 'r.name', 'r.project', 't.name as tag'])
      .whereRef('r.id', '=', 'rm.repository_id')
      .where('rm.digest', 'in', batch).orderBy('r.name').orderBy('t.name').execute();
    const byKey = new Map<string, { digest: string; repository: string; project: string; tags: string[] }>();
    for (const r of rows) {
      const key = `${r.digest}\0${r.name}`;
      let e = byKey.get(key);
      if (!e) {
        e = { digest: r.digest, repository: r.name, project: r.project, tags: [] };
        byKey.set(key, e);
        out.push(e);
      }
      if (r.tag) e.tags.push(r.tag);
    }
  }
  return out;
}

/** The manifests among `digests` that the repository holds, with their media types. */
export async function linkedManifests(db: Executor, repository: string, digests: readonly string[]): Promise<{ digest: string; mediaType: string }[]> {
  const out: { digest: string; mediaType: string }[] = [];
  for (const batch of slices([...new Set(digests)], IN_LIST_MAX)) {
    const rows = await db.selectFrom('repository_manifests as rm').innerJoin('repositories as r', 'r.id', 'rm.repository_id').innerJoin('manifests as m', 'm.digest', 'rm.digest')
      .select(['m.digest', 'm.media_type']).where('r.name', '=', repository).where('rm.digest', 'in', batch).execute();
    for (const r of rows) out.push({ digest: r.digest, mediaType: r.media_type });
  }
  return out;
}

/** The child manifests of these indexes, with their stored platform (JSON) or null. */
export async function indexChildren(db: Executor, indexes: readonly string[]): Promise<{ index: string; digest: string; platform: string | null }[]> {
  const out: { index: string; digest: string; platform: string | null }[] = [];
  for (const batch of slices([...new Set(indexes)], IN_LIST_MAX)) {
    const rows = await db.selectFrom('manifest_refs').select(['manifest_digest', 'child_digest', 'platform'])
      .where('kind', '=', 'manifest').where('manifest_digest', 'in', batch).orderBy('manifest_digest').orderBy('position').execute();
    for (const r of rows) out.push({ index: r.manifest_digest, digest: r.child_digest, platform: r.platform });
  }
  return out;
}

/** Which of these job keys have a job queued or running. */
export async function openJobKeys(db: Executor, keys: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const batch of slices([...new Set(keys)], IN_LIST_MAX)) {
    const rows = await db.selectFrom('jobs').select('key').where('key', 'in', batch).where('state', 'in', ['pending', 'running']).execute();
    for (const r of rows) if (r.key) out.add(r.key);
  }
  return out;
}

