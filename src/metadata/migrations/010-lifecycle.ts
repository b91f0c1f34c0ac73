// Lifecycle (issue 13): tag history, the garbage collector's review queues and its durable
// byte-deletion queue, GC runs, tag immutability rules, retention policies and runs, and
// per-project storage quotas. The registry fills the review queues in the transactions of its
// own changes (so enabling GC later finds every candidate); features/gc empties them.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const id = ctx.dialect === 'postgres' ? 'bigserial' : 'integer';
  const serial = (c: ColumnDefinitionBuilder) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  const name = ctx.dialect === 'postgres' ? sql`text collate "C"` : sql`text`;

  // Every tag move: who, when, from which digest to which (digest null: the tag was deleted).
  await db.schema.createTable('tag_history')
    .addColumn('id', sql.raw(id), serial)
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('tag', name, (c) => c.notNull())
    .addColumn('digest', 'text')
    .addColumn('previous', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tag_history_tag').on('tag_history').columns(['repository_id', 'tag', 'id']).execute();
  await db.schema.createIndex('tag_history_digest').on('tag_history').columns(['repository_id', 'digest']).execute();

  // Manifests to review: a manifest link (repository, digest) that lost a tag, an index or its
  // subject, or was pushed untagged. No foreign key: a review outlives its repository's removal
  // (the global check of the manifest row still has to run).
  await db.schema.createTable('gc_manifest_reviews')
    .addColumn('repository_id', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('review_after', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('gc_manifest_reviews_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema.createIndex('gc_manifest_reviews_due').on('gc_manifest_reviews').column('review_after').execute();

  // Blob links to review: (repository, digest) whose last manifest went, or that an upload or a
  // mount made without a manifest. repository_id 0: only the global check (no link is left).
  await db.schema.createTable('gc_blob_reviews')
    .addColumn('repository_id', 'bigint', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('review_after', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('gc_blob_reviews_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema.createIndex('gc_blob_reviews_due').on('gc_blob_reviews').column('review_after').execute();

  // Bytes whose rows are gone: deleted from storage after due_at, idempotently; the row stays as
  // a tombstone (done_at) for a day, so a push that raced the delete sees it and re-checks.
  await db.schema.createTable('gc_byte_deletes')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('done_at', 'bigint')
    .execute();
  await db.schema.createIndex('gc_byte_deletes_due').on('gc_byte_deletes').columns(['done_at', 'due_at']).execute();

  await db.schema.createTable('gc_runs')
    .addColumn('id', sql.raw(id), serial)
    /** worker, cli or api. */
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('manifests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('blobs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('uploads', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('gc_runs_started').on('gc_runs').column('started_at').execute();

  // Tag immutability: a tag matching both globs cannot be moved or deleted.
  await db.schema.createTable('immutable_rules')
    .addColumn('id', sql.raw(id), serial)
    .addColumn('project_id', 'bigint', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('repos', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('immutable_rules_project').on('immutable_rules').column('project_id').execute();

  // Retention: one policy per project (rules as JSON, an optional cron schedule), and its runs.
  await db.schema.createTable('retention_policies')
    .addColumn('project_id', 'bigint', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('schedule', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('retention_runs')
    .addColumn('id', sql.raw(id), serial)
    .addColumn('project_id', 'bigint', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('tags', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    /** JSON: the plan (what was or would be deleted). */
    .addColumn('plan', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('retention_runs_project').on('retention_runs').columns(['project_id', 'started_at']).execute();

  // What an older Berth left behind (deletes before there was a collector) is queued once, from
  // the rows: untagged manifest links, blob links no manifest of their repository uses, and rows
  // no repository links. Due at once; each review re-checks what keeps it.
  await sql`insert into gc_manifest_reviews (repository_id, digest, review_after, reason)
    select rm.repository_id, rm.digest, 0, 'upgrade' from repository_manifests rm
    where not exists (select 1 from tags t where t.repository_id = rm.repository_id and t.digest = rm.digest)`.execute(db);
  await sql`insert into gc_manifest_reviews (repository_id, digest, review_after, reason)
    select 0, m.digest, 0, 'upgrade' from manifests m
    where not exists (select 1 from repository_manifests rm where rm.digest = m.digest)`.execute(db);
  await sql`insert into gc_blob_reviews (repository_id, digest, review_after, reason)
    select rb.repository_id, rb.digest, 0, 'upgrade' from repository_blobs rb
    where not exists (select 1 from manifest_refs mr inner join repository_manifests rm on rm.digest = mr.manifest_digest and rm.repository_id = rb.repository_id where mr.child_digest = rb.digest)`.execute(db);
  await sql`insert into gc_blob_reviews (repository_id, digest, review_after, reason)
    select 0, b.digest, 0, 'upgrade' from blobs b
    where not exists (select 1 from repository_blobs rb where rb.digest = b.digest)`.execute(db);

  // Quotas: a limit in bytes (null: none), and when the 80% warning was last sent.
  await db.schema.alterTable('projects').addColumn('quota_bytes', 'bigint').execute();
  await db.schema.alterTable('projects').addColumn('quota_warned_at', 'bigint').execute();
}
