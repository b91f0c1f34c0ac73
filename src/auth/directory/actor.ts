// Who is asking a management service. Offline CLI commands act as the local system (they own
// the data directory); API calls act as the logged-in account.
import { RegistryError } from '../../core/errors.ts';
import type { Executor } from '../../metadata/executor.ts';
import { findProject, memberRole, type ProjectRow } from '../../metadata/identity/projects.ts';
import type { Principal } from '../principal.ts';
import { canManageProject } from '../roles.ts';

export type Actor = Principal | { readonly kind: 'system'; readonly name: 'system' };

export const SYSTEM: Actor = { kind: 'system', name: 'system' };

export function isAdmin(actor: Actor): boolean {
  return actor.kind === 'system' || (actor.kind === 'user' && actor.admin && !actor.limit);
}

export function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw new RegistryError('DENIED', undefined, { message: 'only system administrators may do this' });
}

/** The one answer for a project that does not exist, or that the caller may not know exists. */
export function noSuchProject(name: string): RegistryError {
  return new RegistryError('NOT_FOUND', { project: name }, { message: `no project named ${name}` });
}

export async function requireProject(db: Executor, name: string): Promise<ProjectRow> {
  const project = await findProject(db, name);
  if (!project) throw noSuchProject(name);
  return project;
}

/** Whether the actor may know that the project exists: it is public, or they belong to it. */
export async function canSeeProject(db: Executor, actor: Actor | undefined, project: ProjectRow): Promise<boolean> {
  if (project.visibility === 'public') return true;
  if (!actor) return false;
  if (actor.kind === 'system' || (actor.kind === 'user' && actor.admin && !actor.limit)) return true;
  if (actor.kind === 'robot') return actor.permissions.has(project.name);
  if (actor.limit?.projects && !actor.limit.projects.has(project.name)) return false;
  return actor.admin || (await memberRole(db, project.id, actor.id)) !== undefined;
}

/**
 * The project, when the actor may know it exists; otherwise exactly the answer for a missing
 * project, so that a private project's name cannot be probed through any route.
 */
export async function requireVisibleProject(db: Executor, actor: Actor | undefined, name: string): Promise<ProjectRow> {
  const project = await findProject(db, name);
  if (!project || !(await canSeeProject(db, actor, project))) throw noSuchProject(name);
  return project;
}

/**
 * Owners of the project and admins manage members, robots and settings. The project must come
 * from requireVisibleProject, so a refusal here never tells a stranger that it exists.
 */
export async function requireProjectOwner(db: Executor, actor: Actor, project: ProjectRow): Promise<void> {
  if (isAdmin(actor)) return;
  if (actor.kind === 'user' && !actor.limit && canManageProject(await memberRole(db, project.id, actor.id))) return;
  throw new RegistryError('DENIED', { project: project.name }, { message: `only owners of ${project.name} and administrators may do this` });
}

/** The project, if the actor owns it (or administers); a stranger gets the missing-project answer. */
export async function requireOwnedProject(db: Executor, actor: Actor, name: string): Promise<ProjectRow> {
  const project = await requireVisibleProject(db, actor, name);
  await requireProjectOwner(db, actor, project);
  return project;
}
