// Issues and verifies registry bearer tokens (Docker token spec): ES256 JWTs with a short life,
// signed by a key generated on first start and kept in the DB, so every instance shares it.
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type CryptoKey } from 'jose';
import type { Executor } from '../metadata/executor.ts';
import { currentSigningKey, insertSigningKey } from '../metadata/identity/signing-keys.ts';
import type { Grant } from './provider.ts';

export interface TokenOptions {
  /** iss and the realm's service name (aud). */
  readonly issuer: string;
  readonly service: string;
  readonly ttlSeconds: number;
  readonly refreshTtlSeconds: number;
}

export interface VerifiedToken {
  readonly subject: string;
  readonly grants: Grant[];
  readonly expiresAt: number;
}

const ALG = 'ES256';

export class TokenService {
  private key?: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey };

  constructor(private readonly db: Executor, readonly options: TokenOptions) {}

  /** Loads the signing key, creating it on first start. */
  async init(): Promise<void> {
    let row = await currentSigningKey(this.db);
    if (!row) {
      const { privateKey } = await generateKeyPair(ALG, { extractable: true });
      const jwk = await exportJWK(privateKey);
      const kid = randomUUID();
      await insertSigningKey(this.db, kid, ALG, JSON.stringify(jwk), Date.now());
      row = await currentSigningKey(this.db);
    }
    const jwk = JSON.parse(row!.private_jwk) as JWK;
    const privateKey = (await importJWK(jwk, ALG)) as CryptoKey;
    const { d: _d, ...publicJwk } = jwk;
    const publicKey = (await importJWK(publicJwk, ALG)) as CryptoKey;
    this.key = { kid: row!.kid, privateKey, publicKey };
  }

  /** A registry access token for `subject` ('' for anonymous) holding exactly `grants`. */
  async issue(subject: string, grants: readonly Grant[]): Promise<{ token: string; expiresIn: number; issuedAt: Date }> {
    const key = this.requireKey();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access: grants })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.service)
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now - 1)
      .setExpirationTime(now + this.options.ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { token, expiresIn: this.options.ttlSeconds, issuedAt: new Date(now * 1000) };
  }

  /** A refresh token (OAuth2 offline access): only names the account; rights are re-read on use. */
  async issueRefresh(subject: string): Promise<string> {
    const key = this.requireKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ use: 'refresh' })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.options.issuer)
      .setAudience(`${this.options.service}#refresh`)
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.refreshTtlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  /** Verifies an access token: signature, algorithm, issuer, audience and lifetime. */
  async verify(token: string): Promise<VerifiedToken | undefined> {
    const key = this.requireKey();
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [ALG],
        issuer: this.options.issuer,
        audience: this.options.service,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: 5,
      });
      const access = Array.isArray(payload.access) ? (payload.access as unknown[]) : [];
      const grants: Grant[] = [];
      for (const a of access) {
        const g = a as Partial<Grant>;
        if (typeof g.type === 'string' && typeof g.name === 'string' && Array.isArray(g.actions) && g.actions.every((x) => typeof x === 'string')) {
          grants.push({ type: g.type, name: g.name, actions: g.actions });
        }
      }
      return { subject: payload.sub ?? '', grants, expiresAt: (payload.exp ?? 0) * 1000 };
    } catch {
      return undefined;
    }
  }

  /** Verifies a refresh token; returns its account name. */
  async verifyRefresh(token: string): Promise<string | undefined> {
    const key = this.requireKey();
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [ALG],
        issuer: this.options.issuer,
        audience: `${this.options.service}#refresh`,
        requiredClaims: ['exp', 'sub'],
      });
      return payload.use === 'refresh' && payload.sub ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  }

  private requireKey() {
    if (!this.key) throw new Error('TokenService.init() was not called');
    return this.key;
  }
}
