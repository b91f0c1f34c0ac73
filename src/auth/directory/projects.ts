// Projects: create, list (what the caller may see), settings, and members with roles.
import { RegistryError } from '../../core/errors.ts';
import { projectNameProblem } from '../../core/account-names.ts';
import { OFFICIAL_PROJECT } from '../../core/reference.ts';
import type { Kysely } from 'kysely';
import type { Database, Visibility } from '../../metadata/schema.ts';
import { deleteProject, findProject, insertProject, listMembers, listProjects, memberRole, removeMember, setMember, updateProject, type ProjectRow } from '../../metadata/identity/projects.ts';
import { findUserByName } from '../../metadata/identity/users.ts';
import { isRole, type Role } from '../roles.ts';
import { isAdmin, requireProject, requireProjectOwner, type Actor } from './actor.ts';

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
}

export class ProjectService {
  constructor(private readonly db: Kysely<Database>, private readonly now: () => number = Date.now) {}

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
    if (await findProject(this.db, name)) throw new RegistryError('CONFLICT', { name }, { message: `project ${name} already exists` });
    if (await findUserByName(this.db, name)) throw new RegistryError('CONFLICT', { name }, { message: `${name} is a user's personal project name` });
    const now = this.now();
    const project = await this.db.transaction().execute(async (trx) => {
      const p = await insertProject(trx, { name, visibility, description }, now);
      if (actor.kind === 'user') await setMember(trx, p.id, actor.id, 'owner', now);
      return p;
    });
    return this.toView(project, actor);
  }

  /** Projects the caller may see: public ones, their own, and all of them for admins. */
  async list(actor: Actor | undefined): Promise<ProjectView[]> {
    const out: ProjectView[] = [];
    for (const p of await listProjects(this.db)) {
      const view = await this.toView(p, actor);
      if (p.visibility === 'public' || view.role || (actor && isAdmin(actor)) || (actor?.kind === 'robot' && actor.permissions.has(p.name))) out.push(view);
    }
    return out;
  }

  async get(actor: Actor | undefined, name: string): Promise<ProjectView> {
    const project = await requireProject(this.db, name);
    const view = await this.toView(project, actor);
    const visible = project.visibility === 'public' || view.role || (actor && isAdmin(actor)) || (actor?.kind === 'robot' && actor.permissions.has(name));
    if (!visible) throw new RegistryError('NOT_FOUND', { project: name }, { message: `no project named ${name}` });
    return view;
  }

  async update(actor: Actor, name: string, changes: { visibility?: Visibility; description?: string; verified?: boolean; sponsored?: boolean }): Promise<ProjectView> {
    const project = await requireProject(this.db, name);
    await requireProjectOwner(this.db, actor, project);
    const { verified, sponsored, ...settings } = changes;
    if ((verified !== undefined || sponsored !== undefined) && !isAdmin(actor)) {
      throw new RegistryError('DENIED', { project: name }, { message: 'only administrators mark a project verified or sponsored' });
    }
    if (name === OFFICIAL_PROJECT && changes.visibility === 'private') throw new RegistryError('INVALID_REQUEST', undefined, { message: 'library holds official images and stays public' });
    const flags = { ...(verified !== undefined ? { verified: verified ? 1 : 0 } : {}), ...(sponsored !== undefined ? { sponsored: sponsored ? 1 : 0 } : {}) };
    await updateProject(this.db, project.id, { ...settings, ...flags }, this.now());
    return this.toView((await findProject(this.db, name))!, actor);
  }

  async remove(actor: Actor, name: string): Promise<void> {
    const project = await requireProject(this.db, name);
    await requireProjectOwner(this.db, actor, project);
    if (name === OFFICIAL_PROJECT || project.owner_user_id !== null) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'library and personal projects cannot be removed' });
    await deleteProject(this.db, project.id);
  }

  async members(actor: Actor, name: string): Promise<{ user: string; role: Role; since: string }[]> {
    const project = await requireProject(this.db, name);
    const role = actor.kind === 'user' ? await memberRole(this.db, project.id, actor.id) : undefined;
    if (!isAdmin(actor) && !role) throw new RegistryError('DENIED', { project: name }, { message: `only members of ${name} may list its members` });
    return (await listMembers(this.db, project.id)).map((m) => ({ user: m.name, role: m.role, since: new Date(m.created_at).toISOString() }));
  }

  async setMember(actor: Actor, name: string, user: string, role: string): Promise<void> {
    if (!isRole(role)) throw new RegistryError('INVALID_REQUEST', { role }, { message: 'role must be owner, maintainer, developer or guest' });
    const project = await requireProject(this.db, name);
    await requireProjectOwner(this.db, actor, project);
    const u = await findUserByName(this.db, user);
    if (!u) throw new RegistryError('NOT_FOUND', { user }, { message: `no user named ${user}` });
    await setMember(this.db, project.id, u.id, role, this.now());
  }

  async removeMember(actor: Actor, name: string, user: string): Promise<void> {
    const project = await requireProject(this.db, name);
    await requireProjectOwner(this.db, actor, project);
    const u = await findUserByName(this.db, user);
    if (!u || !(await removeMember(this.db, project.id, u.id))) throw new RegistryError('NOT_FOUND', { user }, { message: `${user} is not a member of ${name}` });
  }

  private async toView(p: ProjectRow, actor: Actor | undefined): Promise<ProjectView> {
    const role = actor?.kind === 'user' ? await memberRole(this.db, p.id, actor.id) : undefined;
    return {
      name: p.name, visibility: p.visibility, description: p.description, createdAt: new Date(p.created_at).toISOString(),
      verified: Number(p.verified) === 1, sponsored: Number(p.sponsored) === 1, ...(role ? { role } : {}),
    };
  }
}
