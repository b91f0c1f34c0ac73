// The token signing key, kept in the DB so every instance signs and verifies with the same key.
import type { Executor } from '../executor.ts';

export async function currentSigningKey(db: Executor): Promise<{ kid: string; alg: string; private_jwk: string } | undefined> {
  return db.selectFrom('signing_keys').select(['kid', 'alg', 'private_jwk']).orderBy('created_at', 'desc').executeTakeFirst();
}

/** Inserts a key unless another instance won the race; returns whether this one was stored. */
export async function insertSigningKey(db: Executor, kid: string, alg: string, privateJwk: string, now: number): Promise<void> {
  await db.insertInto('signing_keys').values({ kid, alg, private_jwk: privateJwk, created_at: now })
    .onConflict((oc) => oc.column('kid').doNothing()).execute();
}
