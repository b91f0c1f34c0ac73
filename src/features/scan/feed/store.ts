// The vulnerability feed in the database. An import (one source of data: OSV records of some
// ecosystems, or the Debian security tracker) is written in batches into rows that nothing reads
// yet; then one small transaction makes a new feed version of it plus the active version's other
// sources, and switches to it. So a feed is never seen half loaded, a crashed import leaves only
// rows that are pruned, pushes are never held up by a long write, and the previous version can
// be restored. Reports record the feed version (and its data's time) they were made with.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  activateFeed, activeFeed, affectedByAdvisory, affectedFor, copyAffected, createActiveFeed, findFeed, importsOfFeed, insertAffected, insertImport,
  pruneFeeds, pruneImports, updateImportCounts, type AffectedRecord, type ImportRecord,
} from '../../../metadata/scan.ts';
import type { Database } from '../../../metadata/schema.ts';
import type { PackageType } from '../inventory/types.ts';
import type { AffectedPackage, AffectedRange, Severity } from '../advisories/types.ts';

/** Feed versions kept (the active one and those it could be restored to). */
const KEEP_FEEDS = 5;
/** Rows written per transaction while loading. */
const LOAD_BATCH = 5000;

export interface FeedImportView {
  readonly source: string;
  readonly format: string;
  readonly origin: string;
  readonly digest: string;
  readonly records: number;
  readonly affected: number;
  /** The newest modification time the data states (ISO), or null when it says none. */
  readonly dataTime: string | null;
  readonly importedAt: string;
}

export interface FeedStatus {
  readonly id: number;
  readonly digest: string;
  readonly createdAt: string;
  /** The oldest of its imports' data times (or import times): the feed is as old as that. */
  readonly dataTime: string;
  readonly ageSeconds: number;
  readonly previousId: number | null;
  readonly imports: readonly FeedImportView[];
}

export interface ActiveFeed {
  readonly id: number;
  readonly digest: string;
  /** Epoch ms of the feed's data (see FeedStatus.dataTime). */
  readonly dataTime: number;
  readonly importIds: readonly number[];
}

/** Nothing to restore. */
export class FeedRestoreError extends Error {}

export class FeedStore {
  constructor(private readonly db: Kysely<Database>, private readonly now: () => number = Date.now) {}

  async active(): Promise<ActiveFeed | undefined> {
    const feed = await activeFeed(this.db);
    if (!feed) return undefined;
    const imports = await importsOfFeed(this.db, feed.id);
    return { id: feed.id, digest: feed.digest, dataTime: dataTimeOf(imports), importIds: imports.map((i) => i.id) };
  }

  /** A feed version by its id, if it is still kept (the active one or one it could be restored to). */
  async byId(id: number): Promise<ActiveFeed | undefined> {
    const feed = await findFeed(this.db, id);
    if (!feed) return undefined;
    const imports = await importsOfFeed(this.db, feed.id);
    return { id: feed.id, digest: feed.digest, dataTime: dataTimeOf(imports), importIds: imports.map((i) => i.id) };
  }

  async status(): Promise<FeedStatus | undefined> {
    const feed = await activeFeed(this.db);
    if (!feed) return undefined;
    const imports = await importsOfFeed(this.db, feed.id);
    const dataTime = dataTimeOf(imports);
    return {
      id: feed.id, digest: feed.digest, createdAt: new Date(feed.created_at).toISOString(), dataTime: new Date(dataTime).toISOString(),
      ageSeconds: Math.max(0, Math.round((this.now() - dataTime) / 1000)), previousId: feed.previous_id,
      imports: imports.map((i) => ({
        source: i.source, format: i.format, origin: i.origin, digest: i.digest, records: i.records, affected: i.affected,
        dataTime: i.data_time === null ? null : new Date(i.data_time).toISOString(), importedAt: new Date(i.imported_at).toISOString(),
      })),
    };
  }

  /** The affected-package entries of the feed for these (type, name) pairs. */
  async lookup(feed: ActiveFeed, keys: readonly { type: PackageType; name: string }[]): Promise<AffectedPackage[]> {
    return (await affectedFor(this.db, feed.importIds, keys)).map(fromRecord);
  }

  async advisory(feed: ActiveFeed, id: string): Promise<AffectedPackage[]> {
    return (await affectedByAdvisory(this.db, feed.importIds, id)).map(fromRecord);
  }

  /**
   * Starts loading an import; nothing reads it until `commit` switches the feed to it. Its source
   * and format are known once the data is read (setSourceAndFormat).
   */
  async begin(origin: string): Promise<FeedLoad> {
    const id = await insertImport(this.db, { source: '', format: '', origin, digest: '', records: 0, affected: 0, data_time: null, imported_at: this.now() });
    return new FeedLoad(this.db, id, this.now);
  }

  /** Makes the version the active one replaced active again. */
  async restore(): Promise<FeedStatus> {
    const feed = await activeFeed(this.db);
    if (!feed || feed.previous_id === null) throw new FeedRestoreError('there is no previous feed version to restore');
    const previous = await findFeed(this.db, feed.previous_id);
    if (!previous) throw new FeedRestoreError(`the previous feed version ${feed.previous_id} is no longer kept`);
    await this.db.transaction().execute((trx) => activateFeed(trx, previous.id));
    return (await this.status())!;
  }
}

/** One import being loaded: add rows in batches, then commit (switch) or abandon. */
export class FeedLoad {
  private pending: AffectedRecord[] = [];
  private affected = 0;
  private records = 0;
  private dataTime: number | null = null;
  private readonly hash = createHash('sha256');
  private source = '';
  private format = '';

  constructor(private readonly db: Kysely<Database>, readonly importId: number, private readonly now: () => number) {}

  /** What the import is: the source it replaces when it becomes active, and its format. */
  setSourceAndFormat(source: string, format: string): void {
    this.source = source;
    this.format = format;
  }

  /** Feeds the raw bytes read, for the import's digest. */
  digestBytes(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  /** One record (advisory) and the affected packages it yields; `modified` is its date, if any. */
  async add(entries: readonly AffectedPackage[], modified?: number): Promise<void> {
    this.records++;
    if (modified !== undefined && Number.isFinite(modified) && (this.dataTime === null || modified > this.dataTime)) this.dataTime = modified;
    for (const e of entries) this.pending.push(toRecord(e));
    this.affected += entries.length;
    if (this.pending.length >= LOAD_BATCH) await this.flush();
  }

  get counts(): { records: number; affected: number } {
    return { records: this.records, affected: this.affected };
  }

  private async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (rows.length) await this.db.transaction().execute((trx) => insertAffected(trx, this.importId, rows));
  }

  /**
   * Switches the active feed to one made of this import and the active feed's imports of other
   * sources, in one transaction; older versions and unreferenced imports are pruned.
   */
  /** `digest` is this import's (of the data read); `feedDigest` the new feed version's. */
  async commit(): Promise<{ feedId: number; feedDigest: string; digest: string; source: string }> {
    if (!this.source) throw new Error('FeedLoad.commit: setSourceAndFormat first');
    await this.flush();
    const digest = `sha256:${this.hash.digest('hex')}`;
    const feed = await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('vuln_imports').set({ digest, format: this.format }).where('id', '=', this.importId).execute();
      const current = await activeFeed(trx);
      const kept: ImportRecord[] = [];
      // OSV data comes in parts (a release such as debian:12, or an ecosystem such as npm): this
      // import replaces the parts it holds. An active import that also holds other parts hands
      // those rows over to this one, so importing npm alone never drops the PyPI data.
      const mine = partsOf(this.source);
      const parts = new Set(mine);
      let dataTime = this.dataTime;
      for (const i of current ? await importsOfFeed(trx, current.id) : []) {
        if (i.source === this.source) continue;
        const theirs = partsOf(i.source);
        if (!mine.length || !theirs.some((p) => parts.has(p))) {
          kept.push(i);
          continue;
        }
        const rest = theirs.filter((p) => !parts.has(p));
        if (!rest.length) continue;
        this.affected += await copyAffected(trx, i.id, this.importId, rest);
        for (const p of rest) parts.add(p);
        if (i.data_time !== null) dataTime = dataTime === null ? i.data_time : Math.min(dataTime, i.data_time);
      }
      if (mine.length) this.source = `osv:${[...parts].sort().join(',')}`;
      await updateImportCounts(trx, this.importId, this.records, this.affected, dataTime);
      await trx.updateTable('vuln_imports').set({ source: this.source }).where('id', '=', this.importId).execute();
      const importIds = [...kept.map((i) => i.id), this.importId];
      const digests = [...kept.map((i) => i.digest), digest].sort();
      const feedDigest = `sha256:${createHash('sha256').update(digests.join('\n')).digest('hex')}`;
      return { id: await createActiveFeed(trx, importIds, current?.id ?? null, feedDigest, this.now()), digest: feedDigest };
    });
    await pruneFeeds(this.db, KEEP_FEEDS);
    await pruneImports(this.db, this.now() - 86_400_000);
    return { feedId: feed.id, feedDigest: feed.digest, digest, source: this.source };
  }

  /** Drops what was loaded (a failed import). */
  async abandon(): Promise<void> {
    this.pending = [];
    await this.db.deleteFrom('vuln_imports').where('id', '=', this.importId).execute();
  }
}

/** The parts an OSV import holds ("osv:debian:12,npm" -> debian:12, npm); none for other sources. */
function partsOf(source: string): string[] {
  return source.startsWith('osv:') ? source.slice(4).split(',').filter((p) => p && p !== 'empty') : [];
}

function dataTimeOf(imports: readonly ImportRecord[]): number {
  if (!imports.length) return 0;
  return Math.min(...imports.map((i) => i.data_time ?? i.imported_at));
}

function toRecord(e: AffectedPackage): AffectedRecord {
  return {
    type: e.type, name: e.name, release: e.release ?? null, advisory: e.advisory, aliases: JSON.stringify(e.aliases), upstream: e.upstream?.length ? JSON.stringify(e.upstream) : null,
    ranges: JSON.stringify(e.ranges), versions: JSON.stringify(e.versions), severity: e.severity, cvss: e.cvss ?? null,
    summary: e.summary ?? null, links: JSON.stringify(e.links),
  };
}

function fromRecord(r: AffectedRecord): AffectedPackage {
  return {
    advisory: r.advisory, aliases: JSON.parse(r.aliases) as string[], ...(r.upstream ? { upstream: JSON.parse(r.upstream) as string[] } : {}), type: r.type as PackageType, name: r.name,
    ...(r.release !== null ? { release: r.release } : {}),
    ranges: JSON.parse(r.ranges) as AffectedRange[], versions: JSON.parse(r.versions) as string[],
    severity: r.severity as Severity, ...(r.cvss !== null ? { cvss: Number(r.cvss) } : {}),
    ...(r.summary !== null ? { summary: r.summary } : {}), links: JSON.parse(r.links) as string[],
  };
}
