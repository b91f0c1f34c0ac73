// Statements whose size grows with their input (a manifest's layer rows, an IN list of digests)
// are split into batches, so any manifest under the size limit fits in one bound-parameter limit:
// SQLite allows 32,766 variables per statement and PostgreSQL 65,535.

/** Bound parameters per statement we allow ourselves, well under both dialects' limits. */
export const MAX_PARAMETERS = 30_000;

/** Splits `items` into slices of at most `size`. */
export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows per INSERT for a table with `columns` parameters per row. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMETERS / columns));
}

/** Values per IN list (the other conditions of the statement take a few more). */
export const IN_LIST_MAX = 10_000;
