// better-sqlite3 compiles SQL on every prepare(); Kysely prepares each query it runs. Queries
// are built from a few fixed shapes, so caching the prepared statement by its SQL text removes
// that cost from every hot read (a manifest GET, a blob HEAD). Statements are only run with
// .all()/.run() by Kysely (synchronously), so one statement is never busy twice at once.
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

const MAX_STATEMENTS = 1000;

export function withStatementCache(db: SqliteDatabase): SqliteDatabase {
  const cache = new Map<string, Statement>();
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (sql: string) => {
          let stmt = cache.get(sql);
          if (!stmt) {
            if (cache.size >= MAX_STATEMENTS) cache.clear();
            stmt = target.prepare(sql);
            cache.set(sql, stmt);
          }
          return stmt;
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
