// Checking a raw signature with a public key the way cosign (sigstore/sigstore's
// LoadDefaultVerifier) does: ECDSA over SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521
// (ASN.1 DER signatures), Ed25519 over the message itself, RSA PKCS#1 v1.5 (or PSS) over SHA-256.
// cosign lets a verifier pick SHA-256 for any ECDSA key (--signature-digest-algorithm), so the
// larger curves are also tried with SHA-256. Pure: node:crypto only.
import { constants, verify, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from './types.ts';

type Attempt = { hash: string | null; padding?: number };

function attempts(algorithm: KeyAlgorithm, key: KeyObject): Attempt[] {
  switch (algorithm) {
    case 'ed25519': return [{ hash: null }];
    case 'ecdsa-p256': return [{ hash: 'sha256' }];
    case 'ecdsa-p384': return [{ hash: 'sha384' }, { hash: 'sha256' }];
    case 'ecdsa-p521': return [{ hash: 'sha512' }, { hash: 'sha256' }];
    case 'rsa':
      return key.asymmetricKeyType === 'rsa-pss'
        ? [{ hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING }]
        : [{ hash: 'sha256', padding: constants.RSA_PKCS1_PADDING }, { hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING }];
  }
}

/** Whether `signature` is a valid signature of `data` by `key`. Never throws. */
export function verifyWithKey(key: KeyObject, algorithm: KeyAlgorithm, data: Uint8Array, signature: Uint8Array): boolean {
  if (!signature.length) return false;
  for (const a of attempts(algorithm, key)) {
    try {
      const ok = a.padding === undefined
        ? verify(a.hash, data, key, signature)
        : verify(a.hash, data, { key, padding: a.padding, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
      if (ok) return true;
    } catch {
      // A signature of the wrong shape for this key (for example a raw r||s for ECDSA): not valid.
    }
  }
  return false;
}

/** Strict base64 (standard alphabet, optional padding, whitespace allowed between lines). */
export function decodeBase64(text: string): Buffer | undefined {
  const s = text.replace(/\s+/g, '');
  if (!s || s.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/** Strict base64url without padding (JWS), also accepting padding. */
export function decodeBase64Url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64url');
}
