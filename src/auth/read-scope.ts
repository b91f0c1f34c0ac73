// Which projects a caller may pull from, as one description instead of one decision per
// repository, so lists (search, a project's repositories) can filter in SQL and page correctly.
// It states the Authorizer's pull rule (authorizer.ts) for every project at once; the two are
// checked against each other in test/unit/auth/read-scope.test.ts.
import type { Principal } from './principal.ts';
import { ROLE_ACTIONS, ROLES, type Role } from './roles.ts';

/** Member roles whose holders may pull (every role today; read from the role table). */
export const PULL_ROLES: readonly Role[] = ROLES.filter((r) => ROLE_ACTIONS[r].has('pull'));

export type ReadScope =
  /** No identity services (auth.mode none or htpasswd): every repository, with or without a project row. */
  | { readonly kind: 'open' }
  /** Administrators: every repository of an existing project. */
  | { readonly kind: 'all' }
  /** An access token without the pull action: nothing, not even public projects. */
  | { readonly kind: 'none' }
  | {
    readonly kind: 'some';
    /** Public projects are readable (always true in this branch). */
    readonly publicProjects: true;
    /** Further projects named outright (robot permissions; an admin token's project limit). */
    readonly projects: readonly string[];
    /** Projects this user is a member of (with a pull role) ... */
    readonly memberOf?: number;
    /** ... narrowed to these names (an access token's project limit). */
    readonly memberLimit?: readonly string[];
  };

/** The projects `principal` (undefined: anonymous) may pull from, per Authorizer.allows. */
export function readScope(principal: Principal | undefined): ReadScope {
  if (!principal) return { kind: 'some', publicProjects: true, projects: [] };
  if (principal.kind === 'robot') {
    const projects = [...principal.permissions].filter(([, actions]) => actions.has('pull')).map(([name]) => name);
    return { kind: 'some', publicProjects: true, projects };
  }
  const limit = principal.limit;
  if (limit && !limit.actions.has('pull')) return { kind: 'none' };
  const limitProjects = limit?.projects ? [...limit.projects] : undefined;
  if (principal.admin) return limitProjects ? { kind: 'some', publicProjects: true, projects: limitProjects } : { kind: 'all' };
  return { kind: 'some', publicProjects: true, projects: [], memberOf: principal.id, ...(limitProjects ? { memberLimit: limitProjects } : {}) };
}
