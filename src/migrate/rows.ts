// Copying the metadata rows: every table of the plan, parents first, in ONE transaction on the
// target, so that an interrupted run leaves no row behind (a resumed run starts the rows again)
// and the target's database never names bytes it does not hold (the blobs are copied first).
// Identity sequences are moved past the copied ids in the same transaction, and each table's
// count is compared with the source's before the commit.
import type { Kysely } from 'kysely';
import type { SourceRegistry } from './source.ts';
import { MigrateError } from './source.ts';
import { advanceSequences, type TargetRegistry } from './target.ts';

export interface RowCopyResult {
  /** Rows copied per table, in copy order. */
  readonly tables: { table: string; rows: number }[];
  readonly sequences: number;
  readonly ms: number;
}

/** Rows per INSERT: PostgreSQL takes at most 65535 parameters per statement. */
export function batchSize(columns: number): number {
  return Math.max(1, Math.min(500, Math.floor(30_000 / Math.max(1, columns))));
}

export async function copyRows(source: SourceRegistry, target: TargetRegistry, tables: readonly string[], onProgress: (done: number, table: string) => void): Promise<RowCopyResult> {
  const started = Date.now();
  // Columns first (outside the transaction): the source's, all of which the target must accept.
  const plans: { table: string; columns: string[]; expected: number }[] = [];
  for (const table of tables) {
    const writable = new Set(await target.writableColumns(table));
    const columns = source.columns(table);
    const refused = columns.filter((c) => !writable.has(c));
    if (refused.length) {
      throw new MigrateError(`table ${table}: the target has no writable column ${refused.join(', ')}`, 'The two schemas differ; run the same Berth version on both sides.');
    }
    plans.push({ table, columns, expected: source.count(table) });
  }
  let done = 0;
  const out: { table: string; rows: number }[] = [];
  let sequences = 0;
  const copyAll = () => target.db.transaction().execute(async (trx) => {
    const t = trx as unknown as Kysely<Record<string, Record<string, unknown>>>;
    for (const { table, columns, expected } of plans) {
      let rows = 0;
      onProgress(done, table);
      for (const batch of source.rows(table, batchSize(columns.length))) {
        const values = batch.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null])));
        await t.insertInto(table).values(values).execute();
        rows += batch.length;
        done += batch.length;
        onProgress(done, table);
      }
      const landed = await target.count(table, t);
      if (landed !== expected || rows !== expected) {
        throw new MigrateError(`table ${table}: ${expected} rows in the source, ${rows} read and ${landed} in the target after the copy`, 'Nothing was committed. Run berth migrate again; if it happens again, report it.');
      }
      out.push({ table, rows });
    }
    sequences = await advanceSequences(t, target.metadata.dialect);
  });
  try {
    await copyAll();
  } catch (error) {
    // A unique key taken: something wrote to the target's database while the copy ran.
    if ((error as { code?: string }).code === '23505' || (error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new MigrateError(`the target's database got rows of its own while the copy ran (${(error as Error).message})`,
        'Is a berth serve (or another berth command) running on the target configuration? Stop it, empty the target database, and run berth migrate again; the blobs already copied are verified and skipped.');
    }
    throw error;
  }
  return { tables: out, sequences, ms: Date.now() - started };
}
