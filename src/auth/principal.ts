// Who a request acts as, once credentials are checked (built-in auth mode).
import type { Action } from './provider.ts';

export interface UserPrincipal {
  readonly kind: 'user';
  readonly id: number;
  readonly name: string;
  readonly admin: boolean;
  /** Where the request came from, when there is one (for the audit log). */
  readonly address?: string;
  /** A personal access token narrows the user's rights to these actions (and projects, if set). */
  readonly limit?: { readonly actions: ReadonlySet<Action>; readonly projects?: ReadonlySet<string> };
}

export interface RobotPrincipal {
  readonly kind: 'robot';
  readonly id: number;
  readonly name: string;
  /** Where the request came from, when there is one (for the audit log). */
  readonly address?: string;
  /** Project name -> actions. */
  readonly permissions: ReadonlyMap<string, ReadonlySet<Action>>;
}

export type Principal = UserPrincipal | RobotPrincipal;

export const PERMISSIONS = ['pull', 'push', 'delete'] as const;

/**
 * Parses a permission list someone typed (a robot's or an access token's): a comma-separated
 * subset of pull, push and delete. Anything else is refused with a message that lists the valid
 * names, rather than dropped: "pull,pushh" must not quietly make a pull-only credential.
 */
export function parsePermissions(value: string): { actions: Set<Action> } | { problem: string } {
  const names = value.split(',').map((x) => x.trim());
  const unknown = names.filter((n) => !(PERMISSIONS as readonly string[]).includes(n));
  if (unknown.length) {
    const shown = unknown.map((u) => (u === '' ? '(empty)' : JSON.stringify(u.slice(0, 40)))).join(', ');
    return { problem: `unknown permission ${shown}: permissions are a comma-separated list of ${PERMISSIONS.join(', ')}` };
  }
  return { actions: new Set(names as Action[]) };
}

/** Reads a stored permission list (written by parsePermissions, so it holds known names only). */
export function parseActions(value: string): Set<Action> {
  const out = new Set<Action>();
  for (const a of value.split(',').map((x) => x.trim())) if (a === 'pull' || a === 'push' || a === 'delete') out.add(a);
  return out;
}
