// Opens the metadata database: SQLite (embedded, default) or PostgreSQL, and migrates it.
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { INVALIDATION_CHANNEL, localInvalidations, postgresInvalidations, type Invalidations } from './invalidations.ts';
import { ensurePrivateFile } from '../storage/private-files.ts';
import { BerthMigrations } from './migrations/index.ts';
import { withStatementCache } from './statement-cache.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface OpenOptions {
  dialect: Dialect;
  /** SQLite: a file path (or ':memory:'). PostgreSQL: a connection string. */
  location: string;
  /** PostgreSQL: listen for other instances' invalidations (default true). */
  invalidations?: boolean;
  onInvalidationError?: (error: unknown) => void;
}

export interface MetadataDb {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Tells the other instances to drop what they cached (LISTEN/NOTIFY on PostgreSQL). */
  readonly invalidations: Invalidations;
  close(): Promise<void>;
}

export async function openMetadata(options: OpenOptions): Promise<MetadataDb> {
  let db: Kysely<Database>;
  let listen: ((db: Kysely<Database>) => Promise<Invalidations>) | undefined;
  if (options.dialect === 'sqlite') {
    // The file holds the token signing key and password hashes: 0600 before SQLite opens it
    // (SQLite gives its -wal and -shm files the database file's mode).
    if (options.location !== ':memory:') ensurePrivateFile(options.location, [`${options.location}-wal`, `${options.location}-shm`]);
    const sqlite = new Sqlite(options.location);
    // WAL lets readers run while a push commits; NORMAL is durable across process crashes in WAL mode.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  } else {
    // Loaded only for PostgreSQL, so that embedded setups and the CLI do not pay for it.
    const { default: pg } = await import('pg');
    // int8 (bigint) columns hold sizes and times; they fit in a double, so parse them as numbers.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: options.location, max: 10 }) }) });
    listen = (kdb) => postgresInvalidations(pg, options.location, async (payload) => { await sql`select pg_notify(${INVALIDATION_CHANNEL}, ${payload})`.execute(kdb); }, options.onInvalidationError ?? (() => {}));
  }
  const migrator = new Migrator({ db, provider: new BerthMigrations({ dialect: options.dialect }) });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw new Error(`metadata migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const invalidations = options.invalidations === false || !listen ? localInvalidations() : await listen(db);
  return {
    db, dialect: options.dialect, invalidations,
    close: async () => {
      await invalidations.close();
      await db.destroy();
    },
  };
}
