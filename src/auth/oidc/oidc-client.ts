// The relying-party side of OpenID Connect (issue 19; docs/access.md, OIDC): discovery from
// <issuer>/.well-known/openid-configuration (its issuer must be the configured one, exactly),
// the authorization code flow with PKCE (S256), state and nonce, the code exchange with the
// client secret, and the id token's checks with jose: signature against the provider's JWKS
// (asymmetric algorithms only), iss, aud (and azp when there are several audiences), exp, iat
// and nbf with clockSkewSeconds, and the nonce of this sign-in. A refresh token is used to ask
// the provider whether the user is still enabled, and which groups they are in now. Nothing here keeps state between calls but
// the discovery document and the JWKS cache.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OidcProviderConfig } from '../../core/config.ts';

export interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly userinfo_endpoint?: string;
  readonly id_token_signing_alg_values_supported?: readonly string[];
  readonly code_challenge_methods_supported?: readonly string[];
}

export interface AuthorizationRequest {
  /** Where the browser goes. */
  readonly url: string;
  /** Kept by Berth (in a short-lived cookie or row) until the callback: all three must come back. */
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface OidcIdentity {
  readonly subject: string;
  readonly username: string;
  readonly email?: string;
  readonly groups: readonly string[];
  readonly claims: JWTPayload;
}

export type OidcRefresh =
  | { readonly status: 'ok'; readonly refreshToken?: string; readonly groups?: readonly string[]; readonly email?: string }
  | { readonly status: 'gone' }
  | { readonly status: 'unavailable'; readonly reason: string };

export type OidcCallback =
  | { readonly ok: true; readonly identity: OidcIdentity; readonly refreshToken?: string }
  | { readonly ok: false; readonly reason: string };

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export class OidcClient {
  readonly name: string;
  private readonly clientSecret: string;
  private discovery?: Promise<Discovery>;
  private jwks?: JWTVerifyGetKey;

  constructor(private readonly config: OidcProviderConfig, private readonly fetcher: typeof fetch = fetch) {
    this.name = config.name;
    this.clientSecret = config.clientSecretFile ? readFileSync(config.clientSecretFile, 'utf8').replace(/\r?\n$/, '') : config.clientSecret;
  }

  /** The provider's discovery document (fetched once; a failed fetch is tried again next time). */
  async discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await this.fetcher(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`OIDC discovery at ${url} answered ${res.status}`);
      const doc = (await res.json()) as Discovery;
      if (doc.issuer !== this.config.issuer) throw new Error(`OIDC discovery at ${url} names the issuer ${doc.issuer}, not ${this.config.issuer}`);
      for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
        if (typeof doc[k] !== 'string') throw new Error(`OIDC discovery at ${url} has no ${k}`);
      }
      return doc;
    })().catch((error: unknown) => {
      this.discovery = undefined;
      throw error;
    });
    return this.discovery;
  }

  /** Starts a sign-in: the URL to send the browser to, and what must come back with the code. */
  async authorizationRequest(redirectUri: string): Promise<AuthorizationRequest> {
    const d = await this.discover();
    const state = randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const codeVerifier = randomBytes(32).toString('base64url');
    const url = new URL(d.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', this.config.scopes.includes('openid') ? this.config.scopes.join(' ') : ['openid', ...this.config.scopes].join(' '));
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    return { url: url.toString(), state, nonce, codeVerifier };
  }

  /**
   * The callback: `state` must be the one this sign-in started with; the code is exchanged with
   * the verifier, and the id token checked against the sign-in's nonce.
   */
  async callback(params: URLSearchParams, expected: { state: string; nonce: string; codeVerifier: string; redirectUri: string }): Promise<OidcCallback> {
    const error = params.get('error');
    if (error) return { ok: false, reason: `the provider refused the sign-in: ${error.slice(0, 100)}` };
    const state = params.get('state') ?? '';
    if (!sameSecret(state, expected.state)) return { ok: false, reason: 'the sign-in does not match the one this browser started (state); start again' };
    const code = params.get('code');
    if (!code) return { ok: false, reason: 'the provider sent no authorization code' };
    const tokens = await this.tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: expected.redirectUri, code_verifier: expected.codeVerifier });
    if (!tokens.ok) return tokens;
    const idToken = tokens.body.id_token;
    if (typeof idToken !== 'string') return { ok: false, reason: 'the provider sent no id token' };
    const verified = await this.verifyIdToken(idToken, expected.nonce);
    if (!verified.ok) return verified;
    const refresh = tokens.body.refresh_token;
    return { ok: true, identity: verified.identity, ...(typeof refresh === 'string' ? { refreshToken: refresh } : {}) };
  }

  /** Checks an id token: signature (JWKS), algorithm, iss, aud/azp, times with the clock skew, nonce. */
  async verifyIdToken(idToken: string, nonce: string): Promise<{ ok: true; identity: OidcIdentity } | { ok: false; reason: string }> {
    return this.checkIdToken(idToken, nonce);
  }

  /**
   * The checks of verifyIdToken; `nonce` null for the id token of a refresh grant, which carries
   * the first sign-in's nonce (OpenID Connect Core 12.2), one Berth does not keep.
   */
  private async checkIdToken(idToken: string, nonce: string | null): Promise<{ ok: true; identity: OidcIdentity } | { ok: false; reason: string }> {
    const d = await this.discover();
    this.jwks ??= createRemoteJWKSet(new URL(d.jwks_uri), { timeoutDuration: 10_000 });
    const algorithms = (d.id_token_signing_alg_values_supported ?? ['RS256']).filter((a) => ASYMMETRIC.includes(a));
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.jwks, {
        issuer: this.config.issuer,
        audience: this.config.clientId,
        algorithms: algorithms.length ? algorithms : ['RS256'],
        clockTolerance: this.config.clockSkewSeconds,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (error) {
      return { ok: false, reason: `the id token was refused: ${(error as Error).message}`.slice(0, 300) };
    }
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== this.config.clientId) {
      return { ok: false, reason: 'the id token was refused: several audiences and azp is not this client' };
    }
    if (nonce !== null && (typeof payload.nonce !== 'string' || !sameSecret(payload.nonce, nonce))) return { ok: false, reason: 'the id token was refused: its nonce is not this sign-in\'s' };
    const username = payload[this.config.usernameClaim];
    if (typeof username !== 'string' || !username) return { ok: false, reason: `the id token has no ${this.config.usernameClaim} claim (usernameClaim)` };
    return {
      ok: true,
      identity: {
        subject: payload.sub!, username, groups: groupsOf(payload[this.config.groupsClaim]),
        ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
        claims: payload,
      },
    };
  }

  /**
   * Whether the provider still honours the user: a refresh grant with their refresh token.
   * Returns the new refresh token when the provider rotates them, and the user's groups now:
   * from the refreshed id token (checked as at sign-in, but for the nonce, and its subject must be
   * `subject`), or else from the userinfo endpoint with the new access token. `groups` is absent
   * when neither says (no id token and no userinfo), so the caller keeps what it had.
   */
  async refresh(refreshToken: string, subject?: string): Promise<OidcRefresh> {
    const r = await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (!r.ok) return r.status !== undefined && r.status >= 400 && r.status < 500 ? { status: 'gone' } : { status: 'unavailable', reason: r.reason };
    const rotated = typeof r.body.refresh_token === 'string' ? { refreshToken: r.body.refresh_token } : {};
    let claims: Record<string, unknown> | undefined;
    if (typeof r.body.id_token === 'string') {
      const checked = await this.checkIdToken(r.body.id_token, null);
      // A token that fails its checks is not the provider vouching for the user.
      if (!checked.ok) return { status: 'unavailable', reason: `the refreshed ${checked.reason.replace(/^the /, '')}` };
      if (subject !== undefined && checked.identity.subject !== subject) return { status: 'gone' };
      claims = checked.identity.claims;
    }
    if ((!claims || !(this.config.groupsClaim in claims)) && typeof r.body.access_token === 'string') {
      const info = await this.userinfo(r.body.access_token);
      if (info && (subject === undefined || info.sub === subject) && this.config.groupsClaim in info) claims = info;
    }
    if (!claims) return { status: 'ok', ...rotated };
    return { status: 'ok', ...rotated, groups: groupsOf(claims[this.config.groupsClaim]), ...(typeof claims.email === 'string' ? { email: claims.email } : {}) };
  }

  /** The userinfo endpoint's claims for an access token; undefined when there is none or it fails. */
  private async userinfo(accessToken: string): Promise<Record<string, unknown> | undefined> {
    try {
      const d = await this.discover();
      if (!d.userinfo_endpoint) return undefined;
      const res = await this.fetcher(d.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return undefined;
      const body = (await res.json()) as unknown;
      return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  private async tokenRequest(form: Record<string, string>): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; reason: string; status?: number }> {
    let res: Response;
    try {
      const d = await this.discover();
      res = await this.fetcher(d.token_endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.config.clientId)}:${encodeURIComponent(this.clientSecret)}`).toString('base64')}`,
        },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      return { ok: false, reason: `the provider could not be reached: ${(error as Error).message}` };
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) return { ok: false, status: res.status, reason: `the provider's token endpoint answered ${res.status} ${String(body.error ?? '').slice(0, 100)}` };
    return { ok: true, body };
  }
}

/** A groups claim as a sorted list without repeats (a lone string is one group; anything else none). */
function groupsOf(raw: unknown): string[] {
  const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
  return [...new Set(groups)].sort();
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
