// Projects: create, list (what the caller may see), settings, and members with roles.
// Users and projects share one namespace, as on Docker Hub: a name is either an organisation
// project or a user's personal project, never both. A private project is invisible to strangers:
// every refusal they get is the one a missing project gives.
import { RegistryError } from '../../core/errors.ts';
import { projectNameProblem } from '../../core/account-names.ts';
import { OFFICIAL_PROJECT } from '../../core/reference.ts';
import type { Kysely } from 'kysely';
import type { Executor } from '../../metadata/executor.ts';
import type { Database, Visibility } from '../../metadata/schema.ts';
import { deleteProject, findProject, insertProject, listMembers, listProjects, memberRole, removeMember, setMember, updateProject, type ProjectRow } from '../../metadata/identity/projects.ts';
import { unmarkMapped } from '../../metadata/identity/providers.ts';
import { deleteRobot, robotsOfProject } from '../../metadata/identity/robots.ts';
import { findUserByName } from '../../metadata/identity/users.ts';
import { deleteRepositoriesOfProject, repositoryNamesOfProject } from '../../metadata/repositories.ts';
import { projectQuotaView, setProjectQuota, type ProjectQuotaView } from '../../metadata/quota.ts';
import { isRole, type Role } from '../roles.ts';
import { canSeeProject, isAdmin, requireOwnedProject, requireVisibleProject, type Actor } from './actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from './changes.ts';

export interface ProjectView {
  readonly name: string;
  readonly visibility: Visibility;
  readonly description: string;
  readonly createdAt: string;
  /** Trusted content (administrators set these): Verified Publisher, Sponsored OSS. */
  readonly verified: boolean;
  readonly sponsored: boolean;
  /** The caller's role, when they are a member. */
  readonly role?: Role;
  /** Storage quota and usage (features/quota), for members and administrators; not in lists. */
  readonly quota?: ProjectQuotaView;
}

/** The largest quota a project may be given (4 PiB, a safe integer of bytes). */
export const MAX_QUOTA_BYTES = 4 * 2 ** 50;

export interface ProjectRemoval {
  readonly project: string;
  /** The repositories removed with it (their tags, links and uploads). */
  readonly repositories: string[];
}

export class ProjectService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
    private readonly record: ChangeRecorder = IGNORE_CHANGES,
    /** Told the repository names a removal deleted, so caches of them can be dropped. */
    private readonly onRepositoriesRemoved: (names: string[]) => void = () => {},
  ) {}

  /** `library` (official images, public) exists from the first start. */
  async ensureLibrary(): Promise<void> {
    if (!(await findProject(this.db, OFFICIAL_PROJECT))) {
      await insertProject(this.db, { name: OFFICIAL_PROJECT, visibility: 'public', description: 'Official images' }, this.now()).catch(async (e: unknown) => {
        if (!(await findProject(this.db, OFFICIAL_PROJECT))) throw e; // lost a race with another instance: fine
      });
    }
  }

  /** Any signed-in user may create an organisation project and becomes its owner. */
  async create(actor: Actor, name: string, visibility: Visibility = 'private', description = ''): Promise<ProjectView> {
    if (actor.kind === 'robot' || (actor.kind === 'user' && actor.limit)) throw new RegistryError('DENIED', undefined, { message: 'robots and access tokens cannot create projects' });
    const problem = projectNameProblem(name);
    if (problem) throw new RegistryError('INVALID_REQUEST', { name }, { message: `project name ${problem}` });
    const taken = () => new RegistryError('CONFLICT', { name }, { message: `the name ${name} is taken: users and projects share one namespace, so pick another name` });
    if (await findUserByName(this.db, name)) throw taken();
    if (await findProject(this.db, name)) throw new RegistryError('CONFLICT', { name }, { message: `project ${name} already exists` });
    const now = this.now();
    let project: ProjectRow;
    try {
      project = await this.db.transaction().execute(async (trx) => {
        const p = await insertProject(trx, { name, visibility, description }, now);
        if (actor.kind === 'user') await setMember(trx, p.id, actor.id, 'owner', now);
        return p;
      });
    } catch (error) {
      // The unique project name is the namespace's guard against a concurrent user or project.
      if (await findProject(this.db, name)) throw taken();
      throw error;
    }
    await this.record({ action: 'project.create', actor, project: name, detail: { visibility } });
    return this.toView(project, actor);
  }

  /** Projects the caller may see: public ones, their own, and all of them for admins. */
  async list(actor: Actor | undefined): Promise<ProjectView[]> {
    const out: ProjectView[] = [];
    for (const p of await listProjects(this.db)) {
      if (await canSeeProject(this.db, actor, p)) out.push(await this.toView(p, actor, false));
    }
    return out;
  }

  async get(actor: Actor | undefined, name: string): Promise<ProjectView> {
    return this.toView(await requireVisibleProject(this.db, actor, name), actor);
  }

  async update(actor: Actor, name: string, changes: { visibility?: Visibility; description?: string; verified?: boolean; sponsored?: boolean; quotaBytes?: number | null }): Promise<ProjectView> {
    const project = await requireOwnedProject(this.db, actor, name);
    const { verified, sponsored, quotaBytes, ...settings } = changes;
    const badges = verified !== undefined || sponsored !== undefined;
    if (badges && !isAdmin(actor)) {
      throw new RegistryError('DENIED', { project: name }, { message: 'only administrators mark a project verified or sponsored' });
    }
    if (quotaBytes !== undefined) {
      if (!isAdmin(actor)) throw new RegistryError('DENIED', { project: name }, { message: "only administrators set a project's storage quota" });
      if (quotaBytes !== null && (!Number.isSafeInteger(quotaBytes) || quotaBytes < 0 || quotaBytes > MAX_QUOTA_BYTES)) {
        throw new RegistryError('INVALID_REQUEST', { quotaBytes }, { message: 'quotaBytes is a whole number of bytes from 0 to 4 PiB, or null for no quota' });
      }
    }
    if (name === OFFICIAL_PROJECT && changes.visibility === 'private') throw new RegistryError('INVALID_REQUEST', undefined, { message: 'library holds official images and stays public' });
    const flags = { ...(verified !== undefined ? { verified: verified ? 1 : 0 } : {}), ...(sponsored !== undefined ? { sponsored: sponsored ? 1 : 0 } : {}) };
    await updateProject(this.db, project.id, { ...settings, ...flags }, this.now());
    if (settings.visibility !== undefined || settings.description !== undefined) {
      await this.record({
        action: 'project.update', actor, project: name,
        detail: { ...(settings.visibility !== undefined ? { visibility: settings.visibility } : {}), ...(settings.description !== undefined ? { description: 'changed' } : {}) },
      });
    }
    if (badges) {
      await this.record({ action: 'project.badge', actor, project: name, detail: { ...(verified !== undefined ? { verified } : {}), ...(sponsored !== undefined ? { sponsored } : {}) } });
    }
    if (quotaBytes !== undefined) {
      await setProjectQuota(this.db, project, quotaBytes, this.now());
      await this.record({ action: 'project.quota', actor, project: name, detail: { quotaBytes } });
    }
    return this.toView((await findProject(this.db, name))!, actor);
  }

  /**
   * Removes an organisation project. While it holds repositories this is refused, unless
   * `withRepositories`: then they go in the same transaction (tags, links, uploads), with the
   * project's members, robots and webhooks, so that a project made later under the same name
   * starts empty. Its audit entries stay for administrators; the new project's owners do not see
   * them (they read entries from the new project's creation on).
   */
  async remove(actor: Actor, name: string, options: { withRepositories?: boolean } = {}): Promise<ProjectRemoval> {
    const project = await requireOwnedProject(this.db, actor, name);
    if (name === OFFICIAL_PROJECT || project.owner_user_id !== null) {
      throw new RegistryError('INVALID_REQUEST', undefined, { message: 'library and personal projects cannot be removed (a personal project goes with its user)' });
    }
    const repositories = await this.dropProject(project, options.withRepositories ?? false);
    await this.record({ action: 'project.delete', actor, project: name, detail: { repositories: repositories.length } });
    return { project: name, repositories };
  }

  /**
   * Deletes the project row with everything that hangs on its name (for remove, and for a
   * user's removal, which takes their personal project along). Refuses while repositories remain
   * unless `withRepositories`.
   */
  async dropProject(project: ProjectRow, withRepositories: boolean, alsoInTransaction?: (trx: Executor) => Promise<void>): Promise<string[]> {
    const repositories = await this.db.transaction().execute(async (trx) => {
      const names = await repositoryNamesOfProject(trx, project.name);
      if (names.length && !withRepositories) {
        throw new RegistryError('CONFLICT', { project: project.name, repositories: names.length }, {
          message: `project ${project.name} still holds ${names.length} ${names.length === 1 ? 'repository' : 'repositories'}; delete ${names.length === 1 ? 'it' : 'them'} first, or remove the project with its repositories (API: ?repositories=delete; CLI: --with-repositories)`,
        });
      }
      await deleteRepositoriesOfProject(trx, project.name);
      // Robots made for this project carry its name: they go with it (their permissions on
      // other projects, which only administrators hand out, go too).
      for (const r of await robotsOfProject(trx, project.id)) if (r.name.startsWith(`robot$${project.name}+`)) await deleteRobot(trx, r.id);
      await deleteProject(trx, project.id);
      await alsoInTransaction?.(trx);
      return names;
    });
    if (repositories.length) this.onRepositoriesRemoved(repositories);
    return repositories;
  }

  async members(actor: Actor, name: string): Promise<{ user: string; role: Role; since: string }[]> {
    const project = await requireVisibleProject(this.db, actor, name);
    const role = actor.kind === 'user' ? await memberRole(this.db, project.id, actor.id) : undefined;
    if (!isAdmin(actor) && !role) throw new RegistryError('DENIED', { project: name }, { message: `only members of ${name} may list its members` });
    return (await listMembers(this.db, project.id)).map((m) => ({ user: m.name, role: m.role, since: new Date(m.created_at).toISOString() }));
  }

  async setMember(actor: Actor, name: string, user: string, role: string): Promise<void> {
    if (!isRole(role)) throw new RegistryError('INVALID_REQUEST', { role }, { message: 'role must be owner, maintainer, developer or guest' });
    const project = await requireOwnedProject(this.db, actor, name);
    const u = await findUserByName(this.db, user);
    if (!u) throw new RegistryError('NOT_FOUND', { user }, { message: `no user named ${user}` });
    if (project.owner_user_id !== null && u.id === project.owner_user_id && role !== 'owner') {
      throw new RegistryError('INVALID_REQUEST', { user }, { message: `${user} owns the personal project ${name} and stays its owner` });
    }
    await setMember(this.db, project.id, u.id, role, this.now());
    // Set by hand now: group mappings no longer change or remove it.
    await unmarkMapped(this.db, project.id, u.id);
    await this.record({ action: 'member.set', actor, project: name, target: user, detail: { role } });
  }

  async removeMember(actor: Actor, name: string, user: string): Promise<void> {
    const project = await requireOwnedProject(this.db, actor, name);
    const u = await findUserByName(this.db, user);
    // A personal project belongs to its user: nobody else can take it away from them.
    if (u && project.owner_user_id === u.id) {
      throw new RegistryError('INVALID_REQUEST', { user }, { message: `${user} owns the personal project ${name} and cannot be removed from it` });
    }
    if (!u || !(await removeMember(this.db, project.id, u.id))) throw new RegistryError('NOT_FOUND', { user }, { message: `${user} is not a member of ${name}` });
    await this.record({ action: 'member.remove', actor, project: name, target: user });
  }

  private async toView(p: ProjectRow, actor: Actor | undefined, withQuota = true): Promise<ProjectView> {
    const role = actor?.kind === 'user' ? await memberRole(this.db, p.id, actor.id) : undefined;
    // Usage is the members' business (and an aggregate over the project's rows: not in lists).
    const quota = withQuota && actor && (isAdmin(actor) || role !== undefined || (actor.kind === 'robot' && actor.permissions.has(p.name)))
      ? await projectQuotaView(this.db, p.name)
      : undefined;
    return {
      name: p.name, visibility: p.visibility, description: p.description, createdAt: new Date(p.created_at).toISOString(),
      verified: Number(p.verified) === 1, sponsored: Number(p.sponsored) === 1, ...(role ? { role } : {}), ...(quota ? { quota } : {}),
    };
  }
}
