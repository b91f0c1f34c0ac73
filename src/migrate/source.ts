// The source of `berth migrate --to`: an embedded registry (SQLite plus the filesystem driver),
// opened exclusively. SQLite's exclusive locking mode takes the database file for this process
// alone: a `berth serve` (or any other berth command) that has it open makes the open fail with
// SQLITE_BUSY, which is reported as "stop the server first", and while the migration runs no
// server can start on it or change it. The lock goes with the process, also after a SIGKILL.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Config } from '../core/config.ts';
import { BerthMigrations } from '../metadata/migrations/index.ts';
import type { StorageDriver } from '../storage/driver.ts';
import { FilesystemDriver } from '../storage/filesystem.ts';

export class MigrateError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'MigrateError';
  }
}

export interface SourceRegistry {
  readonly dataDir: string;
  readonly dbFile: string;
  readonly sqlite: Sqlite.Database;
  readonly storage: StorageDriver;
  /** Stable for one registry: its data directory and its token signing keys. */
  readonly id: string;
  /** Every table of the schema (virtual tables and their shadows included). */
  tables(): string[];
  /** FTS5 and other virtual tables. */
  virtualTables(): string[];
  /** Table -> the tables its foreign keys reference. */
  references(): Map<string, string[]>;
  /** The migrations applied, by name. */
  migrations(): string[];
  count(table: string): number;
  columns(table: string): string[];
  /** Rows in storage order, a batch at a time. */
  rows(table: string, batch: number): Generator<Record<string, unknown>[]>;
  /** The digest and size of every blob and manifest the rows name (the bytes to copy). */
  blobs(): { digest: string; size: number }[];
  close(): void;
}

export async function openSource(config: Config): Promise<SourceRegistry> {
  if (config.database.dialect !== 'sqlite' || config.storage.driver !== 'filesystem') {
    throw new MigrateError(`the source must be an embedded registry (database.dialect sqlite, storage.driver filesystem); this configuration has ${config.database.dialect} and ${config.storage.driver}`,
      'Run berth migrate with the --data DIR (or --config FILE) of the embedded registry, and --to the new configuration.');
  }
  const dataDir = resolve(config.storage.dataDir);
  const dbFile = join(dataDir, 'berth.db');
  if (!existsSync(dbFile)) throw new MigrateError(`no Berth registry in ${dataDir} (no berth.db)`, 'Give the data directory of the registry to copy with --data DIR, as for berth serve.');
  const sqlite = new Sqlite(dbFile, { fileMustExist: true });
  try {
    sqlite.pragma('busy_timeout = 2000');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('locking_mode = EXCLUSIVE');
    // Takes the exclusive lock now, and keeps it until close (exclusive locking mode).
    sqlite.exec('begin exclusive; commit');
  } catch (error) {
    sqlite.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new MigrateError(`the source registry ${dataDir} is in use: a berth serve (or another berth command) has its database open`,
        'Stop the server on that data directory first (the copy must see a registry that does not change), then run berth migrate again.');
    }
    throw error;
  }
  // The same schema version as the target: apply the migrations this Berth has (as berth serve would).
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error } = await new Migrator({ db: kysely, provider: new BerthMigrations({ dialect: 'sqlite' }) }).migrateToLatest();
  if (error) {
    sqlite.close();
    throw new Error(`source schema migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const storage = new FilesystemDriver(join(dataDir, 'storage'));
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const keys = (() => {
    try {
      return (sqlite.prepare('select kid from signing_keys order by kid').all() as { kid: string }[]).map((r) => r.kid);
    } catch {
      return [];
    }
  })();
  const id = createHash('sha256').update(JSON.stringify([dataDir, keys])).digest('hex').slice(0, 32);
  const master = () => sqlite.prepare(`select name, type, sql from sqlite_master where type = 'table'`).all() as { name: string; sql: string | null }[];
  return {
    dataDir, dbFile, sqlite, storage, id,
    tables: () => master().map((t) => t.name),
    virtualTables: () => master().filter((t) => /^\s*create\s+virtual\s+table/i.test(t.sql ?? '')).map((t) => t.name),
    references() {
      const out = new Map<string, string[]>();
      for (const { name } of master()) {
        try {
          out.set(name, (sqlite.prepare(`select "table" as parent from pragma_foreign_key_list(?)`).all(name) as { parent: string }[]).map((r) => r.parent));
        } catch {
          out.set(name, []);
        }
      }
      return out;
    },
    migrations: () => (sqlite.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name),
    count: (table) => (sqlite.prepare(`select count(*) as n from ${q(table)}`).get() as { n: number }).n,
    columns: (table) => (sqlite.prepare('select name from pragma_table_info(?) order by cid').all(table) as { name: string }[]).map((r) => r.name),
    *rows(table, batch) {
      let rows: Record<string, unknown>[] = [];
      for (const row of sqlite.prepare(`select * from ${q(table)}`).iterate() as IterableIterator<Record<string, unknown>>) {
        rows.push(row);
        if (rows.length >= batch) {
          yield rows;
          rows = [];
        }
      }
      if (rows.length) yield rows;
    },
    blobs: () => sqlite.prepare('select digest, max(size) as size from (select digest, size from blobs union all select digest, size from manifests) group by digest order by digest').all() as { digest: string; size: number }[],
    close: () => sqlite.close(),
  };
}
