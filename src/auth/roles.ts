// The role table (Harbor's meaning). docs/access.md shows the same table for people.
import type { Action } from './provider.ts';

export type Role = 'owner' | 'maintainer' | 'developer' | 'guest';
export const ROLES: readonly Role[] = ['owner', 'maintainer', 'developer', 'guest'];

/** Registry actions each role grants on its project. */
export const ROLE_ACTIONS: Record<Role, ReadonlySet<Action>> = {
  owner: new Set(['pull', 'push', 'delete']),
  maintainer: new Set(['pull', 'push', 'delete']),
  developer: new Set(['pull', 'push']),
  guest: new Set(['pull']),
};

/** Only owners (and system admins) manage members, robots and project settings. */
export function canManageProject(role: Role | undefined): boolean {
  return role === 'owner';
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
