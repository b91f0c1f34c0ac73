// Users: create (with a personal project they own), list, change password, remove.
import { RegistryError } from '../../core/errors.ts';
import { userNameProblem } from '../../core/account-names.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';
import { findProject, insertProject, projectsOfUser, setMember } from '../../metadata/identity/projects.ts';
import { countUsers, deleteUser, findUserByName, insertUser, listUsers, updateUser } from '../../metadata/identity/users.ts';
import { hashPassword, newSecret, passwordProblem } from '../passwords.ts';
import { requireAdmin, type Actor } from './actor.ts';

export interface UserView {
  readonly name: string;
  readonly admin: boolean;
  readonly disabled: boolean;
  readonly createdAt: string;
}

export class UserService {
  constructor(private readonly db: Kysely<Database>, private readonly now: () => number = Date.now) {}

  async create(actor: Actor, name: string, password: string, admin = false): Promise<UserView> {
    requireAdmin(actor);
    const problem = userNameProblem(name);
    if (problem) throw new RegistryError('INVALID_REQUEST', { name }, { message: `user name ${problem}` });
    const pw = passwordProblem(password);
    if (pw) throw new RegistryError('INVALID_REQUEST', undefined, { message: pw });
    if (await findUserByName(this.db, name)) throw new RegistryError('CONFLICT', { name }, { message: `user ${name} already exists` });
    const hash = await hashPassword(password);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      const id = await insertUser(trx, name, hash, admin, now);
      // Every user owns a personal project named after the account, as on Docker Hub.
      let project = await findProject(trx, name);
      if (!project) project = await insertProject(trx, { name, visibility: 'private', ownerUserId: id }, now);
      await setMember(trx, project.id, id, 'owner', now);
    });
    return this.view(name);
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

  /** Admins change anyone's password; users change their own. */
  async setPassword(actor: Actor, name: string, password: string): Promise<void> {
    if (!(actor.kind === 'user' && actor.name === name && !actor.limit)) requireAdmin(actor);
    const pw = passwordProblem(password);
    if (pw) throw new RegistryError('INVALID_REQUEST', undefined, { message: pw });
    const user = await findUserByName(this.db, name);
    if (!user) throw new RegistryError('NOT_FOUND', { user: name }, { message: `no user named ${name}` });
    await updateUser(this.db, user.id, { password_hash: await hashPassword(password) }, this.now());
  }

  async update(actor: Actor, name: string, changes: { admin?: boolean; disabled?: boolean }): Promise<UserView> {
    requireAdmin(actor);
    const user = await findUserByName(this.db, name);
    if (!user) throw new RegistryError('NOT_FOUND', { user: name }, { message: `no user named ${name}` });
    await updateUser(this.db, user.id, {
      ...(changes.admin !== undefined ? { is_admin: changes.admin ? 1 : 0 } : {}),
      ...(changes.disabled !== undefined ? { disabled: changes.disabled ? 1 : 0 } : {}),
    }, this.now());
    return this.view(name);
  }

  async remove(actor: Actor, name: string): Promise<void> {
    requireAdmin(actor);
    if (actor.kind === 'user' && actor.name === name) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'you cannot remove your own account' });
    const user = await findUserByName(this.db, name);
    if (!user) throw new RegistryError('NOT_FOUND', { user: name }, { message: `no user named ${name}` });
    await deleteUser(this.db, user.id);
  }

  /**
   * First start: creates `admin` when there are no users, with BERTH_ADMIN_PASSWORD or a random
   * password that is returned (to be printed once) and never stored in clear.
   */
  async bootstrapAdmin(password: string | undefined): Promise<{ created: boolean; password?: string; generated: boolean }> {
    if ((await countUsers(this.db)) > 0) return { created: false, generated: false };
    const generated = password === undefined || password === '';
    const pw = generated ? newSecret(18) : password;
    const now = this.now();
    const hash = await hashPassword(pw);
    await this.db.transaction().execute(async (trx) => {
      const id = await insertUser(trx, 'admin', hash, true, now);
      const project = (await findProject(trx, 'admin')) ?? (await insertProject(trx, { name: 'admin', visibility: 'private', ownerUserId: id }, now));
      await setMember(trx, project.id, id, 'owner', now);
    });
    return { created: true, password: generated ? pw : undefined, generated };
  }

  private async view(name: string): Promise<UserView> {
    return toView((await findUserByName(this.db, name))!);
  }
}

function toView(u: { name: string; is_admin: number; disabled: number; created_at: number }): UserView {
  return { name: u.name, admin: u.is_admin === 1, disabled: u.disabled === 1, createdAt: new Date(u.created_at).toISOString() };
}
