// Issues and verifies registry bearer tokens (Docker token spec): ES256 JWTs with a short life,
// signed by a key the operator supplies (signing-key.ts), or else by one generated on first
// start and kept in the DB, so every instance shares it.
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type CryptoKey } from 'jose';
import type { Executor } from '../metadata/executor.ts';
import { currentSigningKey, insertSigningKey } from '../metadata/identity/signing-keys.ts';
import { decodeCredential, encodeCredential, type CredentialRef } from './credential.ts';
import type { Grant } from './provider.ts';
import type { SuppliedKey } from './signing-key.ts';

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
  /** The credential the token was minted from (the "cred" claim); absent for anonymous tokens. */
  readonly credential?: CredentialRef;
  /** The claim as signed, a stable key for caches. */
  readonly credentialKey?: string;
}

export interface VerifiedRefresh {
  readonly subject: string;
  readonly credential: CredentialRef;
}

const ALG = 'ES256';

export class TokenService {
  private key?: { kid: string; privateKey: CryptoKey; publicKey: CryptoKey };

  constructor(private readonly db: Executor, readonly options: TokenOptions) {}

  /**
   * Loads the signing key: the supplied one, or the DB's, creating that on first start. With a
   * supplied key the DB's is neither made nor trusted.
   */
  async init(supplied?: SuppliedKey): Promise<void> {
    if (supplied) {
      await this.use(supplied.kid, supplied.jwk);
      return;
    }
    let row = await currentSigningKey(this.db);
    if (!row) {
      const { privateKey } = await generateKeyPair(ALG, { extractable: true });
      const jwk = await exportJWK(privateKey);
      const kid = randomUUID();
      await insertSigningKey(this.db, kid, ALG, JSON.stringify(jwk), Date.now());
      row = await currentSigningKey(this.db);
    }
    await this.use(row!.kid, JSON.parse(row!.private_jwk) as JWK);
  }

  private async use(kid: string, jwk: JWK): Promise<void> {
    const privateKey = (await importJWK(jwk, ALG)) as CryptoKey;
    const { d: _d, ...publicJwk } = jwk;
    const publicKey = (await importJWK(publicJwk, ALG)) as CryptoKey;
    this.key = { kid, privateKey, publicKey };
  }

  /**
   * A registry access token for `subject` ('' for anonymous) holding exactly `grants`, bound to
   * the credential it was minted from (required for every subject but anonymous).
   */
  async issue(subject: string, grants: readonly Grant[], credential?: CredentialRef): Promise<{ token: string; expiresIn: number; issuedAt: Date }> {
    const key = this.requireKey();
    const now = Math.floor(Date.now() / 1000);
    if (subject !== '' && !credential) throw new Error('TokenService.issue: a named subject needs its credential');
    const token = await new SignJWT({ access: grants, ...(credential ? { cred: encodeCredential(credential) } : {}) })
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

  /**
   * A refresh token (OAuth2 offline access): names the account and the credential it came from;
   * on use, that credential is checked again and its rights (not the account's) are re-read.
   */
  async issueRefresh(subject: string, credential: CredentialRef): Promise<string> {
    const key = this.requireKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ use: 'refresh', cred: encodeCredential(credential) })
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
      const subject = payload.sub ?? '';
      const credential = decodeCredential(payload.cred);
      // A named subject without a valid credential claim was not minted by this version of
      // Berth from a login: refuse it rather than trust the name alone.
      if (subject !== '' && !credential) return undefined;
      return {
        subject, grants, expiresAt: (payload.exp ?? 0) * 1000,
        ...(credential ? { credential, credentialKey: String(payload.cred) } : {}),
      };
    } catch {
      return undefined;
    }
  }

  /** Verifies a refresh token; returns its account name and credential. */
  async verifyRefresh(token: string): Promise<VerifiedRefresh | undefined> {
    const key = this.requireKey();
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [ALG],
        issuer: this.options.issuer,
        audience: `${this.options.service}#refresh`,
        requiredClaims: ['exp', 'sub'],
      });
      const credential = decodeCredential(payload.cred);
      return payload.use === 'refresh' && payload.sub && credential ? { subject: payload.sub, credential } : undefined;
    } catch {
      return undefined;
    }
  }

  private requireKey() {
    if (!this.key) throw new Error('TokenService.init() was not called');
    return this.key;
  }
}
