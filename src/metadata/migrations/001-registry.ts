// The registry's tables: repositories, blobs, links, manifests, references, tags, uploads.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  // Names sort bytewise (lexically) on both dialects: PostgreSQL needs the C collation for that.
  const name = ctx.dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  const id = ctx.dialect === 'postgres' ? 'bigserial' : 'integer';

  await db.schema.createTable('repositories')
    .addColumn('id', sql.raw(id), (c) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('name', name, (c) => c.notNull().unique())
    .addColumn('project', name, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('repositories_project').on('repositories').columns(['project', 'name']).execute();

  await db.schema.createTable('blobs')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('repository_blobs')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull().references('blobs.digest'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_blobs_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema.createIndex('repository_blobs_digest').on('repository_blobs').column('digest').execute();

  await db.schema.createTable('manifests')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('artifact_type', 'text')
    .addColumn('subject_digest', 'text')
    .addColumn('config_digest', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('annotations', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('manifest_refs')
    .addColumn('manifest_digest', 'text', (c) => c.notNull().references('manifests.digest').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('child_digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('platform', 'text')
    .addPrimaryKeyConstraint('manifest_refs_pk', ['manifest_digest', 'position'])
    .execute();
  await db.schema.createIndex('manifest_refs_child').on('manifest_refs').column('child_digest').execute();

  await db.schema.createTable('repository_manifests')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull().references('manifests.digest'))
    .addColumn('subject_digest', 'text')
    .addColumn('pushed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_manifests_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema.createIndex('repository_manifests_subject').on('repository_manifests').columns(['repository_id', 'subject_digest']).execute();

  await db.schema.createTable('tags')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('name', name, (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['repository_id', 'name'])
    .execute();
  await db.schema.createIndex('tags_digest').on('tags').columns(['repository_id', 'digest']).execute();

  await db.schema.createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
