// The relying-party side of OpenID Connect (issue 19; docs/access.md, OIDC): discovery from
// <issuer>/.well-known/openid-configuration (its issuer must be the configured one, exactly),
// the authorization code flow with PKCE (S256), state and nonce, the code exchange with the
// client secret, and the id token's checks with jose: signature against the provider's JWKS
// (asymmetric algorithms only), iss, aud (and azp when there are several audiences), exp, iat
// and nbf with clockSkewSeconds, and the nonce of this sign-in. A refresh token is used to ask
// the provider whether the user is still enabled. Nothing here keeps state between calls but
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
    if (typeof payload.nonce !== 'string' || !sameSecret(payload.nonce, nonce)) return { ok: false, reason: 'the id token was refused: its nonce is not this sign-in\'s' };
    const username = payload[this.config.usernameClaim];
    if (typeof username !== 'string' || !username) return { ok: false, reason: `the id token has no ${this.config.usernameClaim} claim (usernameClaim)` };
    const rawGroups = payload[this.config.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : typeof rawGroups === 'string' ? [rawGroups] : [];
    return {
      ok: true,
      identity: {
        subject: payload.sub!, username, groups: [...new Set(groups)].sort(),
        ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
        claims: payload,
      },
    };
  }

  /**
   * Whether the provider still honours the user: a refresh grant with their refresh token.
   * Returns the new refresh token when the provider rotates them.
   */
  async refresh(refreshToken: string): Promise<{ status: 'ok'; refreshToken?: string } | { status: 'gone' } | { status: 'unavailable'; reason: string }> {
    const r = await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (r.ok) return { status: 'ok', ...(typeof r.body.refresh_token === 'string' ? { refreshToken: r.body.refresh_token } : {}) };
    return r.status !== undefined && r.status >= 400 && r.status < 500 ? { status: 'gone' } : { status: 'unavailable', reason: r.reason };
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

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
