// Runs the metadata contract on PostgreSQL. The server comes from BERTH_TEST_PG_URL; each run
// creates a fresh database berth_test_<random> on it and drops it afterwards. An unreachable
// server is a failure that says how to start one, never a skip (DESIGN.md, Tests).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openMetadata } from '../../src/metadata/db.ts';
import { dropDatabase } from '../helpers/postgres.ts';
import { metadataContract } from './metadata.suite.ts';

const serverUrl = process.env.BERTH_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${serverUrl} (BERTH_TEST_PG_URL): ${(error as Error).message}. ` +
      'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

metadataContract('postgres', async () => {
  const name = `berth_test_${randomBytes(6).toString('hex')}`;
  await admin(async (c) => {
    // A locale-aware default collation (ICU en-US), so a name or tag column that forgot
    // COLLATE "C" sorts differently from SQLite and the contract catches it. Servers built
    // without ICU get the server default.
    try {
      await c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
    } catch {
      await c.query(`CREATE DATABASE ${name}`);
    }
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    const meta = await openMetadata({ dialect: 'postgres', location: url.toString() });
    return {
      meta,
      cleanup: async () => {
        await meta.close();
        await admin((c) => dropDatabase(c, name));
      },
    };
  } catch (error) {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    throw error;
  }
});
