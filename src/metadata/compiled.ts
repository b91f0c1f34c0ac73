// Hot reads compiled once. Kysely builds and compiles a query's SQL on every call; on a manifest
// GET that costs more than SQLite's run of the (cached) prepared statement: about 10% of Berth's
// CPU under load went to the builder and compiler. A shape built once per database handle, with
// each call's values swapped into its parameter list, skips both. The SQL text is the same, so
// the dialect's statement cache still hits.
import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Executor } from './executor.ts';

interface Shape<R> {
  readonly compiled: CompiledQuery<R>;
  /** For each parameter of the compiled query: the index of the argument it takes, or -1 (a constant). */
  readonly from: readonly number[];
}

type Build<A extends unknown[], R> = (db: Executor, ...args: A) => Compilable<R>;

/**
 * A query of its arguments only, compiled once per dialect (keyed by the handle's adapter, which
 * a transaction shares with its database; Berth adds no Kysely plugins, which would change the
 * SQL per handle). Every argument must be used as a plain value, never to pick SQL text.
 */
function prepare<A extends unknown[], R>(build: Build<A, R>): (db: Executor, args: A) => Promise<QueryResult<R>> {
  const shapes = new WeakMap<object, Shape<R>>();
  return (db, args) => {
    const key = db.getExecutor().adapter;
    let shape = shapes.get(key);
    if (!shape) {
      const marks = args.map((_, i) => `\u0000berth-arg-${i}\u0000`);
      const compiled = build(db, ...(marks as unknown as A)).compile();
      const from = compiled.parameters.map((p) => marks.indexOf(p as string));
      if (new Set(from.filter((i) => i >= 0)).size !== args.length) throw new Error('compiled query: every argument must be a query parameter');
      shape = { compiled, from };
      shapes.set(key, shape);
    }
    const { compiled, from } = shape;
    const parameters = from.map((i, k) => (i >= 0 ? args[i] : compiled.parameters[k]));
    return db.executeQuery<R>({ ...compiled, queryId: createQueryId(), parameters });
  };
}

/** A read compiled once; resolves to the first row, as executeTakeFirst does. */
export function compiledOnce<A extends unknown[], R>(build: Build<A, R>): (db: Executor, ...args: A) => Promise<R | undefined> {
  const run = prepare(build);
  return async (db, ...args) => (await run(db, args)).rows[0];
}

/** A write (insert, update, delete) compiled once; resolves to the number of rows it changed. */
export function compiledWrite<A extends unknown[]>(build: Build<A, unknown>): (db: Executor, ...args: A) => Promise<number> {
  const run = prepare(build);
  return async (db, ...args) => Number((await run(db, args)).numAffectedRows ?? 0);
}
