// User rows.
import type { Executor } from '../executor.ts';

export interface UserRow {
  readonly id: number;
  readonly name: string;
  readonly password_hash: string;
  readonly is_admin: number;
  readonly disabled: number;
  readonly created_at: number;
}

const COLUMNS = ['id', 'name', 'password_hash', 'is_admin', 'disabled', 'created_at'] as const;

export async function findUserByName(db: Executor, name: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(COLUMNS).where('name', '=', name).executeTakeFirst();
}

export async function findUserById(db: Executor, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function insertUser(db: Executor, name: string, passwordHash: string, admin: boolean, now: number): Promise<number> {
  await db.insertInto('users').values({ name, password_hash: passwordHash, is_admin: admin ? 1 : 0, disabled: 0, created_at: now, updated_at: now }).execute();
  const row = await findUserByName(db, name);
  return row!.id;
}

export async function updateUser(db: Executor, id: number, changes: { password_hash?: string; is_admin?: number; disabled?: number }, now: number): Promise<void> {
  await db.updateTable('users').set({ ...changes, updated_at: now }).where('id', '=', id).execute();
}

export async function deleteUser(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}

export async function listUsers(db: Executor): Promise<UserRow[]> {
  return db.selectFrom('users').select(COLUMNS).orderBy('name').execute();
}

export async function countUsers(db: Executor): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Administrators who can sign in (not disabled). */
export async function countAdmins(db: Executor): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('is_admin', '=', 1).where('disabled', '=', 0).executeTakeFirst();
  return Number(row?.n ?? 0);
}
