// OpenID Connect sign-ins in progress (migration 018; docs/access.md, OIDC): between
// GET /auth/oidc/<name>/login and its callback, the nonce, the PKCE verifier and the redirect URI
// wait in the database, so that the callback may reach any instance behind a load balancer
// without stickiness (docs/scale-out.md). A row is keyed by the SHA-256 of the state (the state
// itself never reaches the database), is taken exactly once (deleted as it is read, so a replayed
// callback finds nothing), and expires after ttlMs; expired rows are purged as new sign-ins start.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';

/** Migration 018's table (typed here: only this file reads or writes it). */
interface OidcLoginsTable {
  state_hash: string;
  provider: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  created_at: number;
  expires_at: number;
}

export interface PendingLogin {
  readonly provider: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
}

function stateHash(state: string): string {
  return createHash('sha256').update(state).digest('base64url');
}

export class OidcLoginStates {
  private readonly db: Kysely<Database & { oidc_logins: OidcLoginsTable }>;

  constructor(db: Kysely<Database>, readonly ttlMs = 10 * 60_000, private readonly now: () => number = Date.now, private readonly max = 10_000) {
    this.db = db.withTables<{ oidc_logins: OidcLoginsTable }>();
  }

  /**
   * Keeps a sign-in that has just started (and drops the ones that expired). False when `max`
   * sign-ins are already waiting: anyone may start one, so their number is bounded.
   */
  async put(state: string, login: PendingLogin): Promise<boolean> {
    const now = this.now();
    await this.db.deleteFrom('oidc_logins').where('expires_at', '<=', now).execute();
    if ((await this.count()) >= this.max) return false;
    await this.db.insertInto('oidc_logins').values({
      state_hash: stateHash(state), provider: login.provider, nonce: login.nonce, code_verifier: login.codeVerifier,
      redirect_uri: login.redirectUri, created_at: now, expires_at: now + this.ttlMs,
    }).execute();
    return true;
  }

  /**
   * Takes the sign-in of this state, once: the row is deleted in the same statement that reads it,
   * so of two callbacks with one state (a replay, on this instance or another) only one gets it.
   * Undefined when there is none, it expired, or it is another provider's.
   */
  async take(state: string, provider: string): Promise<PendingLogin | undefined> {
    if (!state) return undefined;
    const row = await this.db.deleteFrom('oidc_logins').where('state_hash', '=', stateHash(state))
      .returning(['provider', 'nonce', 'code_verifier', 'redirect_uri', 'expires_at']).executeTakeFirst();
    if (!row || row.provider !== provider || Number(row.expires_at) <= this.now()) return undefined;
    return { provider: row.provider, nonce: row.nonce, codeVerifier: row.code_verifier, redirectUri: row.redirect_uri };
  }

  /** How many sign-ins are waiting (expired ones included until the next purge). */
  async count(): Promise<number> {
    const r = await this.db.selectFrom('oidc_logins').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
