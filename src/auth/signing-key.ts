// The token signing key, when the operator supplies it (auth.signingKeyFile, or auth.signingKey,
// normally from BERTH_AUTH_SIGNING_KEY) instead of letting Berth keep one in the database: an
// ECDSA P-256 private key as PEM (PKCS#8 or SEC1) or as a JWK. Every instance must get the same.
import { createHash, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { JWK } from 'jose';

export interface SuppliedKey {
  readonly kid: string;
  /** The private JWK (with d). */
  readonly jwk: JWK;
  /** Why the key's file is a risk, if it is (readable by other local users). */
  readonly warning?: string;
}

const HOW = 'make one with: openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out signing-key.pem && chmod 600 signing-key.pem';

export class SigningKeyError extends Error {
  constructor(message: string) {
    super(`${message}; ${HOW}`);
    this.name = 'SigningKeyError';
  }
}

/** Reads the supplied key, or undefined when none is configured (the DB keeps Berth's own). */
export function loadSuppliedKey(options: { file: string; value: string }): SuppliedKey | undefined {
  if (options.file && options.value) throw new SigningKeyError('give auth.signingKeyFile or auth.signingKey (BERTH_AUTH_SIGNING_KEY), not both');
  let text = options.value;
  let warning: string | undefined;
  if (options.file) {
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new SigningKeyError(`cannot read auth.signingKeyFile ${options.file}: ${(error as Error).message}`);
    }
    if ((statSync(options.file).mode & 0o077) !== 0) warning = `${options.file} is readable by other local users: chmod 600 it`;
  }
  if (!text) return undefined;
  const jwk = parseKey(text.trim());
  // A stable kid from the public part (RFC 7638 thumbprint), so all instances name it alike.
  const kid = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
  return { kid, jwk, ...(warning ? { warning } : {}) };
}

function parseKey(text: string): JWK {
  let jwk: JWK;
  try {
    jwk = text.startsWith('{') ? (JSON.parse(text) as JWK) : (createPrivateKey(text).export({ format: 'jwk' }) as JWK);
  } catch (error) {
    throw new SigningKeyError(`the token signing key is not a PEM or JWK private key (${(error as Error).message})`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.x || !jwk.y) {
    throw new SigningKeyError('the token signing key must be an ECDSA P-256 private key');
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d };
}
