// Migration 012-name-substrings on SQLite: repositories that exist before it are indexed by their
// short name, and the triggers keep the trigram index in step with inserts, renames and deletes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { BerthMigrations } from '../../../../src/metadata/migrations/index.ts';
import type { Database } from '../../../../src/metadata/schema.ts';

describe('migration 012-name-substrings (SQLite)', () => {
  it('indexes existing short names, then follows inserts, renames and deletes', async () => {
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(':memory:') }) });
    try {
      const migrator = new Migrator({ db, provider: new BerthMigrations({ dialect: 'sqlite' }) });
      assert.equal((await migrator.migrateTo('011-scan-package-keys')).error, undefined);
      const add = (name: string) => db.insertInto('repositories').values({ name, project: name.split('/')[0]!, created_at: 1, updated_at: 1 } as never).execute();
      for (const n of ['library/debian-rootfs', 'library/a/b', 'acme/app', 'libraryx/y']) await add(n);
      assert.equal((await migrator.migrateToLatest()).error, undefined);

      const indexed = async () => (await sql<{ name: string }>`select name from repository_name_grams order by name`.execute(db)).rows.map((r) => r.name);
      const found = async (part: string) => (await sql<{ name: string }>`select r.name from repositories r where r.id in (select rowid from repository_name_grams where repository_name_grams match ${`"${part}"`}) order by r.name`.execute(db)).rows.map((r) => r.name);
      assert.deepEqual(await indexed(), ['acme/app', 'debian-rootfs', 'library/a/b', 'libraryx/y'], 'short names: library/ dropped from single names only');
      assert.deepEqual(await found('ootfs'), ['library/debian-rootfs']);
      assert.deepEqual(await found('ibrar'), ['library/a/b', 'libraryx/y'], "library's own prefix is not part of a single name");

      await add('library/busybox');
      assert.deepEqual(await found('sybo'), ['library/busybox']);
      await db.updateTable('repositories').set({ name: 'team/toolbox' } as never).where('name', '=', 'library/busybox').execute();
      assert.deepEqual(await found('sybo'), []);
      assert.deepEqual(await found('olbo'), ['team/toolbox']);
      await db.deleteFrom('repositories').where('name', '=', 'team/toolbox').execute();
      assert.deepEqual(await found('olbo'), []);
      assert.deepEqual(await indexed(), ['acme/app', 'debian-rootfs', 'library/a/b', 'libraryx/y']);
    } finally {
      await db.destroy();
    }
  });
});
