// Discovery: what Docker Hub shows about a repository (description, labels, pull counts, stars),
// the trusted-content flags of projects (verified publisher, sponsored OSS), per-tag pull counts,
// the full-text index behind search, and browser sessions for the web UI.
//
// Search is dialect-specific by necessity and kept behind features/search: SQLite uses an FTS5
// external-content table kept in step by triggers (in the same transaction as the change), and
// PostgreSQL a generated tsvector column with a GIN index. Both index the same four fields.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute();
  /** Space-separated labels (lower-case words), searchable and filterable. */
  await db.schema.alterTable('repositories').addColumn('labels', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('repositories').addColumn('pull_count', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('repositories').addColumn('last_pulled_at', 'bigint').execute();
  await db.schema.alterTable('repositories').addColumn('star_count', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema.alterTable('tags').addColumn('pull_count', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('tags').addColumn('last_pulled_at', 'bigint').execute();

  /** Trusted content: set by administrators only. */
  await db.schema.alterTable('projects').addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('projects').addColumn('sponsored', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema.createTable('stars')
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('stars_pk', ['user_id', 'repository_id'])
    .execute();
  await db.schema.createIndex('stars_repository').on('stars').column('repository_id').execute();

  /** Web UI sign-ins: the cookie carries a random secret; only its SHA-256 is stored. */
  await db.schema.createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema.createIndex('repositories_updated').on('repositories').column('updated_at').execute();
  await db.schema.createIndex('repositories_pulls').on('repositories').column('pull_count').execute();
  await db.schema.createIndex('repositories_stars').on('repositories').column('star_count').execute();

  if (ctx.dialect === 'sqlite') {
    // unicode61 splits "library/my-app" into library, my, app; queries are tokenised the same way
    // and matched as prefixes, so results arrive as the user types.
    await sql`create virtual table repository_fts using fts5(
      name, project, description, labels,
      content='repositories', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')`.execute(db);
    await sql`create trigger repository_fts_insert after insert on repositories begin
      insert into repository_fts(rowid, name, project, description, labels) values (new.id, new.name, new.project, new.description, new.labels);
    end`.execute(db);
    await sql`create trigger repository_fts_delete after delete on repositories begin
      insert into repository_fts(repository_fts, rowid, name, project, description, labels) values ('delete', old.id, old.name, old.project, old.description, old.labels);
    end`.execute(db);
    // Only the indexed columns: pull counts and updated_at change often and must not churn the index.
    await sql`create trigger repository_fts_update after update of name, project, description, labels on repositories begin
      insert into repository_fts(repository_fts, rowid, name, project, description, labels) values ('delete', old.id, old.name, old.project, old.description, old.labels);
      insert into repository_fts(rowid, name, project, description, labels) values (new.id, new.name, new.project, new.description, new.labels);
    end`.execute(db);
    await sql`insert into repository_fts(repository_fts) values ('rebuild')`.execute(db);
  } else {
    // The 'simple' configuration (no stemming, no stop words) matches names as typed; separators
    // become spaces first, because the default parser reads "library/nginx" as one file-path token.
    await sql`alter table repositories add column search_vector tsvector generated always as (
      setweight(to_tsvector('simple', translate(name, '/-_.', '    ')), 'A') ||
      setweight(to_tsvector('simple', translate(project, '/-_.', '    ')), 'B') ||
      setweight(to_tsvector('simple', translate(labels, '/-_.', '    ')), 'B') ||
      setweight(to_tsvector('simple', description), 'C')) stored`.execute(db);
    await sql`create index repositories_search on repositories using gin (search_vector)`.execute(db);
  }
}
