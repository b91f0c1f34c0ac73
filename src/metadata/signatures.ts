// Rows of the registry signature API extension (image_signatures).
import type { Executor } from './executor.ts';

export interface ImageSignatureRow {
  readonly name: string;
  readonly content: string;
  readonly created_at: number;
  readonly created_by: string | null;
}

export async function signaturesOf(db: Executor, repositoryId: number, digest: string): Promise<ImageSignatureRow[]> {
  return db.selectFrom('image_signatures').select(['name', 'content', 'created_at', 'created_by'])
    .where('repository_id', '=', repositoryId).where('digest', '=', digest).orderBy('created_at').orderBy('name').execute();
}

/** Only the names: what a trust verdict's stamp needs on every gated pull, without the contents. */
export async function signatureNamesOf(db: Executor, repositoryId: number, digest: string): Promise<string[]> {
  const rows = await db.selectFrom('image_signatures').select('name').where('repository_id', '=', repositoryId).where('digest', '=', digest).orderBy('name').execute();
  return rows.map((r) => r.name);
}

export async function countSignatures(db: Executor, repositoryId: number, digest: string): Promise<number> {
  const r = await db.selectFrom('image_signatures').select((eb) => eb.fn.countAll<number>().as('n')).where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Adds a signature; false when one of that name is there already. */
export async function insertSignature(db: Executor, repositoryId: number, digest: string, s: { name: string; content: string; createdBy: string | null }, now: number): Promise<boolean> {
  const r = await db.insertInto('image_signatures').values({ repository_id: repositoryId, digest, name: s.name, content: s.content, created_at: now, created_by: s.createdBy })
    .onConflict((oc) => oc.columns(['repository_id', 'digest', 'name']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function deleteSignaturesOf(db: Executor, repositoryId: number, digest: string): Promise<void> {
  await db.deleteFrom('image_signatures').where('repository_id', '=', repositoryId).where('digest', '=', digest).execute();
}
