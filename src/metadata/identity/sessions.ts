// Web UI sessions: rows keyed by the SHA-256 (hex) of the cookie's secret, never the secret.
import type { Executor } from '../executor.ts';

export interface SessionRow {
  readonly id_hash: string;
  readonly user_id: number;
  readonly last_seen_at: number;
  readonly expires_at: number;
  readonly user_name: string;
  readonly is_admin: number;
  readonly disabled: number;
  /** The user's password hash, only to tell provider users (external$...) apart. */
  readonly password_hash: string;
}

export async function insertSession(db: Executor, s: { idHash: string; userId: number; now: number; expiresAt: number }): Promise<void> {
  await db.insertInto('sessions').values({ id_hash: s.idHash, user_id: s.userId, created_at: s.now, last_seen_at: s.now, expires_at: s.expiresAt }).execute();
}

/** The session with its user, in one query. */
export async function findSession(db: Executor, idHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id_hash', 's.user_id', 's.last_seen_at', 's.expires_at', 'u.name as user_name', 'u.is_admin', 'u.disabled', 'u.password_hash'])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
}

export async function touchSession(db: Executor, idHash: string, now: number, expiresAt: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now, expires_at: expiresAt }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Executor, idHash: string): Promise<boolean> {
  const r = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Ends every session of a user, but `exceptHash` (the session making the change) if given. */
export async function deleteSessionsOfUser(db: Executor, userId: number, exceptHash?: string): Promise<number> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptHash !== undefined) q = q.where('id_hash', '!=', exceptHash);
  return Number((await q.executeTakeFirst()).numDeletedRows);
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: Executor, now: number): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
