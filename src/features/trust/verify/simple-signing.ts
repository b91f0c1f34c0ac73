// The containers/image "simple signing" payload, which cosign's legacy signatures and the GPG
// "atomic" signatures sign (containers/image docs/containers-signature.5.md):
//   {"critical": {"type": "...", "image": {"docker-manifest-digest": "sha256:..."},
//                 "identity": {"docker-reference": "registry/repo:tag"}},
//    "optional": {"creator": "...", "timestamp": 1700000000, ...}}
// Like containers/image, the critical object must hold exactly these members (an unknown critical
// member must not be ignored); the rest is lenient, as cosign is (its optional may be null). Pure.
import { tryParseDigest } from '../../../core/digest.ts';
import type { SignatureProblem } from './types.ts';

export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
export const ATOMIC_SIGNATURE_TYPE = 'atomic container signature';
export type SimpleSigningType = typeof COSIGN_SIGNATURE_TYPE | typeof ATOMIC_SIGNATURE_TYPE;

export interface SimpleSigningPayload {
  readonly type: SimpleSigningType;
  /** critical.image.docker-manifest-digest, as written. */
  readonly digest: string;
  /** critical.identity.docker-reference (reported, not enforced here). */
  readonly dockerReference: string;
  readonly optional?: Readonly<Record<string, unknown>>;
}

export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function exactly(o: Record<string, unknown>, where: string, keys: readonly string[]): void {
  for (const k of keys) if (!(k in o)) throw new PayloadError(`${where} has no ${k}`);
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) throw new PayloadError(`${where} has unknown critical member ${extra.map((k) => JSON.stringify(k)).join(', ')}, which a verifier must not ignore`);
}

/**
 * Parses a simple-signing payload; `expected` is the type the signature format signs
 * (cosign: 'cosign container image signature'; GPG: 'atomic container signature').
 * Throws PayloadError saying what is wrong.
 */
export function parseSimpleSigning(bytes: Buffer | string, expected: SimpleSigningType): SimpleSigningPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new PayloadError('the signed payload is not JSON');
  }
  if (!isObject(doc)) throw new PayloadError('the signed payload is not a JSON object');
  const critical = doc.critical;
  if (!isObject(critical)) throw new PayloadError('the signed payload has no critical object');
  exactly(critical, 'critical', ['type', 'image', 'identity']);
  const { type, image, identity } = critical;
  if (type !== expected) {
    throw new PayloadError(`the signed payload's type is ${JSON.stringify(type)}, not ${JSON.stringify(expected)}`);
  }
  if (!isObject(image)) throw new PayloadError('critical.image is not an object');
  exactly(image, 'critical.image', ['docker-manifest-digest']);
  const digest = image['docker-manifest-digest'];
  if (typeof digest !== 'string') throw new PayloadError('critical.image.docker-manifest-digest is not a string');
  if (!isObject(identity)) throw new PayloadError('critical.identity is not an object');
  exactly(identity, 'critical.identity', ['docker-reference']);
  const dockerReference = identity['docker-reference'];
  if (typeof dockerReference !== 'string') throw new PayloadError('critical.identity.docker-reference is not a string');
  const optional = doc.optional;
  if (optional !== undefined && optional !== null && !isObject(optional)) throw new PayloadError('optional is not an object');
  return { type: expected, digest, dockerReference, ...(isObject(optional) ? { optional } : {}) };
}

/** digest-mismatch unless the payload signs exactly this image digest. */
export function checkSignedDigest(signed: string, imageDigest: string, what = 'the signature'): SignatureProblem | undefined {
  if (!tryParseDigest(signed)) {
    return { code: 'digest-mismatch', message: `${what} names ${JSON.stringify(signed.slice(0, 200))}, which is not a usable digest (sha256:<64 hex> or sha512:<128 hex>), so it cannot sign this image ${imageDigest}` };
  }
  if (signed !== imageDigest) {
    return { code: 'digest-mismatch', message: `${what} is for another image: it signs ${signed}, but this image is ${imageDigest}` };
  }
  return undefined;
}

/** The simple-signing timestamp (optional.timestamp, Unix seconds) as ISO 8601, if present and sane. */
export function simpleSigningTime(p: SimpleSigningPayload): string | undefined {
  const t = p.optional?.timestamp;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 1e11) return undefined;
  return new Date(t * 1000).toISOString();
}
