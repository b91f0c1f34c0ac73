// Robot account rows and their per-project permissions.
import type { Executor } from '../executor.ts';

export interface RobotRow {
  readonly id: number;
  readonly name: string;
  readonly secret_hash: string;
  readonly description: string;
  readonly expires_at: number | null;
  readonly disabled: number;
  readonly created_by: string;
  readonly created_at: number;
}

const COLUMNS = ['id', 'name', 'secret_hash', 'description', 'expires_at', 'disabled', 'created_by', 'created_at'] as const;

export async function findRobot(db: Executor, name: string): Promise<RobotRow | undefined> {
  return db.selectFrom('robots').select(COLUMNS).where('name', '=', name).executeTakeFirst();
}

export async function findRobotById(db: Executor, id: number): Promise<RobotRow | undefined> {
  return db.selectFrom('robots').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

export async function insertRobot(db: Executor, r: { name: string; secretHash: string; description: string; expiresAt: number | null; createdBy: string }, now: number): Promise<number> {
  await db.insertInto('robots').values({
    name: r.name, secret_hash: r.secretHash, description: r.description, expires_at: r.expiresAt, disabled: 0, created_by: r.createdBy, created_at: now,
  }).execute();
  return (await findRobot(db, r.name))!.id;
}

export async function setRobotPermission(db: Executor, robotId: number, projectId: number, actions: string): Promise<void> {
  await db.insertInto('robot_permissions').values({ robot_id: robotId, project_id: projectId, actions })
    .onConflict((oc) => oc.columns(['robot_id', 'project_id']).doUpdateSet({ actions }))
    .execute();
}

export async function robotPermissions(db: Executor, robotId: number): Promise<{ project: string; actions: string }[]> {
  return db.selectFrom('robot_permissions as rp').innerJoin('projects as p', 'p.id', 'rp.project_id')
    .select(['p.name as project', 'rp.actions']).where('rp.robot_id', '=', robotId).orderBy('p.name').execute();
}

export async function updateRobot(db: Executor, id: number, changes: { secret_hash?: string; disabled?: number; expires_at?: number | null }): Promise<void> {
  await db.updateTable('robots').set(changes).where('id', '=', id).execute();
}

export async function deleteRobot(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('robots').where('id', '=', id).execute();
}

/** Robots with a permission on this project. */
export async function robotsOfProject(db: Executor, projectId: number): Promise<RobotRow[]> {
  return db.selectFrom('robots as r').innerJoin('robot_permissions as rp', 'rp.robot_id', 'r.id')
    .select(COLUMNS.map((c) => `r.${c}` as const)).where('rp.project_id', '=', projectId).orderBy('r.name').execute();
}

export async function listRobots(db: Executor): Promise<RobotRow[]> {
  return db.selectFrom('robots').select(COLUMNS).orderBy('name').execute();
}
