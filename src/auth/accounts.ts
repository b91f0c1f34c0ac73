// Checks credentials (built-in auth mode): a user's password, a user's personal access token
// (usable as the password in `docker login`), or a robot's secret. Failed logins are rate-limited
// per account and address; good password checks are remembered briefly, keyed by a hash.
import { createHash } from 'node:crypto';
import type { Executor } from '../metadata/executor.ts';
import { findRobot, robotPermissions } from '../metadata/identity/robots.ts';
import { findAccessToken, touchAccessToken } from '../metadata/identity/tokens.ts';
import { findUserById, findUserByName } from '../metadata/identity/users.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { verifyPassword, verifySecret } from './passwords.ts';
import { parseActions, type Principal } from './principal.ts';
import type { Action } from './provider.ts';

export const ROBOT_PREFIX = 'robot$';
/** Personal access tokens look like bpat_<id>_<secret>. */
const PAT = /^bpat_(\d{1,15})_([A-Za-z0-9_-]{20,200})$/;

export type LoginResult =
  | { ok: true; principal: Principal; via: 'password' | 'token' | 'robot' }
  | { ok: false; reason: string; retryAfterMs?: number };

const REMEMBER_MS = 60_000;

export class Accounts {
  private readonly remembered = new Map<string, number>();

  constructor(private readonly db: Executor, private readonly limiter: LoginLimiter, private readonly now: () => number = Date.now) {}

  async login(username: string, secret: string, address: string): Promise<LoginResult> {
    const wait = this.limiter.retryAfter(username, address);
    if (wait > 0) return { ok: false, reason: 'too many failed logins; try again later', retryAfterMs: wait };
    const result = username.startsWith(ROBOT_PREFIX) ? await this.robot(username, secret) : await this.user(username, secret);
    if (result.ok) this.limiter.succeed(username, address);
    else this.limiter.fail(username, address);
    return result;
  }

  /** Re-reads an account by name (for refresh tokens and bearer tokens): undefined if gone or disabled. */
  async principalByName(name: string): Promise<Principal | undefined> {
    if (name.startsWith(ROBOT_PREFIX)) {
      const robot = await findRobot(this.db, name);
      if (!robot || robot.disabled || (robot.expires_at !== null && robot.expires_at <= this.now())) return undefined;
      return { kind: 'robot', id: robot.id, name: robot.name, permissions: await this.robotPermissionMap(robot.id) };
    }
    const user = await findUserByName(this.db, name);
    if (!user || user.disabled) return undefined;
    return { kind: 'user', id: user.id, name: user.name, admin: user.is_admin === 1 };
  }

  private async user(username: string, secret: string): Promise<LoginResult> {
    const denied: LoginResult = { ok: false, reason: 'invalid username or password' };
    const pat = PAT.exec(secret);
    if (pat) return this.accessToken(username, Number(pat[1]), pat[2]!);
    const user = await findUserByName(this.db, username);
    if (!user || user.disabled) {
      // Spend the same time as a real check, so timing does not reveal which accounts exist.
      await verifyPassword(secret, DUMMY_HASH);
      return denied;
    }
    const key = createHash('sha256').update(`${user.id}\0${user.password_hash}\0${secret}`).digest('base64');
    const until = this.remembered.get(key);
    if (!(until && until > this.now())) {
      if (!(await verifyPassword(secret, user.password_hash))) return denied;
      if (this.remembered.size > 10_000) this.remembered.clear();
      this.remembered.set(key, this.now() + REMEMBER_MS);
    }
    return { ok: true, via: 'password', principal: { kind: 'user', id: user.id, name: user.name, admin: user.is_admin === 1 } };
  }

  private async accessToken(username: string, id: number, secret: string): Promise<LoginResult> {
    const denied: LoginResult = { ok: false, reason: 'invalid or expired access token' };
    const token = await findAccessToken(this.db, id);
    if (!token || !verifySecret(`bpat_${id}_${secret}`, token.secret_hash)) return denied;
    if (token.expires_at !== null && token.expires_at <= this.now()) return denied;
    const user = await findUserById(this.db, token.user_id);
    if (!user || user.disabled || user.name !== username) return denied;
    await touchAccessToken(this.db, id, this.now());
    const projects = token.projects ? new Set(token.projects.split(',').filter(Boolean)) : undefined;
    return {
      ok: true,
      via: 'token',
      principal: { kind: 'user', id: user.id, name: user.name, admin: user.is_admin === 1, limit: { actions: parseActions(token.actions), projects } },
    };
  }

  private async robot(name: string, secret: string): Promise<LoginResult> {
    const robot = await findRobot(this.db, name);
    if (!robot || !verifySecret(secret, robot.secret_hash)) return { ok: false, reason: 'invalid robot name or secret' };
    if (robot.disabled) return { ok: false, reason: 'robot account is disabled' };
    if (robot.expires_at !== null && robot.expires_at <= this.now()) return { ok: false, reason: 'robot account has expired' };
    return { ok: true, via: 'robot', principal: { kind: 'robot', id: robot.id, name: robot.name, permissions: await this.robotPermissionMap(robot.id) } };
  }

  private async robotPermissionMap(robotId: number): Promise<Map<string, Set<Action>>> {
    return new Map((await robotPermissions(this.db, robotId)).map((p) => [p.project, parseActions(p.actions)]));
  }
}

// scrypt of a random string: verifying against it costs what a real check costs.
const DUMMY_HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$0eQW0XbM0xQ5p4qZ6n8gR0gM3m9i1u1f7g2yXkGf9mA=';
