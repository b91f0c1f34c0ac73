// Browser sessions for the web UI (docs/discovery.md, Cookie sessions and CSRF): a random 32-byte
// secret goes into the cookie, only its SHA-256 into the DB. Sessions last 12 h from the last
// use (sliding; the row is refreshed at most once a minute) and end at sign-out, when the user
// is deleted or disabled, and when their password changes (all but the session that changed it).
// Expired rows are removed when met.
import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from '../metadata/executor.ts';
import { deleteExpiredSessions, deleteSession, findSession, insertSession, touchSession } from '../metadata/identity/sessions.ts';
import { isExternalHash } from './external/identities.ts';
import type { UserPrincipal } from './principal.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const REFRESH_AFTER_MS = 60_000;
/** Sign-ins sweep expired rows at most this often (sessions nobody comes back to). */
const PURGE_EVERY_MS = 60 * 60 * 1000;
/** 32 bytes in base64url. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface SessionLookup {
  readonly principal: UserPrincipal;
  /** Set when this use slid the expiry forward (the cookie may be re-sent with a fresh lifetime). */
  readonly refreshed: boolean;
}

export class SessionService {
  private lastPurge = 0;

  constructor(
    private readonly db: Executor,
    private readonly now: () => number = Date.now,
    /** Provider users' sessions hold only while their provider still vouches for them (ExternalIdentities.stillValid). */
    private readonly stillValid?: (userId: number) => Promise<boolean>,
  ) {}

  /** Starts a session for the user; returns the cookie secret (shown once, never stored). */
  async create(userId: number): Promise<{ secret: string; expiresAt: number }> {
    const secret = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = now + SESSION_TTL_MS;
    await insertSession(this.db, { idHash: hashOf(secret), userId, now, expiresAt });
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      await this.purgeExpired();
    }
    return { secret, expiresAt };
  }

  /** The signed-in user, or undefined for an unknown, expired or forged secret or a disabled user. */
  async resolve(secret: string): Promise<SessionLookup | undefined> {
    if (!SECRET.test(secret)) return undefined;
    const idHash = hashOf(secret);
    const row = await findSession(this.db, idHash);
    if (!row) return undefined;
    const now = this.now();
    if (row.expires_at <= now) {
      await deleteSession(this.db, idHash);
      return undefined;
    }
    if (row.disabled) return undefined;
    if (isExternalHash(row.password_hash) && !(this.stillValid && (await this.stillValid(row.user_id)))) return undefined;
    let refreshed = false;
    if (now - row.last_seen_at >= REFRESH_AFTER_MS) {
      await touchSession(this.db, idHash, now, now + SESSION_TTL_MS);
      refreshed = true;
    }
    return { principal: { kind: 'user', id: row.user_id, name: row.user_name, admin: row.is_admin === 1 }, refreshed };
  }

  /** Ends the session (sign-out); false when there was none. */
  async destroy(secret: string): Promise<boolean> {
    if (!SECRET.test(secret)) return false;
    return deleteSession(this.db, hashOf(secret));
  }

  /** Removes every expired session (optional housekeeping; expired ones are refused anyway). */
  async purgeExpired(): Promise<number> {
    return deleteExpiredSessions(this.db, this.now());
  }
}

/** The id a session is stored under (the SHA-256 of its cookie secret). */
export function sessionIdHash(secret: string): string {
  return hashOf(secret);
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
