// Project rows and memberships.
import type { Executor } from '../executor.ts';
import type { Role, Visibility } from '../schema.ts';

export interface ProjectRow {
  readonly id: number;
  readonly name: string;
  readonly visibility: Visibility;
  readonly description: string;
  readonly owner_user_id: number | null;
  readonly created_at: number;
  /** Trusted content, set by administrators: Verified Publisher and Sponsored OSS (0 or 1). */
  readonly verified: number;
  readonly sponsored: number;
}

export interface MemberRow {
  readonly user_id: number;
  readonly name: string;
  readonly role: Role;
  readonly created_at: number;
}

const COLUMNS = ['id', 'name', 'visibility', 'description', 'owner_user_id', 'created_at', 'verified', 'sponsored'] as const;

export async function findProject(db: Executor, name: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').select(COLUMNS).where('name', '=', name).executeTakeFirst();
}

export async function insertProject(db: Executor, p: { name: string; visibility: Visibility; description?: string; ownerUserId?: number }, now: number): Promise<ProjectRow> {
  await db.insertInto('projects').values({
    name: p.name, visibility: p.visibility, description: p.description ?? '', owner_user_id: p.ownerUserId ?? null, created_at: now, updated_at: now,
  }).execute();
  return (await findProject(db, p.name))!;
}

export async function updateProject(db: Executor, id: number, changes: { visibility?: Visibility; description?: string; verified?: number; sponsored?: number }, now: number): Promise<void> {
  await db.updateTable('projects').set({ ...changes, updated_at: now }).where('id', '=', id).execute();
}

export async function deleteProject(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('projects').where('id', '=', id).execute();
}

export async function listProjects(db: Executor): Promise<ProjectRow[]> {
  return db.selectFrom('projects').select(COLUMNS).orderBy('name').execute();
}

export async function memberRole(db: Executor, projectId: number, userId: number): Promise<Role | undefined> {
  const row = await db.selectFrom('project_members').select('role').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role;
}

export async function setMember(db: Executor, projectId: number, userId: number, role: Role, now: number): Promise<void> {
  await db.insertInto('project_members').values({ project_id: projectId, user_id: userId, role, created_at: now })
    .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}

export async function removeMember(db: Executor, projectId: number, userId: number): Promise<boolean> {
  const r = await db.deleteFrom('project_members').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listMembers(db: Executor, projectId: number): Promise<MemberRow[]> {
  return db.selectFrom('project_members as m').innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.name', 'm.role', 'm.created_at'])
    .where('m.project_id', '=', projectId).orderBy('u.name').execute();
}

/** Projects a user belongs to, with the role. */
export async function projectsOfUser(db: Executor, userId: number): Promise<{ name: string; role: Role }[]> {
  return db.selectFrom('project_members as m').innerJoin('projects as p', 'p.id', 'm.project_id')
    .select(['p.name', 'm.role']).where('m.user_id', '=', userId).orderBy('p.name').execute();
}
