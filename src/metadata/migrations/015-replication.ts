// Replication (features/replication, issue 15 section 2): rules that push Berth's images to a
// peer registry or pull a peer's into Berth, with the peer's credentials sealed (AES-256-GCM, key
// outside the database, as proxy projects'); the runs of each rule, and per-artifact results.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const id = ctx.dialect === 'postgres' ? 'bigserial' : 'integer';
  const serial = (c: ColumnDefinitionBuilder) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  await db.schema.createTable('replication_rules')
    .addColumn('id', sql.raw(id), serial)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    /** 'push' (Berth -> peer) or 'pull' (peer -> Berth). */
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('peer', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    /** base64 of iv | tag | ciphertext (features/secrets.ts); null without credentials. */
    .addColumn('password_sealed', 'text')
    .addColumn('repos', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('on_push', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('schedule', 'text')
    .addColumn('deletions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('replication_runs')
    .addColumn('id', sql.raw(id), serial)
    .addColumn('rule_id', 'bigint', (c) => c.notNull().references('replication_rules.id').onDelete('cascade'))
    /** manual, schedule, push. */
    .addColumn('trigger', 'text', (c) => c.notNull())
    /** queued, running, done, failed. */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('job_id', 'bigint')
    /** JSON {copied, skipped, failed, deleted, bytes, blobsCopied, blobsMounted, blobsSkipped}. */
    .addColumn('summary', 'text')
    .addColumn('error', 'text')
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('replication_runs_rule').on('replication_runs').columns(['rule_id', 'id']).execute();
  await db.schema.createTable('replication_results')
    .addColumn('id', sql.raw(id), serial)
    .addColumn('run_id', 'bigint', (c) => c.notNull().references('replication_runs.id').onDelete('cascade'))
    .addColumn('repository', 'text', (c) => c.notNull())
    /** The tag, or the digest for an untagged manifest (a platform, a referrer). */
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('digest', 'text')
    /** image, index, referrer, child, tag-delete. */
    .addColumn('kind', 'text', (c) => c.notNull())
    /** copied, skipped, failed, deleted. */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('replication_results_run').on('replication_results').columns(['run_id', 'id']).execute();
}
