// The target of `berth migrate --to`: the registry a berth configuration describes (normally
// PostgreSQL plus S3), opened the way berth serve opens it, so its schema is migrated to the
// same version as the source's. It must not be served while the copy runs.
import { resolve, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../core/config.ts';
import { openMetadataFor, openStorageFor } from '../http/stores.ts';
import type { MetadataDb } from '../metadata/db.ts';
import type { StorageDriver } from '../storage/driver.ts';

export interface TargetRegistry {
  readonly metadata: MetadataDb;
  readonly db: Kysely<Record<string, Record<string, unknown>>>;
  readonly storage: StorageDriver;
  /** For messages: where the storage and the database are (no secrets). */
  readonly describeStorage: string;
  readonly describeDatabase: string;
  /** Where a blob's bytes are, for a person to find them (an s3:// URL or a file path). */
  locate(path: string): string;
  tables(): Promise<string[]>;
  /** Columns that can be written (generated columns left out). */
  writableColumns(table: string): Promise<string[]>;
  migrations(): Promise<string[]>;
  count(table: string, db?: Kysely<Record<string, Record<string, unknown>>>): Promise<number>;
  close(): Promise<void>;
}

/** A connection string without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(database.url)';
  }
}

export async function openTarget(config: Config): Promise<TargetRegistry> {
  const metadata = await openMetadataFor(config);
  const storage = openStorageFor(config);
  const db = metadata.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const s3 = config.storage.s3;
  const describeStorage = config.storage.driver === 's3'
    ? `s3://${s3.bucket}/${s3.prefix}${s3.endpoint ? ` at ${s3.endpoint}` : ''}`
    : join(resolve(config.storage.dataDir), 'storage');
  const describeDatabase = metadata.dialect === 'postgres' ? `PostgreSQL ${redactUrl(config.database.url)}` : `SQLite ${join(resolve(config.storage.dataDir), 'berth.db')}`;
  const pg = metadata.dialect === 'postgres';
  return {
    metadata, db, storage, describeStorage, describeDatabase,
    locate: (path) => (config.storage.driver === 's3' ? `s3://${s3.bucket}/${s3.prefix}${path}` : join(resolve(config.storage.dataDir), 'storage', path)),
    async tables() {
      if (pg) {
        const r = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
        return r.rows.map((x) => x.name);
      }
      const r = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db);
      return r.rows.map((x) => x.name);
    },
    async writableColumns(table) {
      if (pg) {
        const r = await sql<{ name: string }>`select column_name as name from information_schema.columns
          where table_schema = current_schema() and table_name = ${table} and is_generated = 'NEVER' order by ordinal_position`.execute(db);
        return r.rows.map((x) => x.name);
      }
      // table_xinfo: hidden 0 is an ordinary column; 2 and 3 are generated.
      const r = await sql<{ name: string; hidden: number }>`select name, hidden from pragma_table_xinfo(${table})`.execute(db);
      return r.rows.filter((x) => x.hidden === 0).map((x) => x.name);
    },
    async migrations() {
      const r = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
      return r.rows.map((x) => x.name);
    },
    async count(table, on = db) {
      const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(on);
      return Number(r.rows[0]!.n);
    },
    async close() {
      await storage.close?.();
      await metadata.close();
    },
  };
}

/**
 * PostgreSQL: moves every serial (identity) sequence past the largest id now in its table, so
 * that the next row the target inserts does not collide with a copied id. Returns how many
 * sequences were set. SQLite keeps AUTOINCREMENT counters itself (sqlite_sequence follows
 * explicit ids).
 */
export async function advanceSequences(db: Kysely<Record<string, Record<string, unknown>>>, dialect: 'sqlite' | 'postgres'): Promise<number> {
  if (dialect !== 'postgres') return 0;
  const serials = await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and (column_default like 'nextval(%' or is_identity = 'YES')`.execute(db);
  for (const { table_name: t, column_name: c } of serials.rows) {
    const seq = await sql<{ s: string | null }>`select pg_get_serial_sequence(${`"${t.replaceAll('"', '""')}"`}, ${c}) as s`.execute(db);
    const name = seq.rows[0]?.s;
    if (!name) continue;
    // setval(seq, max + 1, false): the next nextval returns max + 1 (1 for an empty table).
    await sql`select setval(${name}::regclass, coalesce((select max(${sql.ref(c)}) from ${sql.table(t)}), 0) + 1, false)`.execute(db);
  }
  return serials.rows.length;
}
