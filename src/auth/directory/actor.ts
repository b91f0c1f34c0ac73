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

export async function requireProject(db: Executor, name: string): Promise<ProjectRow> {
  const project = await findProject(db, name);
  if (!project) throw new RegistryError('NOT_FOUND', { project: name }, { message: `no project named ${name}` });
  return project;
}

/** Owners of the project and admins manage members, robots and settings. */
export async function requireProjectOwner(db: Executor, actor: Actor, project: ProjectRow): Promise<void> {
  if (isAdmin(actor)) return;
  if (actor.kind === 'user' && !actor.limit && canManageProject(await memberRole(db, project.id, actor.id))) return;
  throw new RegistryError('DENIED', { project: project.name }, { message: `only owners of ${project.name} and administrators may do this` });
}
