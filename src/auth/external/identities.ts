// Users who sign in through an external provider (LDAP; docs/access.md): created on their first
// sign-in with their personal project, linked to the provider's id for them (user_identities),
// their group mappings applied at each sign-in, and checked against the provider again within
// the provider's checkIntervalSeconds whenever a token, refresh token or session of theirs is
// used, so that a user removed from the directory loses access within that bound. A provider
// user has no local password: their users.password_hash is a marker no password matches, and it
// versions the credential their tokens carry.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Executor } from '../../metadata/executor.ts';
import { userNameProblem } from '../../core/account-names.ts';
import type { Database } from '../../metadata/schema.ts';
import { findProject, insertProject, removeMember, setMember } from '../../metadata/identity/projects.ts';
import {
  findIdentityBySubject, findIdentityOfUser, insertIdentity, mappingsForGroups, markMapped, membershipsOfUser, unmarkMapped, updateIdentity,
  type UserIdentityRow,
} from '../../metadata/identity/providers.ts';
import { findUserById, findUserByName, insertUser, updateUser, type UserRow } from '../../metadata/identity/users.ts';
import { SYSTEM, type Actor } from '../directory/actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../directory/changes.ts';
import { planMappings } from './mappings.ts';
import { OidcLoginStates } from '../oidc/login-states.ts';
import { hashSecret, newSecret, verifySecret } from '../passwords.ts';
import type { ExternalUser, OidcLogin, PasswordProvider } from './provider.ts';
import { openToken, sealToken, type Sealer } from './sealed-tokens.ts';

export const EXTERNAL_HASH_PREFIX = 'external$';

/** Whether a stored password hash marks a provider user (who has no local password). */
export function isExternalHash(hash: string): boolean {
  return hash.startsWith(EXTERNAL_HASH_PREFIX);
}

/** A provider user's password_hash: matches no password, and versions the tokens minted from their sign-ins. */
function marker(provider: string): string {
  return `${EXTERNAL_HASH_PREFIX}${provider}$${randomBytes(12).toString('base64url')}`;
}

/** Migration 018's column of user_identities (only this file reads or writes it). */
function withCliSecretTime(db: Executor) {
  return db.withTables<{ user_identities: { cli_secret_created_at: number | null } }>();
}

async function setCliSecretCreated(db: Executor, userId: number, at: number | null): Promise<void> {
  await withCliSecretTime(db).updateTable('user_identities').set({ cli_secret_created_at: at }).where('user_id', '=', userId).execute();
}

export type ExternalLogin =
  | { readonly ok: true; readonly user: UserRow; readonly provider: string }
  | { readonly ok: false; readonly reason: string; readonly unavailable?: boolean };

const INVALID: ExternalLogin = { ok: false, reason: 'invalid username or password' };

export class ExternalIdentities {
  private readonly byName: Map<string, PasswordProvider>;
  private readonly checks = new Map<number, Promise<boolean>>();
  /** OpenID Connect providers, by name (their users sign in through the browser, then use CLI secrets). */
  readonly oidc = new Map<string, OidcLogin>();
  /** OIDC browser sign-ins in progress, in the database (any instance may get the callback). */
  readonly oidcLogins: OidcLoginStates;

  constructor(
    private readonly db: Kysely<Database>,
    readonly providers: readonly PasswordProvider[],
    private readonly record: ChangeRecorder = IGNORE_CHANGES,
    private readonly warn: (message: string) => void = () => {},
    private readonly now: () => number = Date.now,
    /** Seals OIDC refresh tokens at rest (the installation's secret box, made at first use). */
    private readonly secrets: () => Sealer = () => { throw new Error('no secret box to seal OIDC refresh tokens with'); },
  ) {
    this.byName = new Map(providers.map((p) => [p.name, p]));
    this.oidcLogins = new OidcLoginStates(db, undefined, now);
  }

  get enabled(): boolean {
    return this.providers.length > 0;
  }

  /** A user the OIDC provider `name` vouched for (the browser flow's callback): signed in, created on first sign-in. */
  async signInOidc(name: string, user: ExternalUser, refreshToken?: string): Promise<ExternalLogin> {
    if (!this.oidc.has(name)) return { ok: false, reason: `no OIDC provider named ${name}` };
    const login = await this.signIn({ name }, user);
    if (login.ok && refreshToken) await updateIdentity(this.db, login.user.id, { refresh_token: sealToken(this.secrets(), refreshToken) });
    return login;
  }

  /**
   * A new CLI secret for an OIDC user (their docker/podman password), shown once. The previous
   * one stops, and so does every token and refresh token minted from it: the user's credential
   * marker (their password_hash, which versions those tokens) changes with it.
   */
  async newCliSecret(actor: Actor & { readonly id: number }): Promise<string> {
    const identity = await findIdentityOfUser(this.db, actor.id);
    if (!identity || !this.oidc.has(identity.provider)) throw new Error('CLI secrets are for users of an OIDC provider');
    const secret = `bcli_${newSecret(32)}`;
    await this.db.transaction().execute(async (trx) => {
      await updateIdentity(trx, actor.id, { cli_secret_hash: hashSecret(secret) });
      await setCliSecretCreated(trx, actor.id, this.now());
      await updateUser(trx, actor.id, { password_hash: marker(identity.provider) }, this.now());
    });
    await this.record({ action: 'cli-secret.create', actor, target: actor.name });
    return secret;
  }

  /** Ends the user's CLI secret and the tokens minted from it; false when they had none. */
  async revokeCliSecret(actor: Actor & { readonly id: number }): Promise<boolean> {
    const identity = await findIdentityOfUser(this.db, actor.id);
    if (!identity?.cli_secret_hash) return false;
    await this.db.transaction().execute(async (trx) => {
      await updateIdentity(trx, actor.id, { cli_secret_hash: null });
      await setCliSecretCreated(trx, actor.id, null);
      await updateUser(trx, actor.id, { password_hash: marker(identity.provider) }, this.now());
    });
    await this.record({ action: 'cli-secret.revoke', actor, target: actor.name });
    return true;
  }

  /**
   * An OIDC user's CLI secret: whether they have one, and since when (unknown for one made before
   * migration 018). Undefined for users of no OIDC provider.
   */
  async cliSecretOf(userId: number): Promise<{ exists: boolean; createdAt?: number } | undefined> {
    const row = await withCliSecretTime(this.db).selectFrom('user_identities').select(['provider', 'cli_secret_hash', 'cli_secret_created_at'])
      .where('user_id', '=', userId).executeTakeFirst();
    if (!row || !this.oidc.has(row.provider)) return undefined;
    if (!row.cli_secret_hash) return { exists: false };
    return { exists: true, ...(row.cli_secret_created_at !== null ? { createdAt: Number(row.cli_secret_created_at) } : {}) };
  }

  /** Whether the user signs in through an OIDC provider (and so may have a CLI secret). */
  async isOidcUser(userId: number): Promise<boolean> {
    const identity = await findIdentityOfUser(this.db, userId);
    return identity !== undefined && this.oidc.has(identity.provider);
  }

  /** A name no local user holds: the providers are asked in order; the first that knows the password signs the user in. */
  async loginNew(username: string, password: string): Promise<ExternalLogin> {
    let unavailable = false;
    for (const provider of this.providers) {
      const check = await provider.authenticate(username, password);
      if (check.status === 'ok') return this.signIn(provider, check.user);
      if (check.status === 'unavailable') {
        unavailable = true;
        this.warn(`provider ${provider.name}: ${check.reason}`);
      }
    }
    return unavailable ? { ok: false, reason: 'the directory could not be reached; try again later', unavailable: true } : INVALID;
  }

  /** A user of a provider signs in again: their provider checks the password. */
  async loginLinked(user: UserRow, password: string): Promise<ExternalLogin> {
    const identity = await findIdentityOfUser(this.db, user.id);
    if (identity && this.oidc.has(identity.provider)) {
      // An OIDC user's docker/podman password is their CLI secret, honoured while the provider vouches for them.
      if (!identity.cli_secret_hash || !verifySecret(password, identity.cli_secret_hash)) {
        // A directory user of the same name is told that the name is taken, clearly.
        for (const ldap of this.providers) {
          if ((await ldap.authenticate(user.name, password)).status === 'ok') {
            return { ok: false, reason: `the name ${user.name} already belongs to a user of provider ${identity.provider}, so the ${ldap.name} user of that name cannot sign in; ask an administrator` };
          }
        }
        return INVALID;
      }
      if (!(await this.stillValid(user.id))) return { ok: false, reason: `your sign-in at ${identity.provider} has ended (disabled, or the provider cannot be reached); sign in through the web UI again` };
      return { ok: true, user, provider: identity.provider };
    }
    const provider = identity ? this.byName.get(identity.provider) : undefined;
    if (!identity || !provider) return { ok: false, reason: `${user.name} signs in through a provider that is no longer configured; ask an administrator` };
    const check = await provider.authenticate(user.name, password);
    if (check.status === 'unavailable') {
      this.warn(`provider ${provider.name}: ${check.reason}`);
      return { ok: false, reason: `the directory of provider ${provider.name} could not be reached; try again later`, unavailable: true };
    }
    if (check.status !== 'ok') return INVALID;
    return this.signIn(provider, check.user);
  }

  /**
   * A local account's password did not match: when a provider knows this name with this password,
   * the answer says that the name is taken locally (rather than a bare "invalid password").
   */
  async conflictReason(username: string, password: string): Promise<string | undefined> {
    for (const provider of this.providers) {
      const check = await provider.authenticate(username, password);
      if (check.status === 'ok') {
        return `the name ${check.user.username} is a local account of this registry, so the ${provider.name} user of that name cannot sign in; ask an administrator to rename one of them`;
      }
    }
    return undefined;
  }

  /**
   * Whether a provider user's tokens and sessions still hold: yes for local users; for provider
   * users, yes while their provider vouched for them within its check interval, and otherwise
   * after asking it again (once at a time per user). A user the provider no longer has, or a
   * provider that cannot be asked, ends them.
   */
  async stillValid(userId: number): Promise<boolean> {
    const identity = await findIdentityOfUser(this.db, userId);
    if (!identity) return true;
    const provider = this.byName.get(identity.provider);
    const oidc = this.oidc.get(identity.provider);
    if (!provider && !oidc) return false;
    if (this.now() - Number(identity.checked_at) < (provider ?? oidc)!.checkIntervalMs) return true;
    let pending = this.checks.get(userId);
    if (!pending) {
      pending = (provider ? this.recheck(provider, identity) : this.recheckOidc(oidc!, identity)).finally(() => this.checks.delete(userId));
      this.checks.set(userId, pending);
    }
    return pending;
  }

  private async recheck(provider: PasswordProvider, identity: UserIdentityRow): Promise<boolean> {
    const user = await findUserById(this.db, identity.user_id);
    if (!user || user.disabled) return false;
    const check = await provider.refresh(identity.subject, user.name);
    if (check.status === 'ok') {
      await this.applyMappings(provider.name, user, check.user);
      return true;
    }
    if (check.status === 'unavailable') this.warn(`provider ${provider.name}: ${check.reason}`);
    if (check.status === 'gone') {
      // Whatever the mappings gave goes now; the user's own project stays for an administrator to decide.
      await this.applyMappings(provider.name, user, { subject: identity.subject, username: user.name, groups: [] }, false);
    }
    return false;
  }

  /**
   * Asks the OIDC provider about the user with their refresh token, and applies the groups it
   * names now to their mappings. Across instances one asks at a time: the check is claimed by
   * moving checked_at (compare-and-set), because a provider that rotates refresh tokens refuses,
   * and may revoke, a token used twice. While one instance asks, the others take the claim as a
   * recent check; a failed check puts checked_at back, so that the next use asks again.
   */
  private async recheckOidc(provider: OidcLogin, identity: UserIdentityRow): Promise<boolean> {
    const user = await findUserById(this.db, identity.user_id);
    if (!user || user.disabled || !identity.refresh_token) return false;
    let stored: { token: string; sealed: boolean };
    try {
      stored = openToken(this.secrets(), identity.refresh_token);
    } catch {
      this.warn(`provider ${provider.name}: the refresh token of ${user.name} cannot be opened (another secret key?); they must sign in through the web UI again`);
      return false;
    }
    const claimed = await this.db.updateTable('user_identities').set({ checked_at: this.now() })
      .where('user_id', '=', user.id).where('checked_at', '=', identity.checked_at).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) {
      const now = await findIdentityOfUser(this.db, user.id);
      return now !== undefined && this.now() - Number(now.checked_at) < provider.checkIntervalMs;
    }
    const check = await provider.refresh(stored.token, identity.subject);
    if (check.status === 'ok') {
      const token = check.refreshToken ?? (stored.sealed ? undefined : stored.token);
      if (token) await updateIdentity(this.db, user.id, { refresh_token: sealToken(this.secrets(), token) });
      if (check.groups) {
        const email = check.email ?? identity.email ?? undefined;
        await this.applyMappings(provider.name, user, {
          subject: identity.subject, username: user.name, groups: check.groups,
          ...(email ? { email } : {}), ...(identity.display_name ? { displayName: identity.display_name } : {}),
        });
      }
      return true;
    }
    await updateIdentity(this.db, user.id, { checked_at: Number(identity.checked_at) });
    if (check.status === 'unavailable') this.warn(`provider ${provider.name}: ${check.reason}`);
    else await this.applyMappings(provider.name, user, { subject: identity.subject, username: user.name, groups: [] }, false);
    return false;
  }

  private async signIn(provider: { readonly name: string }, ext: ExternalUser): Promise<ExternalLogin> {
    const linked = await findIdentityBySubject(this.db, provider.name, ext.subject);
    let user: UserRow | undefined;
    if (linked) {
      user = await findUserById(this.db, linked.user_id);
      if (!user) return INVALID;
    } else {
      const made = await this.provision(provider, ext);
      if (!made.ok) return made;
      user = made.user;
    }
    if (user.disabled) return { ok: false, reason: 'this account is disabled' };
    user = await this.applyMappings(provider.name, user, ext);
    return { ok: true, user, provider: provider.name };
  }

  /** Creates the user of a first sign-in, with their personal project, if the name is free. */
  private async provision(provider: { readonly name: string }, ext: ExternalUser): Promise<ExternalLogin> {
    const name = ext.username;
    const problem = userNameProblem(name);
    if (problem) return { ok: false, reason: `the ${provider.name} user name ${JSON.stringify(name.slice(0, 64))} cannot be a user name here: it ${problem}` };
    const conflict = await this.nameConflict(provider.name, name);
    if (conflict) return { ok: false, reason: conflict };
    const now = this.now();
    try {
      await this.db.transaction().execute(async (trx) => {
        const id = await insertUser(trx, name, marker(provider.name), false, now);
        const project = await insertProject(trx, { name, visibility: 'private', ownerUserId: id }, now);
        await setMember(trx, project.id, id, 'owner', now);
        await insertIdentity(trx, { userId: id, provider: provider.name, subject: ext.subject, ...(ext.email ? { email: ext.email } : {}), ...(ext.displayName ? { displayName: ext.displayName } : {}), now });
      });
    } catch (error) {
      // Another sign-in made the same user at the same moment; or the name was taken meanwhile.
      const again = await findIdentityBySubject(this.db, provider.name, ext.subject);
      if (again) {
        const user = await findUserById(this.db, again.user_id);
        if (user) return { ok: true, user, provider: provider.name };
      }
      const late = await this.nameConflict(provider.name, name);
      if (late) return { ok: false, reason: late };
      throw error;
    }
    await this.record({ action: 'user.create', actor: SYSTEM, project: name, target: name, detail: { provider: provider.name } });
    return { ok: true, user: (await findUserByName(this.db, name))!, provider: provider.name };
  }

  /** Why `name` cannot become a user of `provider`: held by a local account, another provider's user, or a project. */
  private async nameConflict(provider: string, name: string): Promise<string | undefined> {
    const existing = await findUserByName(this.db, name);
    if (existing) {
      const identity = await findIdentityOfUser(this.db, existing.id);
      if (!identity) return `the name ${name} is a local account of this registry, so the ${provider} user of that name cannot sign in; ask an administrator to rename one of them`;
      if (identity.provider !== provider) return `the name ${name} already belongs to a user of provider ${identity.provider}, so the ${provider} user of that name cannot sign in; ask an administrator`;
      return `the name ${name} already belongs to another ${provider} entry (${identity.subject}); ask an administrator`;
    }
    if (await findProject(this.db, name)) {
      return `the name ${name} is taken by a project: users and projects share one namespace, so the ${provider} user ${name} cannot sign in; ask an administrator`;
    }
    return undefined;
  }

  /**
   * Applies the user's group mappings (see mappings.ts) and records what the provider said
   * (groups, email, the time of the check). Returns the user row as it is afterwards.
   */
  private async applyMappings(provider: string, user: UserRow, ext: ExternalUser, checked = true): Promise<UserRow> {
    const changes: { action: string; project?: string; target: string; detail: Record<string, unknown> }[] = [];
    await this.db.transaction().execute(async (trx) => {
      const identity = await findIdentityOfUser(trx, user.id);
      const mappings = await mappingsForGroups(trx, provider, ext.groups);
      const memberships = await membershipsOfUser(trx, user.id);
      const plan = planMappings({
        memberships: memberships.map((m) => ({ projectId: m.project_id, role: m.role, mapped: m.mapped })),
        mappings: mappings.map((m) => ({ projectId: m.project_id === null ? null : Number(m.project_id), role: m.role })),
        isAdmin: user.is_admin === 1,
        adminFromMapping: identity?.admin_from_mapping === 1,
      });
      const now = this.now();
      const projectName = new Map(mappings.filter((m) => m.project !== null).map((m) => [Number(m.project_id), m.project!]));
      for (const s of plan.set) {
        await setMember(trx, s.projectId, user.id, s.role, now);
        await markMapped(trx, s.projectId, user.id);
        changes.push({ action: 'member.set', project: projectName.get(s.projectId), target: user.name, detail: { role: s.role, via: `group mapping of ${provider}` } });
      }
      for (const projectId of plan.remove) {
        const p = await trx.selectFrom('projects').select('name').where('id', '=', projectId).executeTakeFirst();
        await removeMember(trx, projectId, user.id);
        await unmarkMapped(trx, projectId, user.id);
        changes.push({ action: 'member.remove', ...(p ? { project: p.name } : {}), target: user.name, detail: { via: `group mapping of ${provider}` } });
      }
      if (plan.admin) {
        await updateUser(trx, user.id, { is_admin: plan.admin.admin ? 1 : 0 }, now);
        changes.push({ action: 'user.update', target: user.name, detail: { admin: plan.admin.admin, via: `group mapping of ${provider}` } });
      }
      await updateIdentity(trx, user.id, {
        groups: JSON.stringify(ext.groups),
        ...(plan.admin ? { admin_from_mapping: plan.admin.fromMapping ? 1 : 0 } : {}),
        ...(checked ? { checked_at: now, email: ext.email ?? null, display_name: ext.displayName ?? null } : {}),
      });
    });
    for (const c of changes) await this.record({ ...c, actor: SYSTEM });
    return changes.length ? ((await findUserById(this.db, user.id)) ?? user) : user;
  }
}
