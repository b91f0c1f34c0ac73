// The search suite on PostgreSQL: the same behaviour from the tsvector column and its GIN index
// (migration 004) as from SQLite's FTS5 table.
import { createTestDatabase } from '../helpers/postgres.ts';
import { startBerth } from '../helpers/berth-process.ts';
import { ADMIN_PASSWORD } from './api-helpers.ts';
import { postgresRepoEditor } from './search-helpers.ts';
import { describeSearch } from './search-suite.ts';

describeSearch('PostgreSQL', async () => {
  const db = await createTestDatabase('berth_search');
  const server = await startBerth({
    auth: 'builtin',
    env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_LOG_LEVEL: 'info', BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url },
  });
  const editor = await postgresRepoEditor(db.url);
  return {
    server,
    editor,
    stop: async () => {
      await editor.close();
      await server.stop();
      await db.drop();
    },
  };
});
