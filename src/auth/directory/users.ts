// Users: create (with a personal project they own), list, change password, disable, remove.
// A user's name is also their personal project's, and users and projects share one namespace:
// a name held by a project cannot become a user (or the project's members would own the new
// user's "personal" project). Changing a password ends the user's other sessions and every token
// minted from the old password; disabling or removing a user ends all of them.
import { RegistryError } from '../../core/errors.ts';
import { userNameProblem } from '../../core/account-names.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';
import { findProject, insertProject, projectsOfUser, setMember } from '../../metadata/identity/projects.ts';
import { deleteSessionsOfUser } from '../../metadata/identity/sessions.ts';
import { countAdmins, deleteUser, findUserByName, insertUser, listUsers, updateUser } from '../../metadata/identity/users.ts';
import { repositoryNamesOfProject } from '../../metadata/repositories.ts';
import { isExternalHash } from '../external/identities.ts';
import { hashPassword, newSecret, passwordProblem } from '../passwords.ts';
import { requireAdmin, type Actor } from './actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from './changes.ts';
import type { ProjectService } from './projects.ts';

export interface UserView {
  readonly name: string;
  readonly admin: boolean;
  readonly disabled: boolean;
  readonly createdAt: string;
}

/** What becomes of a removed user's personal project. */
export type PersonalProjectFate = 'delete' | 'keep';

export interface UserRemoval {
  readonly user: string;
  /** removed: with its repositories; kept: handed to the administrator who removed the user. */
  readonly personalProject: 'removed' | 'kept' | 'none';
  readonly repositories: string[];
}

export type AdminBootstrap =
  | { readonly created: true; readonly name: string; readonly password?: string; readonly generated: boolean }
  | { readonly created: false; readonly reason: 'exists' | 'name-taken'; readonly ignoredPassword: boolean };

export const FIRST_ADMIN = 'admin';

export class UserService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly projects: ProjectService,
    private readonly now: () => number = Date.now,
    private readonly record: ChangeRecorder = IGNORE_CHANGES,
  ) {}

  async create(actor: Actor, name: string, password: string, admin = false): Promise<UserView> {
    requireAdmin(actor);
    const problem = userNameProblem(name);
    if (problem) throw new RegistryError('INVALID_REQUEST', { name }, { message: `user name ${problem}` });
    const pw = passwordProblem(password);
    if (pw) throw new RegistryError('INVALID_REQUEST', undefined, { message: pw });
    await this.insert(name, await hashPassword(password), admin);
    await this.record({ action: 'user.create', actor, project: name, target: name, detail: { admin } });
    return this.view(name);
  }

  /** Inserts the user with their personal project, in one transaction; the name must be free. */
  private async insert(name: string, passwordHash: string, admin: boolean): Promise<void> {
    if (await findUserByName(this.db, name)) throw new RegistryError('CONFLICT', { name }, { message: `user ${name} already exists` });
    const taken = () => new RegistryError('CONFLICT', { name }, {
      message: `the name ${name} is taken by a project: users and projects share one namespace (a user's personal project has the user's name), so pick another name`,
    });
    if (await findProject(this.db, name)) throw taken();
    const now = this.now();
    try {
      await this.db.transaction().execute(async (trx) => {
        const id = await insertUser(trx, name, passwordHash, admin, now);
        // Every user owns a personal project named after the account, as on Docker Hub. The
        // unique project name is what keeps a concurrent project from taking the name.
        const project = await insertProject(trx, { name, visibility: 'private', ownerUserId: id }, now);
        await setMember(trx, project.id, id, 'owner', now);
      });
    } catch (error) {
      if (await findUserByName(this.db, name)) throw new RegistryError('CONFLICT', { name }, { message: `user ${name} already exists` });
      if (await findProject(this.db, name)) throw taken();
      throw error;
    }
  }

  async list(actor: Actor): Promise<UserView[]> {
    requireAdmin(actor);
    return (await listUsers(this.db)).map(toView);
  }

  async get(name: string): Promise<UserView & { projects: { name: string; role: string }[] }> {
    const user = await findUserByName(this.db, name);
    if (!user) throw new RegistryError('NOT_FOUND', { user: name }, { message: `no user named ${name}` });
    return { ...toView(user), projects: await projectsOfUser(this.db, user.id) };
  }

  /**
   * Admins change anyone's password; users change their own. Every session of the user ends but
   * `keepSession` (the id hash of the browser session that made the change, if it did), and every
   * token minted from the old password stops (its credential version no longer matches).
   */
  async setPassword(actor: Actor, name: string, password: string, options: { keepSession?: string } = {}): Promise<void> {
    if (!(actor.kind === 'user' && actor.name === name && !actor.limit)) requireAdmin(actor);
    const pw = passwordProblem(password);
    if (pw) throw new RegistryError('INVALID_REQUEST', undefined, { message: pw });
    const user = await findUserByName(this.db, name);
    if (!user) throw new RegistryError('NOT_FOUND', { user: name }, { message: `no user named ${name}` });
    if (isExternalHash(user.password_hash)) {
      throw new RegistryError('INVALID_REQUEST', { user: name }, { message: `${name} signs in through an identity provider (auth.providers); their password is the provider's, not Berth's` });
    }
    const hash = await hashPassword(password);
    await this.db.transaction().execute(async (trx) => {
      await updateUser(trx, user.id, { password_hash: hash }, this.now());
      await deleteSessionsOfUser(trx, user.id, options.keepSession);
    });
    await this.record({ action: 'user.password', actor, target: name });
  }

  async update(actor: Actor, name: string, changes: { admin?: boolean; disabled?: boolean }): Promise<UserView> {
    requireAdmin(actor);
    const user = await findUserByName(this.db, name);
    if (!user) throw new RegistryError('NOT_FOUND', { user: name }, { message: `no user named ${name}` });
    await this.db.transaction().execute(async (trx) => {
      await updateUser(trx, user.id, {
        ...(changes.admin !== undefined ? { is_admin: changes.admin ? 1 : 0 } : {}),
        ...(changes.disabled !== undefined ? { disabled: changes.disabled ? 1 : 0 } : {}),
      }, this.now());
      // A disabled user is signed out everywhere (tokens stop too: their credential is dead).
      if (changes.disabled) await deleteSessionsOfUser(trx, user.id);
    });
    await this.record({ action: 'user.update', actor, target: name, detail: { ...changes } });
    return this.view(name);
  }

  /**
   * Removes a user. Their personal project goes with them when it holds no repositories. When it
   * does, the caller decides: `delete` removes it with its repositories, `keep` hands it to the
   * administrator doing this (the name then stays a project, so no new user can take it). Every
   * session and token of the user ends.
   */
  async remove(actor: Actor, name: string, options: { personalProject?: PersonalProjectFate } = {}): Promise<UserRemoval> {
    requireAdmin(actor);
    if (actor.kind === 'user' && actor.name === name) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'you cannot remove your own account' });
    const user = await findUserByName(this.db, name);
    if (!user) throw new RegistryError('NOT_FOUND', { user: name }, { message: `no user named ${name}` });
    const project = await findProject(this.db, name);
    const personal = project && project.owner_user_id === user.id ? project : undefined;
    let repositories: string[] = [];
    let fate: UserRemoval['personalProject'] = 'none';
    if (personal) {
      const held = await repositoryNamesOfProject(this.db, name);
      if (held.length && options.personalProject === undefined) {
        throw new RegistryError('CONFLICT', { user: name, repositories: held.length }, {
          message: `${name}'s personal project holds ${held.length} ${held.length === 1 ? 'repository' : 'repositories'}: say what becomes of it (API: ?personalProject=delete or keep; CLI: --delete-project or --keep-project)`,
        });
      }
      if (options.personalProject === 'keep') {
        await this.db.transaction().execute(async (trx) => {
          if (actor.kind === 'user') await setMember(trx, personal.id, actor.id, 'owner', this.now());
          // The project's owner_user_id becomes null with the user: an organisation project now.
          await deleteUser(trx, user.id);
        });
        fate = 'kept';
        repositories = held;
      } else {
        repositories = await this.projects.dropProject(personal, true, (trx) => deleteUser(trx, user.id));
        fate = 'removed';
      }
    } else {
      await deleteUser(this.db, user.id);
    }
    await this.record({ action: 'user.delete', actor, target: name, detail: { personalProject: fate, repositories: repositories.length } });
    return { user: name, personalProject: fate, repositories };
  }

  /**
   * At every start: makes the administrator `admin` whenever no administrator exists (a first
   * start, or users added offline before it), with BERTH_ADMIN_PASSWORD or a random password
   * that is returned (to be printed once) and never stored in clear. Says why when it does not.
   */
  async bootstrapAdmin(password: string | undefined): Promise<AdminBootstrap> {
    const given = password !== undefined && password !== '';
    if ((await countAdmins(this.db)) > 0) return { created: false, reason: 'exists', ignoredPassword: given };
    if ((await findUserByName(this.db, FIRST_ADMIN)) || (await findProject(this.db, FIRST_ADMIN))) {
      return { created: false, reason: 'name-taken', ignoredPassword: given };
    }
    const pw = given ? password : newSecret(18);
    try {
      await this.insert(FIRST_ADMIN, await hashPassword(pw), true);
    } catch (error) {
      // Another instance made it at the same moment.
      if ((await countAdmins(this.db)) > 0) return { created: false, reason: 'exists', ignoredPassword: given };
      throw error;
    }
    await this.record({ action: 'user.create', actor: { kind: 'system', name: 'system' }, project: FIRST_ADMIN, target: FIRST_ADMIN, detail: { admin: true, bootstrap: true } });
    return { created: true, name: FIRST_ADMIN, password: given ? undefined : pw, generated: !given };
  }

  private async view(name: string): Promise<UserView> {
    return toView((await findUserByName(this.db, name))!);
  }
}

function toView(u: { name: string; is_admin: number; disabled: number; created_at: number }): UserView {
  return { name: u.name, admin: u.is_admin === 1, disabled: u.disabled === 1, createdAt: new Date(u.created_at).toISOString() };
}
