// Group mappings (docs/access.md, Group mappings): a provider's group maps to a role in a
// project, or to system administrator. Project owners and administrators manage a project's
// mappings; only administrators map a group to system administrator or list every mapping.
// A mapping takes effect at the next sign-in (or check) of each user in the group.
import type { Kysely } from 'kysely';
import { RegistryError } from '../../core/errors.ts';
import type { Database } from '../../metadata/schema.ts';
import { deleteMapping, findMapping, insertMapping, listMappings, updateMappingRole, type GroupMappingRow } from '../../metadata/identity/providers.ts';
import { isAdmin, requireAdmin, requireOwnedProject, type Actor } from '../directory/actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../directory/changes.ts';
import { isRole } from '../roles.ts';

export interface GroupMappingView {
  readonly provider: string;
  readonly group: string;
  /** null for a mapping to system administrator. */
  readonly project: string | null;
  /** owner, maintainer, developer, guest; admin for system administrator. */
  readonly role: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface MappingKey {
  readonly provider: string;
  readonly group: string;
  /** Omitted: system administrator. */
  readonly project?: string;
}

export class GroupMappingService {
  constructor(
    private readonly db: Kysely<Database>,
    /** The configured providers that have groups (LDAP, OIDC): a mapping must name one. */
    private readonly providerNames: () => readonly string[],
    private readonly now: () => number = Date.now,
    private readonly record: ChangeRecorder = IGNORE_CHANGES,
  ) {}

  /** A project's mappings (its owners, administrators), or every mapping (administrators). */
  async list(actor: Actor, project?: string): Promise<GroupMappingView[]> {
    if (project === undefined) {
      requireAdmin(actor);
      return (await listMappings(this.db)).map(view);
    }
    const p = await requireOwnedProject(this.db, actor, project);
    return (await listMappings(this.db, p.id)).map(view);
  }

  /** Adds a mapping, or changes the role of the one for this group and project. */
  async set(actor: Actor, key: MappingKey, role: string): Promise<GroupMappingView> {
    this.checkProvider(key.provider);
    const group = checkGroup(key.group);
    let projectId: number | null = null;
    if (key.project !== undefined) {
      if (!isRole(role)) throw new RegistryError('INVALID_REQUEST', { role }, { message: 'role must be owner, maintainer, developer or guest' });
      projectId = (await requireOwnedProject(this.db, actor, key.project)).id;
    } else {
      if (role !== 'admin') throw new RegistryError('INVALID_REQUEST', { role }, { message: 'a mapping without a project makes system administrators: its role is admin' });
      requireAdmin(actor);
    }
    const existing = await findMapping(this.db, key.provider, group, projectId);
    if (existing) await updateMappingRole(this.db, existing.id, role);
    else await insertMapping(this.db, { provider: key.provider, group, projectId, role, by: actor.name, now: this.now() });
    await this.record({ action: 'group-map.set', actor, ...(key.project !== undefined ? { project: key.project } : {}), target: `${key.provider}:${group}`, detail: { role } });
    return view((await findMapping(this.db, key.provider, group, projectId))!);
  }

  async remove(actor: Actor, key: MappingKey): Promise<void> {
    const group = checkGroup(key.group);
    let projectId: number | null = null;
    if (key.project !== undefined) projectId = (await requireOwnedProject(this.db, actor, key.project)).id;
    else requireAdmin(actor);
    const existing = await findMapping(this.db, key.provider, group, projectId);
    if (!existing) {
      throw new RegistryError('NOT_FOUND', { provider: key.provider, group }, {
        message: `no mapping of group ${group} of provider ${key.provider} ${key.project !== undefined ? `in project ${key.project}` : 'to system administrator'}`,
      });
    }
    await deleteMapping(this.db, existing.id);
    await this.record({ action: 'group-map.remove', actor, ...(key.project !== undefined ? { project: key.project } : {}), target: `${key.provider}:${group}` });
  }

  /** Whether the caller may see any mapping at all (for the UI). */
  canListAll(actor: Actor): boolean {
    return isAdmin(actor);
  }

  private checkProvider(name: string): void {
    const names = this.providerNames();
    if (!names.includes(name)) {
      throw new RegistryError('INVALID_REQUEST', { provider: name }, {
        message: names.length
          ? `no provider named ${name}; the configured ones (auth.providers) are ${names.join(', ')}`
          : `no provider named ${name}: auth.providers lists no LDAP or OIDC provider`,
      });
    }
  }
}

function checkGroup(group: string): string {
  const g = group.trim();
  if (!g || g.length > 256) throw new RegistryError('INVALID_REQUEST', { group }, { message: 'a group name has 1 to 256 characters' });
  return g;
}

function view(row: GroupMappingRow): GroupMappingView {
  return { provider: row.provider, group: row.group_name, project: row.project, role: row.role, createdAt: new Date(Number(row.created_at)).toISOString(), createdBy: row.created_by };
}
