// Content digests (OCI image-spec, descriptor.md#digests): algorithm ":" encoded.
// Berth accepts sha256 and sha512 for content; the grammar check is separate from the algorithm
// check so a well-formed but unsupported digest gets UNSUPPORTED-free DIGEST_INVALID with a reason.
import { createHash, type Hash } from 'node:crypto';
import { RegistryError } from './errors.ts';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  readonly digest: string;
}

/** Parses and validates a digest string; returns undefined when it is not a usable digest. */
export function tryParseDigest(value: string): ParsedDigest | undefined {
  if (value.length > 200 || !GRAMMAR.test(value)) return undefined;
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return undefined;
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm, hex, digest: value };
}

/** Parses a digest, throwing DIGEST_INVALID (400) with a reason when it is malformed. */
export function parseDigest(value: string): ParsedDigest {
  const parsed = tryParseDigest(value);
  if (!parsed) throw new RegistryError('DIGEST_INVALID', { digest: value.slice(0, 200) }, { message: 'invalid digest: expected sha256:<64 hex> or sha512:<128 hex>' });
  return parsed;
}

export function isDigest(value: string): boolean {
  return tryParseDigest(value) !== undefined;
}

export function newHash(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
