// The credential a login presented: a user's password, a personal access token, or a robot's
// secret. Every token minted from a login (access tokens, refresh tokens) carries a reference to
// it, and is only honoured while that credential is: a revoked, rotated, expired or disabled
// credential, a changed password, or a disabled or deleted account ends every token it minted
// (DEVELOPERS.md: credentials die with their source). Pure: no I/O.
import { createHash } from 'node:crypto';

export type CredentialRef =
  /** A user's password; `version` changes whenever the password does. */
  | { readonly kind: 'password'; readonly userId: number; readonly version: string }
  /** A personal access token (its row is its life: revoking deletes it). */
  | { readonly kind: 'token'; readonly tokenId: number; readonly userId: number }
  /** A robot's secret; `version` changes when the secret is rotated. */
  | { readonly kind: 'robot'; readonly robotId: number; readonly version: string };

/**
 * A short fingerprint of a stored secret hash: it changes when the secret does, and reveals
 * nothing usable about it (a truncated SHA-256 of a salted scrypt or SHA-256 hash).
 */
export function secretVersion(storedHash: string): string {
  return createHash('sha256').update(storedHash).digest('base64url').slice(0, 16);
}

const ENCODED = /^(p|t|r)\.(\d{1,15})\.([A-Za-z0-9_-]{1,32})$/;

/** The compact form carried in a JWT claim ("cred"). */
export function encodeCredential(ref: CredentialRef): string {
  switch (ref.kind) {
    case 'password': return `p.${ref.userId}.${ref.version}`;
    case 'token': return `t.${ref.tokenId}.${ref.userId}`;
    case 'robot': return `r.${ref.robotId}.${ref.version}`;
  }
}

/** Parses the claim; anything malformed is undefined (the token is then refused). */
export function decodeCredential(value: unknown): CredentialRef | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ENCODED.exec(value);
  if (!m) return undefined;
  const id = Number(m[2]);
  switch (m[1]) {
    case 'p': return { kind: 'password', userId: id, version: m[3]! };
    case 't': return /^\d{1,15}$/.test(m[3]!) ? { kind: 'token', tokenId: id, userId: Number(m[3]) } : undefined;
    default: return { kind: 'robot', robotId: id, version: m[3]! };
  }
}
