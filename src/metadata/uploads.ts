// Upload session rows. The state lives here (not in process memory) so an upload survives a
// restart and can continue on another instance (DESIGN.md, Scale-out).
import { IN_LIST_MAX, slices } from './batches.ts';
import { compiledOnce, compiledWrite } from './compiled.ts';
import type { Executor } from './executor.ts';

export interface UploadRow {
  readonly id: string;
  readonly repository_id: number;
  readonly size: number;
  readonly started_at: number;
  readonly updated_at: number;
  /** The running digest saved with `size` (registry/hash-states.ts); null when none was. */
  readonly hash_state: Uint8Array | null;
}

// Every push runs these (compiled once: compiled.ts).
const insertRow = compiledWrite((db: Executor, id: string, repositoryId: number, now: number) =>
  db.insertInto('uploads').values({ id, repository_id: repositoryId, size: 0, started_at: now, updated_at: now }));
const findRow = compiledOnce((db: Executor, id: string) => db.selectFrom('uploads').selectAll().where('id', '=', id));
const advanceRow = compiledWrite((db: Executor, id: string, expected: number, size: number, now: number, hashState: Uint8Array | null) =>
  db.updateTable('uploads').set({ size, updated_at: now, hash_state: hashState }).where('id', '=', id).where('size', '=', expected));
const deleteRow = compiledWrite((db: Executor, id: string) => db.deleteFrom('uploads').where('id', '=', id));

export async function insertUpload(db: Executor, id: string, repositoryId: number, now: number): Promise<void> {
  await insertRow(db, id, repositoryId, now);
}

export async function findUpload(db: Executor, id: string): Promise<UploadRow | undefined> {
  return findRow(db, id);
}

/**
 * Moves the offset from `expected` to `size`, with the running digest of those `size` bytes
 * (null when it is not saved); false when another writer moved it first.
 */
export async function advanceUpload(db: Executor, id: string, expected: number, size: number, now: number, hashState: Uint8Array | null = null): Promise<boolean> {
  return (await advanceRow(db, id, expected, size, now, hashState)) > 0;
}

/** The rows of these upload ids that exist. */
export async function findUploads(db: Executor, ids: readonly string[]): Promise<UploadRow[]> {
  const out: UploadRow[] = [];
  for (const batch of slices(ids, IN_LIST_MAX)) out.push(...(await db.selectFrom('uploads').selectAll().where('id', 'in', batch).execute()));
  return out;
}

export async function deleteUpload(db: Executor, id: string): Promise<void> {
  await deleteRow(db, id);
}

/** Uploads untouched since `before`, for the purge of abandoned sessions. */
export async function staleUploads(db: Executor, before: number, limit: number): Promise<string[]> {
  return (await db.selectFrom('uploads').select('id').where('updated_at', '<', before).limit(limit).execute()).map((r) => r.id);
}
