// Checks credentials (built-in auth mode): a user's password, a user's personal access token
// (usable as the password in `docker login`), or a robot's secret. Failed logins are rate-limited
// per account and address; good password checks are remembered briefly, keyed by a hash.
// A login names the credential it used (credential.ts); tokens minted from it carry that name and
// are re-checked against it here, so they stop when it is revoked, rotated or changed.
import { createHash } from 'node:crypto';
import type { Executor } from '../metadata/executor.ts';
import { findRobot, findRobotById, robotPermissions, type RobotRow } from '../metadata/identity/robots.ts';
import { findAccessToken, touchAccessToken, type AccessTokenRow } from '../metadata/identity/tokens.ts';
import { findUserById, findUserByName, type UserRow } from '../metadata/identity/users.ts';
import { secretVersion, type CredentialRef } from './credential.ts';
import { isExternalHash, type ExternalIdentities, type ExternalLogin } from './external/identities.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { verifyPassword, verifySecret } from './passwords.ts';
import { parseActions, type Principal } from './principal.ts';

export const ROBOT_PREFIX = 'robot$';
/** Personal access tokens look like bpat_<id>_<secret>. */
const PAT = /^bpat_(\d{1,15})_([A-Za-z0-9_-]{20,200})$/;

export type LoginResult =
  | { ok: true; principal: Principal; via: 'password' | 'token' | 'robot'; credential: CredentialRef; /** The identity provider that checked the password (LDAP), if not the local accounts. */ provider?: string }
  | { ok: false; reason: string; retryAfterMs?: number; /** The provider could not be asked: not the caller's failure, so not counted against them. */ unavailable?: boolean };

const REMEMBER_MS = 60_000;
/**
 * How long a credential found alive is trusted for bearer tokens before it is read again: the
 * longest a token outlives its credential, on this instance or any other.
 */
const LIVE_CHECK_MS = 2_000;
const MAX_LIVE_ENTRIES = 10_000;

export class Accounts {
  private readonly remembered = new Map<string, number>();
  private readonly live = new Map<string, { principal: Principal | undefined; until: number }>();

  /** Identity providers besides the local accounts (LDAP), when configured. */
  external?: ExternalIdentities;

  constructor(private readonly db: Executor, private readonly limiter: LoginLimiter, private readonly now: () => number = Date.now) {}

  async login(username: string, secret: string, address: string): Promise<LoginResult> {
    const wait = this.limiter.retryAfter(username, address);
    if (wait > 0) return { ok: false, reason: 'too many failed logins; try again later', retryAfterMs: wait };
    const result = username.startsWith(ROBOT_PREFIX) ? await this.robot(username, secret) : await this.user(username, secret);
    if (result.ok) this.limiter.succeed(username, address);
    else if (!result.unavailable) this.limiter.fail(username, address);
    return result;
  }

  /**
   * Who a credential acts as now, with exactly the rights it carries (an access token's limits,
   * a robot's permissions), or undefined when it is no longer valid: revoked, rotated, expired,
   * disabled, a password changed since, or the account disabled or gone.
   */
  async principalOf(ref: CredentialRef): Promise<Principal | undefined> {
    switch (ref.kind) {
      case 'password': {
        const user = await findUserById(this.db, ref.userId);
        if (!user || user.disabled || secretVersion(user.password_hash) !== ref.version) return undefined;
        // A provider user's credential dies with their entry at the provider (checked within its interval).
        if (isExternalHash(user.password_hash) && !(this.external && (await this.external.stillValid(user.id)))) return undefined;
        return userPrincipal(user);
      }
      case 'token': {
        const token = await findAccessToken(this.db, ref.tokenId);
        if (!token || token.user_id !== ref.userId || (token.expires_at !== null && token.expires_at <= this.now())) return undefined;
        const user = await findUserById(this.db, token.user_id);
        if (user && isExternalHash(user.password_hash) && !(this.external && (await this.external.stillValid(user.id)))) return undefined;
        return user && !user.disabled ? tokenPrincipal(user, token) : undefined;
      }
      case 'robot': {
        const robot = await findRobotById(this.db, ref.robotId);
        if (!robot || !this.robotUsable(robot) || secretVersion(robot.secret_hash) !== ref.version) return undefined;
        return this.robotPrincipal(robot);
      }
    }
  }

  /**
   * principalOf for bearer tokens on every request: the answer is reused for a moment
   * (LIVE_CHECK_MS), so a token costs a DB read at most every two seconds, and stops at most
   * that long after its credential did, whichever instance revoked it.
   */
  async livePrincipal(ref: CredentialRef, key: string): Promise<Principal | undefined> {
    const now = this.now();
    const hit = this.live.get(key);
    if (hit && hit.until > now) return hit.principal;
    const principal = await this.principalOf(ref);
    if (this.live.size >= MAX_LIVE_ENTRIES) this.live.clear();
    this.live.set(key, { principal, until: now + LIVE_CHECK_MS });
    return principal;
  }

  /** Forgets what livePrincipal remembered (a credential changed on this instance). */
  forgetLive(): void {
    this.live.clear();
  }

  private async user(username: string, secret: string): Promise<LoginResult> {
    const denied: LoginResult = { ok: false, reason: 'invalid username or password' };
    const pat = PAT.exec(secret);
    if (pat) return this.accessToken(username, Number(pat[1]), pat[2]!);
    const user = await findUserByName(this.db, username);
    if (user && isExternalHash(user.password_hash)) {
      // A provider user (LDAP): their provider checks the password, never a local hash.
      if (user.disabled || !this.external) return denied;
      return this.fromExternal(await this.external.loginLinked(user, secret));
    }
    if (!user && this.external?.enabled) return this.fromExternal(await this.external.loginNew(username, secret));
    if (!user || user.disabled) {
      // Spend the same time as a real check, so timing does not reveal which accounts exist.
      await verifyPassword(secret, DUMMY_HASH);
      return denied;
    }
    const key = createHash('sha256').update(`${user.id}\0${user.password_hash}\0${secret}`).digest('base64');
    const until = this.remembered.get(key);
    if (!(until && until > this.now())) {
      if (!(await verifyPassword(secret, user.password_hash))) {
        // The name is a local account's; a provider user of the same name is told so, clearly.
        const conflict = this.external?.enabled ? await this.external.conflictReason(username, secret) : undefined;
        return conflict ? { ok: false, reason: conflict } : denied;
      }
      if (this.remembered.size > 10_000) this.remembered.clear();
      this.remembered.set(key, this.now() + REMEMBER_MS);
    }
    return { ok: true, via: 'password', principal: userPrincipal(user), credential: { kind: 'password', userId: user.id, version: secretVersion(user.password_hash) } };
  }

  private fromExternal(login: ExternalLogin): LoginResult {
    if (!login.ok) return { ok: false, reason: login.reason, ...(login.unavailable ? { unavailable: true } : {}) };
    const user = login.user;
    return {
      ok: true, via: 'password', provider: login.provider, principal: userPrincipal(user),
      credential: { kind: 'password', userId: user.id, version: secretVersion(user.password_hash) },
    };
  }

  private async accessToken(username: string, id: number, secret: string): Promise<LoginResult> {
    const denied: LoginResult = { ok: false, reason: 'invalid or expired access token' };
    const token = await findAccessToken(this.db, id);
    if (!token || !verifySecret(`bpat_${id}_${secret}`, token.secret_hash)) return denied;
    if (token.expires_at !== null && token.expires_at <= this.now()) return denied;
    const user = await findUserById(this.db, token.user_id);
    if (!user || user.disabled || user.name !== username) return denied;
    if (isExternalHash(user.password_hash) && !(this.external && (await this.external.stillValid(user.id)))) return denied;
    await touchAccessToken(this.db, id, this.now());
    return { ok: true, via: 'token', principal: tokenPrincipal(user, token), credential: { kind: 'token', tokenId: token.id, userId: user.id } };
  }

  private async robot(name: string, secret: string): Promise<LoginResult> {
    const robot = await findRobot(this.db, name);
    if (!robot || !verifySecret(secret, robot.secret_hash)) return { ok: false, reason: 'invalid robot name or secret' };
    if (robot.disabled) return { ok: false, reason: 'robot account is disabled' };
    if (robot.expires_at !== null && robot.expires_at <= this.now()) return { ok: false, reason: 'robot account has expired' };
    return { ok: true, via: 'robot', principal: await this.robotPrincipal(robot), credential: { kind: 'robot', robotId: robot.id, version: secretVersion(robot.secret_hash) } };
  }

  private robotUsable(robot: RobotRow): boolean {
    return !robot.disabled && (robot.expires_at === null || robot.expires_at > this.now());
  }

  private async robotPrincipal(robot: RobotRow): Promise<Principal> {
    const permissions = new Map((await robotPermissions(this.db, robot.id)).map((p) => [p.project, parseActions(p.actions)]));
    return { kind: 'robot', id: robot.id, name: robot.name, permissions };
  }
}

function userPrincipal(user: UserRow): Principal {
  return { kind: 'user', id: user.id, name: user.name, admin: user.is_admin === 1 };
}

/** A user acting through an access token: the token's actions, and its projects when it names any. */
function tokenPrincipal(user: UserRow, token: AccessTokenRow): Principal {
  const projects = token.projects ? new Set(token.projects.split(',').filter(Boolean)) : undefined;
  return { kind: 'user', id: user.id, name: user.name, admin: user.is_admin === 1, limit: { actions: parseActions(token.actions), projects } };
}

// scrypt of a random string: verifying against it costs what a real check costs.
const DUMMY_HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$0eQW0XbM0xQ5p4qZ6n8gR0gM3m9i1u1f7g2yXkGf9mA=';
