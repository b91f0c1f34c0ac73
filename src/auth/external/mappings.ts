// What a sign-in does to a provider user's memberships (pure): group mappings give project roles
// (the highest one when several groups map to one project) and system administrator. A
// membership a mapping made follows the mappings: changed when they change, removed when no
// group maps it any more. A membership given by hand is never touched, nor an administrator
// flag set by hand.
import { ROLES, type Role } from '../roles.ts';

export interface Membership {
  readonly projectId: number;
  readonly role: Role;
  /** Made by a mapping (mapped_memberships), as opposed to by hand. */
  readonly mapped: boolean;
}

export interface MappingTarget {
  /** null: system administrator. */
  readonly projectId: number | null;
  readonly role: string;
}

export interface MappingPlan {
  /** Memberships to add or change, each then marked as made by a mapping. */
  readonly set: readonly { projectId: number; role: Role }[];
  /** Mapped memberships to remove. */
  readonly remove: readonly number[];
  /** The administrator flag to set (and whether a mapping set it), when it changes. */
  readonly admin?: { readonly admin: boolean; readonly fromMapping: boolean };
}

/** The stronger of two roles (owner > maintainer > developer > guest). */
export function strongerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

export function planMappings(input: {
  readonly memberships: readonly Membership[];
  /** The mappings of the user's current groups. */
  readonly mappings: readonly MappingTarget[];
  readonly isAdmin: boolean;
  readonly adminFromMapping: boolean;
}): MappingPlan {
  const wanted = new Map<number, Role>();
  let wantsAdmin = false;
  for (const m of input.mappings) {
    if (m.projectId === null) {
      if (m.role === 'admin') wantsAdmin = true;
      continue;
    }
    if (!(ROLES as readonly string[]).includes(m.role)) continue;
    const role = m.role as Role;
    const had = wanted.get(m.projectId);
    wanted.set(m.projectId, had ? strongerRole(had, role) : role);
  }
  const set: { projectId: number; role: Role }[] = [];
  const remove: number[] = [];
  const current = new Map(input.memberships.map((m) => [m.projectId, m]));
  for (const [projectId, role] of wanted) {
    const have = current.get(projectId);
    if (!have || (have.mapped && have.role !== role)) set.push({ projectId, role });
  }
  for (const m of input.memberships) if (m.mapped && !wanted.has(m.projectId)) remove.push(m.projectId);
  let admin: MappingPlan['admin'];
  if (wantsAdmin && !input.isAdmin) admin = { admin: true, fromMapping: true };
  else if (!wantsAdmin && input.isAdmin && input.adminFromMapping) admin = { admin: false, fromMapping: false };
  return { set: set.sort((a, b) => a.projectId - b.projectId), remove: remove.sort((a, b) => a - b), ...(admin ? { admin } : {}) };
}
