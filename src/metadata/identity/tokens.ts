// Personal access token rows.
import type { Executor } from '../executor.ts';

export interface AccessTokenRow {
  readonly id: number;
  readonly user_id: number;
  readonly name: string;
  readonly secret_hash: string;
  readonly actions: string;
  readonly projects: string;
  readonly expires_at: number | null;
  readonly last_used_at: number | null;
  readonly created_at: number;
}

const COLUMNS = ['id', 'user_id', 'name', 'secret_hash', 'actions', 'projects', 'expires_at', 'last_used_at', 'created_at'] as const;

export async function insertAccessToken(db: Executor, t: { userId: number; name: string; secretHash: string; actions: string; projects: string; expiresAt: number | null }, now: number): Promise<number> {
  const r = await db.insertInto('access_tokens').values({
    user_id: t.userId, name: t.name, secret_hash: t.secretHash, actions: t.actions, projects: t.projects, expires_at: t.expiresAt, last_used_at: null, created_at: now,
  }).returning('id').executeTakeFirstOrThrow();
  return Number(r.id);
}

export async function findAccessToken(db: Executor, id: number): Promise<AccessTokenRow | undefined> {
  return db.selectFrom('access_tokens').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function listAccessTokens(db: Executor, userId: number): Promise<AccessTokenRow[]> {
  return db.selectFrom('access_tokens').select(COLUMNS).where('user_id', '=', userId).orderBy('id').execute();
}

export async function deleteAccessToken(db: Executor, userId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('access_tokens').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function touchAccessToken(db: Executor, id: number, now: number): Promise<void> {
  await db.updateTable('access_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}
