// The search suite on PostgreSQL: the same behaviour from the tsvector column and its GIN index
// (migration 004) and the trigram index of names (migration 012) as from SQLite's FTS5 tables.
// Twice: as a superuser, which installs pg_trgm and indexes names; and as a user who may not
// install extensions (no CREATE on the database), where migration 012 leaves the index out and
// substrings are found by a sequential scan, with the same answers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { startBerth } from '../helpers/berth-process.ts';
import { ADMIN_PASSWORD } from './api-helpers.ts';
import { postgresRepoEditor } from './search-helpers.ts';
import { describeSearch } from './search-suite.ts';

async function trigramFacts(url: string): Promise<{ extension: boolean; index: boolean }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const ext = await client.query("select 1 from pg_extension where extname = 'pg_trgm'");
    const idx = await client.query("select 1 from pg_indexes where indexname = 'repositories_name_trgm'");
    return { extension: ext.rowCount === 1, index: idx.rowCount === 1 };
  } finally {
    await client.end();
  }
}

async function start(db: TestDatabase, url: string, expected: { extension: boolean; index: boolean }, cleanup: () => Promise<void>) {
  const server = await startBerth({
    auth: 'builtin',
    env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_LOG_LEVEL: 'info', BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: url },
  });
  assert.deepEqual(await trigramFacts(db.url), expected, 'pg_trgm and the name index after the migrations');
  const editor = await postgresRepoEditor(url);
  return {
    server,
    editor,
    stop: async () => {
      await editor.close();
      await server.stop();
      await cleanup();
    },
  };
}

describeSearch('PostgreSQL', async () => {
  const db = await createTestDatabase('berth_search');
  return start(db, db.url, { extension: true, index: true }, () => db.drop());
});

describeSearch('PostgreSQL, a user who may not install pg_trgm', async () => {
  const db = await createTestDatabase('berth_search_plain');
  // A login that owns nothing and may create tables in public, but not extensions.
  const role = `berth_plain_${randomBytes(4).toString('hex')}`;
  await db.admin.query(`create role ${role} login`);
  await db.admin.query(`revoke create on database ${db.name} from public`);
  const owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  await owner.query(`grant usage, create on schema public to ${role}`);
  await owner.end();
  const url = new URL(db.url);
  url.username = role;
  return start(db, url.toString(), { extension: false, index: false }, async () => {
    await db.drop().catch(() => undefined);
    const admin = new pg.Client({ connectionString: process.env.BERTH_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  });
});
