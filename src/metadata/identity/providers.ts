// Rows of identity providers (migration 016): a user's link to their provider, group mappings,
// and the memberships mappings made.
import type { Executor } from '../executor.ts';
import type { Role } from '../schema.ts';

export interface UserIdentityRow {
  readonly user_id: number;
  readonly provider: string;
  readonly subject: string;
  readonly email: string | null;
  readonly display_name: string | null;
  readonly admin_from_mapping: number;
  readonly groups: string;
  readonly refresh_token: string | null;
  readonly cli_secret_hash: string | null;
  readonly checked_at: number;
}

const IDENTITY = ['user_id', 'provider', 'subject', 'email', 'display_name', 'admin_from_mapping', 'groups', 'refresh_token', 'cli_secret_hash', 'checked_at'] as const;

export async function findIdentityOfUser(db: Executor, userId: number): Promise<UserIdentityRow | undefined> {
  return db.selectFrom('user_identities').select(IDENTITY).where('user_id', '=', userId).executeTakeFirst();
}

export async function findIdentityBySubject(db: Executor, provider: string, subject: string): Promise<UserIdentityRow | undefined> {
  return db.selectFrom('user_identities').select(IDENTITY).where('provider', '=', provider).where('subject', '=', subject).executeTakeFirst();
}

export async function insertIdentity(db: Executor, row: { userId: number; provider: string; subject: string; email?: string; displayName?: string; now: number }): Promise<void> {
  await db.insertInto('user_identities').values({
    user_id: row.userId, provider: row.provider, subject: row.subject, email: row.email ?? null, display_name: row.displayName ?? null,
    checked_at: row.now, created_at: row.now,
  }).execute();
}

export async function updateIdentity(db: Executor, userId: number, changes: { email?: string | null; display_name?: string | null; admin_from_mapping?: number; groups?: string; checked_at?: number; refresh_token?: string | null; cli_secret_hash?: string | null }): Promise<void> {
  if (!Object.keys(changes).length) return;
  await db.updateTable('user_identities').set(changes).where('user_id', '=', userId).execute();
}

export interface GroupMappingRow {
  readonly id: number;
  readonly provider: string;
  readonly group_name: string;
  readonly project_id: number | null;
  readonly project: string | null;
  readonly role: string;
  readonly created_at: number;
  readonly created_by: string;
}

function mappingQuery(db: Executor) {
  return db.selectFrom('group_mappings as g').leftJoin('projects as p', 'p.id', 'g.project_id')
    .select(['g.id', 'g.provider', 'g.group_name', 'g.project_id', 'p.name as project', 'g.role', 'g.created_at', 'g.created_by']);
}

/** Every mapping of the provider for any of these groups. */
export async function mappingsForGroups(db: Executor, provider: string, groups: readonly string[]): Promise<GroupMappingRow[]> {
  if (!groups.length) return [];
  return mappingQuery(db).where('g.provider', '=', provider).where('g.group_name', 'in', [...groups]).execute();
}

/** A project's mappings, or (project undefined) every mapping. */
export async function listMappings(db: Executor, projectId?: number | null): Promise<GroupMappingRow[]> {
  let q = mappingQuery(db);
  if (projectId === null) q = q.where('g.project_id', 'is', null);
  else if (projectId !== undefined) q = q.where('g.project_id', '=', projectId);
  return q.orderBy('g.provider').orderBy('g.group_name').orderBy('g.id').execute();
}

export async function findMapping(db: Executor, provider: string, group: string, projectId: number | null): Promise<GroupMappingRow | undefined> {
  let q = mappingQuery(db).where('g.provider', '=', provider).where('g.group_name', '=', group);
  q = projectId === null ? q.where('g.project_id', 'is', null) : q.where('g.project_id', '=', projectId);
  return q.executeTakeFirst();
}

export async function insertMapping(db: Executor, m: { provider: string; group: string; projectId: number | null; role: string; by: string; now: number }): Promise<void> {
  await db.insertInto('group_mappings').values({ provider: m.provider, group_name: m.group, project_id: m.projectId, role: m.role, created_at: m.now, created_by: m.by }).execute();
}

export async function updateMappingRole(db: Executor, id: number, role: string): Promise<void> {
  await db.updateTable('group_mappings').set({ role }).where('id', '=', id).execute();
}

export async function deleteMapping(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('group_mappings').where('id', '=', id).execute();
}

/** The user's memberships, each marked with whether a mapping made it. */
export async function membershipsOfUser(db: Executor, userId: number): Promise<{ project_id: number; role: Role; mapped: boolean }[]> {
  const rows = await db.selectFrom('project_members as m')
    .leftJoin('mapped_memberships as mm', (j) => j.onRef('mm.project_id', '=', 'm.project_id').onRef('mm.user_id', '=', 'm.user_id'))
    .select(['m.project_id', 'm.role', 'mm.user_id as mapped_user'])
    .where('m.user_id', '=', userId).execute();
  return rows.map((r) => ({ project_id: Number(r.project_id), role: r.role, mapped: r.mapped_user !== null }));
}

export async function markMapped(db: Executor, projectId: number, userId: number): Promise<void> {
  await db.insertInto('mapped_memberships').values({ project_id: projectId, user_id: userId }).onConflict((oc) => oc.columns(['project_id', 'user_id']).doNothing()).execute();
}

export async function unmarkMapped(db: Executor, projectId: number, userId: number): Promise<void> {
  await db.deleteFrom('mapped_memberships').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
}
