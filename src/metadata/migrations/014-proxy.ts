// Proxy projects (features/proxy, issue 15): a project that mirrors an upstream registry, its
// upstream's credentials sealed (AES-256-GCM, key outside the database), the tag TTL rules; when
// each cached tag was last checked upstream; and a lease per blob being fetched, so that several
// instances fetch one blob from upstream once.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.createTable('proxy_projects')
    .addColumn('project_id', 'bigint', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('upstream', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    /** base64 of iv | tag | ciphertext (features/proxy/secrets.ts); null without credentials. */
    .addColumn('password_sealed', 'text')
    /** JSON [{pattern, ttlMs}], first match wins. */
    .addColumn('tag_ttls', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('proxy_tag_checks')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('proxy_tag_checks_pk', ['repository_id', 'tag'])
    .execute();
  await db.schema.createTable('proxy_blob_fetches')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}
