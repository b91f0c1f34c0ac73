// Who may do what (built-in auth mode): the role table, project visibility, robot permissions
// and access-token limits, read from the DB on every decision, so a change (a member removed, a
// project made private) takes effect at the next request or token.
import { OFFICIAL_PROJECT, projectOf } from '../core/reference.ts';
import type { Executor } from '../metadata/executor.ts';
import { findProject, memberRole } from '../metadata/identity/projects.ts';
import type { Principal } from './principal.ts';
import type { Action } from './provider.ts';
import { ROLE_ACTIONS } from './roles.ts';

export class Authorizer {
  constructor(private readonly db: Executor) {}

  /** May `principal` (undefined: anonymous) do `action` on `repository`? */
  async allows(principal: Principal | undefined, repository: string, action: Action): Promise<boolean> {
    if (action === 'catalog') return true; // the catalog is filtered by visibility instead
    const projectName = projectOf(repository);
    const project = await findProject(this.db, projectName);
    if (!project) return false;
    const publicPull = project.visibility === 'public' && action === 'pull';
    if (!principal) return publicPull;

    if (principal.kind === 'robot') {
      return publicPull || (principal.permissions.get(projectName)?.has(action) ?? false);
    }
    if (principal.limit) {
      if (!principal.limit.actions.has(action)) return false;
      if (principal.limit.projects && !principal.limit.projects.has(projectName)) return publicPull;
    }
    if (principal.admin || publicPull) return true;
    // Official images: only admins push to or delete from library.
    if (projectName === OFFICIAL_PROJECT && action !== 'pull') return false;
    const role = await memberRole(this.db, project.id, principal.id);
    return role !== undefined && ROLE_ACTIONS[role].has(action);
  }

  /**
   * Why `principal` may not do `action` on `repository`, in words for the client's error detail.
   * A project the caller may not know of reads exactly like a missing one.
   */
  async explain(principal: Principal | undefined, repository: string, action: Action): Promise<string> {
    const projectName = projectOf(repository);
    const unknown = `project ${projectName} does not exist, or you are not a member of it`;
    const project = await findProject(this.db, projectName);
    if (!project) return unknown;
    const visible = project.visibility === 'public';
    if (!principal) return 'sign in first';
    if (principal.kind === 'robot') {
      const granted = principal.permissions.get(projectName);
      if (!granted) return visible ? `robot ${principal.name} has no permissions on ${projectName}` : unknown;
      return `robot ${principal.name} may not ${action} in ${projectName} (it may ${[...granted].join(', ')})`;
    }
    if (principal.limit) {
      if (principal.limit.projects && !principal.limit.projects.has(projectName)) {
        return visible ? `this access token is limited to the projects ${[...principal.limit.projects].join(', ')}` : unknown;
      }
      if (!principal.limit.actions.has(action)) return `this access token does not allow ${action} (it allows ${[...principal.limit.actions].join(', ')})`;
    }
    if (projectName === OFFICIAL_PROJECT && action !== 'pull' && !principal.admin) return `only administrators may ${action} in ${OFFICIAL_PROJECT} (official images)`;
    const role = await memberRole(this.db, project.id, principal.id);
    if (!role) return visible ? `you are not a member of ${projectName}, so you may only pull from it` : unknown;
    return `your role in ${projectName} is ${role}, which may not ${action}`;
  }

  /** The subset of `actions` allowed. */
  async allowed(principal: Principal | undefined, repository: string, actions: readonly Action[]): Promise<Action[]> {
    const out: Action[] = [];
    for (const a of actions) if (await this.allows(principal, repository, a)) out.push(a);
    return out;
  }
}
