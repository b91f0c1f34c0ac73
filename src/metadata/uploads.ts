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
  /** The request writing the upload now, until writer_until; null when none is. */
  readonly writer: string | null;
  readonly writer_until: number | null;
}

// Every push runs these (compiled once: compiled.ts).
const insertRow = compiledWrite((db: Executor, id: string, repositoryId: number, now: number) =>
  db.insertInto('uploads').values({ id, repository_id: repositoryId, size: 0, started_at: now, updated_at: now }));
const findRow = compiledOnce((db: Executor, id: string) => db.selectFrom('uploads').selectAll().where('id', '=', id));
const advanceRow = compiledWrite((db: Executor, id: string, expected: number, size: number, now: number, hashState: Uint8Array | null, writer: string) =>
  db.updateTable('uploads').set({ size, updated_at: now, hash_state: hashState, writer: null, writer_until: null })
    .where('id', '=', id).where('size', '=', expected).where('writer', '=', writer));
const claimRow = compiledWrite((db: Executor, id: string, offset: number, writer: string, now: number, until: number) =>
  db.updateTable('uploads').set({ writer, writer_until: until })
    .where('id', '=', id).where('size', '=', offset)
    .where((eb) => eb.or([eb('writer', 'is', null), eb('writer', '=', writer), eb('writer_until', '<', now)])));
const renewRow = compiledWrite((db: Executor, id: string, writer: string, until: number) =>
  db.updateTable('uploads').set({ writer_until: until }).where('id', '=', id).where('writer', '=', writer));
const releaseRow = compiledWrite((db: Executor, id: string, writer: string) =>
  db.updateTable('uploads').set({ writer: null, writer_until: null }).where('id', '=', id).where('writer', '=', writer));
const deleteRow = compiledWrite((db: Executor, id: string) => db.deleteFrom('uploads').where('id', '=', id));

export async function insertUpload(db: Executor, id: string, repositoryId: number, now: number): Promise<void> {
  await insertRow(db, id, repositoryId, now);
}

export async function findUpload(db: Executor, id: string): Promise<UploadRow | undefined> {
  return findRow(db, id);
}

/**
 * Moves the offset from `expected` to `size`, with the running digest of those `size` bytes
 * (null when it is not saved), and ends `writer`'s lease; false when `writer` no longer holds it.
 */
export async function advanceUpload(db: Executor, id: string, expected: number, size: number, now: number, hashState: Uint8Array | null, writer: string): Promise<boolean> {
  return (await advanceRow(db, id, expected, size, now, hashState, writer)) > 0;
}

/**
 * Takes the upload's writer lease until `until`, if its offset is still `offset` and no other
 * writer holds a live lease (one whose holder died expires at its writer_until). A lease of
 * `writer`'s own is taken over: one instance runs one request per upload at a time, so its own
 * lease is left over from a request that could not release it (a full disk, a crash before a
 * restart under the same name). False otherwise.
 */
export async function claimUpload(db: Executor, id: string, offset: number, writer: string, now: number, until: number): Promise<boolean> {
  return (await claimRow(db, id, offset, writer, now, until)) > 0;
}

/** Extends `writer`'s lease; false when it lost it (it expired and another writer took it). */
export async function renewUpload(db: Executor, id: string, writer: string, until: number): Promise<boolean> {
  return (await renewRow(db, id, writer, until)) > 0;
}

/** Ends `writer`'s lease without moving the offset (the write failed). */
export async function releaseUpload(db: Executor, id: string, writer: string): Promise<void> {
  await releaseRow(db, id, writer);
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
