// Re-matching reads no package rows (issue 11: 10,000 images in seconds). Each distinct package
// (the fields matching uses: type, name, version, source, arch, purl) is stored once in
// scan_package_keys, and each inventory keeps the ids of its packages in order
// (scan_inventories.package_ids). scan_packages keeps one row per image and package, with what
// only reports and queries show (location, licenses). Inventories stored before this have no
// package_ids: the next re-match reads their rows once and fills them in. Also an index of
// repository_manifests by digest.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.createTable('scan_package_keys')
    .addColumn('id', ctx.dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    /** SHA-256 hex of the JSON of the fields below: unique, and short enough for any index. */
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('source_name', 'text')
    .addColumn('source_version', 'text')
    .addColumn('arch', 'text')
    .addColumn('purl', 'text', (c) => c.notNull())
    .execute();
  /** Comma-separated scan_package_keys ids, in the inventory's package order; null until filled in. */
  await db.schema.alterTable('scan_inventories').addColumn('package_ids', 'text').execute();
  // Which repositories hold a manifest (the registry-wide answers name them; GC asks too): the
  // primary key starts with the repository.
  await db.schema.createIndex('repository_manifests_digest').on('repository_manifests').column('digest').execute();
}
