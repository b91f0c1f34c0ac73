// Security verification (features/scan): per-layer indexes (each layer digest read once), the
// inventory of each image manifest (with one row per package, so registry-wide questions are
// indexed lookups), the vulnerability feed (imports of OSV or Debian tracker data, combined into
// feed versions that are switched atomically), scan reports with their findings, and each
// project's scan settings and policy.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const id = ctx.dialect === 'postgres' ? 'bigserial' : 'integer';
  const float = ctx.dialect === 'postgres' ? 'double precision' : 'real';
  const serial = (t: string) => db.schema.createTable(t).addColumn('id', id, (c) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()));

  await db.schema.createTable('scan_layers')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    /** Which version of the layer reader made the index (a newer reader indexes again). */
    .addColumn('indexer', 'integer', (c) => c.notNull())
    /** JSON LayerIndex. */
    .addColumn('index_json', 'text', (c) => c.notNull())
    .addColumn('bytes_read', 'bigint', (c) => c.notNull())
    .addColumn('indexed_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('scan_inventories')
    .addColumn('manifest_digest', 'text', (c) => c.primaryKey())
    /** layers, or sbom (a user pushed one as a referrer, and it was used instead). */
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('sbom_digest', 'text')
    .addColumn('os_id', 'text')
    .addColumn('os_version', 'text')
    .addColumn('os_name', 'text')
    .addColumn('package_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('scan_packages')
    .addColumn('manifest_digest', 'text', (c) => c.notNull().references('scan_inventories.manifest_digest').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('source_name', 'text')
    .addColumn('source_version', 'text')
    .addColumn('arch', 'text')
    .addColumn('purl', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('licenses', 'text')
    .addPrimaryKeyConstraint('scan_packages_pk', ['manifest_digest', 'position'])
    .execute();
  await db.schema.createIndex('scan_packages_name').on('scan_packages').columns(['name', 'type']).execute();
  await db.schema.createIndex('scan_packages_source').on('scan_packages').columns(['source_name', 'type']).execute();

  await serial('vuln_imports')
    /** What this import replaces when it becomes active: the same source of data (osv:npm, debian-tracker, ...). */
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    /** Where it came from: a path or oci:// reference. */
    .addColumn('origin', 'text', (c) => c.notNull())
    /** SHA-256 of what was read. */
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('affected', 'integer', (c) => c.notNull())
    /** The newest "modified" time in the data, if it says; the feed's age counts from it. */
    .addColumn('data_time', 'bigint')
    .addColumn('imported_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('vuln_affected')
    .addColumn('import_id', 'bigint', (c) => c.notNull().references('vuln_imports.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('release', 'text')
    .addColumn('advisory', 'text', (c) => c.notNull())
    /** JSON arrays. */
    .addColumn('aliases', 'text', (c) => c.notNull())
    /** JSON array of the ids this advisory derives from (a DSA's CVEs), or null. */
    .addColumn('upstream', 'text')
    .addColumn('ranges', 'text', (c) => c.notNull())
    .addColumn('versions', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('cvss', float)
    .addColumn('summary', 'text')
    .addColumn('links', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('vuln_affected_lookup').on('vuln_affected').columns(['import_id', 'type', 'name']).execute();
  await db.schema.createIndex('vuln_affected_advisory').on('vuln_affected').columns(['advisory']).execute();

  await serial('vuln_feeds')
    /** 1 for the feed in use; exactly one row has it once anything was imported. */
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
    /** The feed this one replaced, for `berth vulndb restore`. */
    .addColumn('previous_id', 'bigint')
    /** SHA-256 over its imports' digests. */
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('vuln_feed_imports')
    .addColumn('feed_id', 'bigint', (c) => c.notNull().references('vuln_feeds.id').onDelete('cascade'))
    .addColumn('import_id', 'bigint', (c) => c.notNull().references('vuln_imports.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('vuln_feed_imports_pk', ['feed_id', 'import_id'])
    .execute();

  await db.schema.createTable('scan_reports')
    .addColumn('manifest_digest', 'text', (c) => c.primaryKey())
    /** done or failed. */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('feed_id', 'bigint')
    .addColumn('feed_digest', 'text')
    /** The feed's data time when the report was made (its age then). */
    .addColumn('feed_time', 'bigint')
    .addColumn('critical', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('high', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('medium', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('low', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unknown', 'integer', (c) => c.notNull().defaultTo(0))
    /** Of the findings, how many have a fix, at each severity (JSON counts). */
    .addColumn('fixable', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('scanned_at', 'bigint', (c) => c.notNull())
    /** How long the scan took (indexing and matching). */
    .addColumn('duration_ms', 'integer', (c) => c.notNull().defaultTo(0))
    /** SHA-256 over the findings: a re-match that finds the same ones only updates the feed columns. */
    .addColumn('findings_hash', 'text')
    /**
     * JSON array of the findings' advisory ids, for telling which advisories are new after a
     * re-match. The findings themselves are not stored: they follow from the stored inventory and
     * the feed version the report names, so a re-match writes one row per image, not hundreds.
     */
    .addColumn('finding_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();

  await db.schema.createTable('scan_settings')
    .addColumn('project_id', 'bigint', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('scan_on_push', 'integer', (c) => c.notNull().defaultTo(1))
    /** critical, high, medium, low or none: pulls of images with findings at or above it are refused. */
    .addColumn('prevent_severity', 'text', (c) => c.notNull().defaultTo('none'))
    .addColumn('fixable_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('prevent_unscanned', 'integer', (c) => c.notNull().defaultTo(0))
    /** Pulls are not refused this long after the image was pushed (seconds). */
    .addColumn('grace_seconds', 'integer', (c) => c.notNull().defaultTo(0))
    /** JSON [{id, expiresAt?, reason?}]: advisories the policy ignores. */
    .addColumn('allowlist', 'text', (c) => c.notNull().defaultTo('[]'))
    /** JSON [account names]: may pull whatever the policy says (replication, signing). */
    .addColumn('exempt', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
