// Who a request acts as, once credentials are checked (built-in auth mode).
import type { Action } from './provider.ts';

export interface UserPrincipal {
  readonly kind: 'user';
  readonly id: number;
  readonly name: string;
  readonly admin: boolean;
  /** A personal access token narrows the user's rights to these actions (and projects, if set). */
  readonly limit?: { readonly actions: ReadonlySet<Action>; readonly projects?: ReadonlySet<string> };
}

export interface RobotPrincipal {
  readonly kind: 'robot';
  readonly id: number;
  readonly name: string;
  /** Project name -> actions. */
  readonly permissions: ReadonlyMap<string, ReadonlySet<Action>>;
}

export type Principal = UserPrincipal | RobotPrincipal;

export function parseActions(value: string): Set<Action> {
  const out = new Set<Action>();
  for (const a of value.split(',').map((x) => x.trim())) if (a === 'pull' || a === 'push' || a === 'delete') out.add(a);
  return out;
}
