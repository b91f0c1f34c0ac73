// Search by part of a name (issue 16): `ootfs` finds debian-rootfs. A trigram index of each
// repository's short name, the name a client uses (debian-rootfs for library/debian-rootfs,
// acme/app otherwise), so that a substring of three characters or more is found without reading
// every row. features/search/dialects.ts queries it.
//
// - SQLite: an FTS5 table with the trigram tokenizer, kept in step by triggers in the same
//   transaction as the change (as migration 004's word index).
// - PostgreSQL: a generated column search_name and, when the pg_trgm extension is installed or
//   this database user may install it (it is a trusted extension since PostgreSQL 13: the CREATE
//   privilege on the database is enough), a GIN trigram index on it. Without pg_trgm, substring
//   search still works, by a sequential scan of repositories (docs/discovery.md says how to add
//   the index later).
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

/** The short name of a repository, in SQL (core/reference.ts shortRepositoryName). */
function shortName(column: string, dialect: 'sqlite' | 'postgres'): string {
  const find = dialect === 'sqlite' ? 'instr' : 'strpos';
  return `(case when substr(${column}, 1, 8) = 'library/' and ${find}(substr(${column}, 9), '/') = 0 then substr(${column}, 9) else ${column} end)`;
}

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  if (ctx.dialect === 'sqlite') {
    const short = (c: string) => sql.raw(shortName(c, 'sqlite'));
    await sql`create virtual table repository_name_grams using fts5(name, tokenize='trigram')`.execute(db);
    await sql`create trigger repository_name_grams_insert after insert on repositories begin
      insert into repository_name_grams(rowid, name) values (new.id, ${short('new.name')});
    end`.execute(db);
    await sql`create trigger repository_name_grams_delete after delete on repositories begin
      delete from repository_name_grams where rowid = old.id;
    end`.execute(db);
    await sql`create trigger repository_name_grams_update after update of name on repositories begin
      update repository_name_grams set name = ${short('new.name')} where rowid = new.id;
    end`.execute(db);
    await sql`insert into repository_name_grams(rowid, name) select id, ${short('name')} from repositories`.execute(db);
    return;
  }
  await sql`alter table repositories add column search_name text generated always as ${sql.raw(shortName('name', 'postgres'))} stored`.execute(db);
  // Migrations run in a transaction on PostgreSQL: a savepoint keeps a refusal (a permission, an
  // extension in a schema off the search path) from failing the migration; search then scans.
  await sql`savepoint name_trigrams`.execute(db);
  try {
    if (await trigramsAvailable(db)) await sql`create index repositories_name_trgm on repositories using gin (search_name gin_trgm_ops)`.execute(db);
    await sql`release savepoint name_trigrams`.execute(db);
  } catch {
    await sql`rollback to savepoint name_trigrams`.execute(db);
  }
}

/** Whether pg_trgm is installed, or installed now; false when this user may not install it. */
async function trigramsAvailable(db: Kysely<unknown>): Promise<boolean> {
  // "trusted" is read through to_jsonb: the column exists from PostgreSQL 13 on.
  const r = await sql<{ installed: boolean; available: boolean; superuser: boolean; trusted: boolean | null; may_create: boolean }>`select
      exists (select 1 from pg_extension where extname = 'pg_trgm') as installed,
      exists (select 1 from pg_available_extensions where name = 'pg_trgm') as available,
      coalesce((select rolsuper from pg_roles where rolname = current_user), false) as superuser,
      (select bool_or((to_jsonb(v) ->> 'trusted')::boolean) from pg_available_extension_versions v where v.name = 'pg_trgm') as trusted,
      has_database_privilege(current_database(), 'CREATE') as may_create`.execute(db);
  const facts = r.rows[0]!;
  if (facts.installed) return true;
  if (!facts.available || !(facts.superuser || (facts.trusted === true && facts.may_create))) return false;
  await sql`create extension if not exists pg_trgm`.execute(db);
  return true;
}
