// Hot reads compiled once. Kysely builds and compiles a query's SQL on every call; on a manifest
// GET that costs more than SQLite's run of the (cached) prepared statement: about 10% of Berth's
// CPU under load went to the builder and compiler. A shape built once per database handle, with
// each call's values swapped into its parameter list, skips both. The SQL text is the same, so
// the dialect's statement cache still hits; per-dialect SQL is kept apart by the handle.
import { createQueryId, type Compilable, type CompiledQuery } from 'kysely';
import type { Executor } from './executor.ts';

interface Shape<R> {
  readonly compiled: CompiledQuery<R>;
  /** For each parameter of the compiled query: the index of the argument it takes, or -1 (a constant). */
  readonly from: readonly number[];
}

/**
 * Wraps `build` (a query of its arguments only) so that it is compiled once per handle; returns
 * the first row, as executeTakeFirst does. Transactions are short-lived handles: they compile.
 * Every argument must be used as a plain value (in a where or a join), never to pick SQL text.
 */
export function compiledOnce<A extends unknown[], R>(build: (db: Executor, ...args: A) => Compilable<R>): (db: Executor, ...args: A) => Promise<R | undefined> {
  const shapes = new WeakMap<Executor, Shape<R>>();
  const shapeFor = (db: Executor, arity: number): Shape<R> => {
    let shape = shapes.get(db);
    if (!shape) {
      const marks = Array.from({ length: arity }, (_, i) => `\u0000berth-arg-${i}\u0000`);
      const compiled = build(db, ...(marks as unknown as A)).compile();
      const from = compiled.parameters.map((p) => marks.indexOf(p as string));
      if (new Set(from.filter((i) => i >= 0)).size !== arity) throw new Error('compiledOnce: every argument must be a query parameter');
      shape = { compiled, from };
      if (db.isTransaction) return shape;
      shapes.set(db, shape);
    }
    return shape;
  };
  return async (db: Executor, ...args: A): Promise<R | undefined> => {
    const { compiled, from } = shapeFor(db, args.length);
    const parameters = from.map((i, k) => (i >= 0 ? args[i] : compiled.parameters[k]));
    const result = await db.executeQuery<R>({ ...compiled, queryId: createQueryId(), parameters });
    return result.rows[0];
  };
}
