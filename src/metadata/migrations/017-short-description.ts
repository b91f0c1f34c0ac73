// A short description, separate from the README (issue 17): Docker Hub's one line under the
// repository's name, at most 100 characters (the API checks the length). `description` stays
// the markdown README the Overview tab shows.
//
// Search indexes it too, in both dialects (features/search/dialects.ts):
// - SQLite: the FTS5 word index of migration 004 is made again with a fifth column,
//   short_description, and its triggers with it (an external-content table cannot gain a column);
//   then rebuilt from repositories.
// - PostgreSQL: the generated search_vector of migration 004 is made again with the short
//   description at weight B (a generated column's expression cannot be changed before 17), and
//   its GIN index with it.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('short_description', 'text', (c) => c.notNull().defaultTo('')).execute();

  if (ctx.dialect === 'sqlite') {
    for (const t of ['insert', 'delete', 'update']) await sql.raw(`drop trigger if exists repository_fts_${t}`).execute(db);
    await sql`drop table if exists repository_fts`.execute(db);
    const columns = 'name, project, description, labels, short_description';
    const values = (row: 'new' | 'old') => columns.split(', ').map((c) => `${row}.${c}`).join(', ');
    await sql.raw(`create virtual table repository_fts using fts5(
      ${columns},
      content='repositories', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')`).execute(db);
    await sql.raw(`create trigger repository_fts_insert after insert on repositories begin
      insert into repository_fts(rowid, ${columns}) values (new.id, ${values('new')});
    end`).execute(db);
    await sql.raw(`create trigger repository_fts_delete after delete on repositories begin
      insert into repository_fts(repository_fts, rowid, ${columns}) values ('delete', old.id, ${values('old')});
    end`).execute(db);
    // Only the indexed columns: pull counts and updated_at change often and must not churn the index.
    await sql.raw(`create trigger repository_fts_update after update of ${columns} on repositories begin
      insert into repository_fts(repository_fts, rowid, ${columns}) values ('delete', old.id, ${values('old')});
      insert into repository_fts(rowid, ${columns}) values (new.id, ${values('new')});
    end`).execute(db);
    await sql`insert into repository_fts(repository_fts) values ('rebuild')`.execute(db);
    return;
  }
  await sql`alter table repositories drop column if exists search_vector`.execute(db);
  await sql`alter table repositories add column search_vector tsvector generated always as (
    setweight(to_tsvector('simple', translate(name, '/-_.', '    ')), 'A') ||
    setweight(to_tsvector('simple', translate(project, '/-_.', '    ')), 'B') ||
    setweight(to_tsvector('simple', translate(labels, '/-_.', '    ')), 'B') ||
    setweight(to_tsvector('simple', short_description), 'B') ||
    setweight(to_tsvector('simple', description), 'C')) stored`.execute(db);
  await sql`create index repositories_search on repositories using gin (search_vector)`.execute(db);
}
