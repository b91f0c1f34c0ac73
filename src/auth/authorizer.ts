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

  /** The subset of `actions` allowed. */
  async allowed(principal: Principal | undefined, repository: string, actions: readonly Action[]): Promise<Action[]> {
    const out: Action[] = [];
    for (const a of actions) if (await this.allows(principal, repository, a)) out.push(a);
    return out;
  }
}
