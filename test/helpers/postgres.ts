// A fresh PostgreSQL database for one test file, on the server BERTH_TEST_PG_URL names (the
// machine's local PostgreSQL by default). Unreachable is a failure that says how to start it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_SERVER_URL = process.env.BERTH_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection string of the new database. */
  readonly url: string;
  readonly name: string;
  /** A client on the server's maintenance database, for checks. */
  readonly admin: pg.Client;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: PG_SERVER_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${PG_SERVER_URL} (${(error as Error).message}). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`);
  }
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    admin,
    async drop() {
      await dropDatabase(admin, name).catch(() => undefined);
      await admin.end();
    },
  };
}

/**
 * Drops a test database once the connections this process closed have really gone. pg's
 * Pool.end() resolves while its sockets are still closing; forcing the drop at that instant
 * terminates those backends, and the dying client's error event has no listener left, so it
 * surfaces as an uncaught exception in the test. Wait (bounded) for them, then force the rest.
 */
export async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const r = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
    if ((r.rows[0] as { n: number }).n === 0) break;
    await new Promise((done) => setTimeout(done, 25));
  }
  await admin.query(`drop database if exists ${name} with (force)`);
}
