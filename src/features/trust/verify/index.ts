// Signature verification for the trust feature: is this signature a valid signature of this image
// digest by one of these trusted signers? One entry point, dispatching on the signature's format;
// each format tries every trusted signer that can check it, passes when one verifies, and
// otherwise reports the most specific problem. Pure: bytes and keys in, a verdict out; no network,
// no files, no database. A signer whose material does not parse is left out of the check (and named
// when nothing else could be tried); validate signers when they are configured, with parseSigner.
import { createHash } from 'node:crypto';
import { tryParseDigest } from '../../../core/digest.ts';
import { verifyCosign } from './cosign.ts';
import { verifyGpg } from './gpg.ts';
import { verifyNotation } from './notation.ts';
import { verifySigstoreBundle } from './sigstore.ts';
import { parseSigner, SignerError, type LoadedSigner, type ParsedSigner, type SignatureCandidate, type SignatureVerdict, type SignerKind, type TrustedSigner } from './types.ts';
import { fail, problem } from './verdict.ts';

export { parseSigner, SignerError } from './types.ts';
export type {
  LoadedSigner, ParsedSigner, ProblemCode, SignatureCandidate, SignatureClaims, SignatureFormat, SignatureProblem, SignatureVerdict,
  SignerKind, TrustedSigner,
} from './types.ts';

/** Which signer kinds can check each format. */
export const SIGNER_KINDS: Readonly<Record<SignatureCandidate['format'], readonly SignerKind[]>> = {
  cosign: ['key'],
  'sigstore-bundle': ['key', 'keyless'],
  notation: ['x509'],
  gpg: ['pgp'],
};

// Parsed material by kind and content: parsing an OpenPGP key or a trusted root on every pull
// would cost more than checking the signature. Bounded; the oldest entry goes first.
const CACHE_LIMIT = 128;
const cache = new Map<string, Promise<ParsedSigner | SignerError>>();

async function load(signer: TrustedSigner): Promise<LoadedSigner | SignerError> {
  const id = createHash('sha256').update(signer.kind).update('\0').update(signer.material).digest('hex');
  let parsed = cache.get(id);
  if (!parsed) {
    parsed = parseSigner(signer.kind, signer.material).catch((e: unknown) => (e instanceof SignerError ? e : new SignerError(String((e as Error)?.message ?? e))));
    cache.set(id, parsed);
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  const p = await parsed;
  return p instanceof SignerError ? p : { ...p, name: signer.name };
}

/**
 * Whether `candidate` is a valid signature of the image `imageDigest` (the manifest digest,
 * sha256:<hex> or sha512:<hex>) by one of `signers`, judged at `now` (certificate and key expiry).
 * Never rejects for a bad signature or signer (the verdict says; an unexpected failure while
 * checking is a malformed verdict); throws a TypeError for an imageDigest that is not a digest,
 * which is the caller's mistake.
 */
export async function verifySignature(candidate: SignatureCandidate, imageDigest: string, signers: readonly TrustedSigner[], now: Date): Promise<SignatureVerdict> {
  if (!tryParseDigest(imageDigest)) throw new TypeError(`verifySignature: ${JSON.stringify(imageDigest)} is not an image digest`);
  const kinds = Object.hasOwn(SIGNER_KINDS, candidate.format) ? SIGNER_KINDS[candidate.format] : undefined;
  if (!kinds) {
    return fail((candidate as { format: SignatureCandidate['format'] }).format, problem('unsupported', `unknown signature format ${JSON.stringify((candidate as { format?: unknown }).format)}`));
  }
  const applicable = signers.filter((s) => kinds.includes(s.kind));
  const loaded = await Promise.all(applicable.map(load));
  const usable = loaded.filter((s): s is LoadedSigner => !(s instanceof SignerError));
  let verdict: SignatureVerdict;
  try {
    verdict = await dispatch(candidate, imageDigest, usable, now);
  } catch (e) {
    // A signature that trips up a verifier fails closed, as a verdict rather than an error.
    verdict = fail(candidate.format, problem('malformed', `the signature could not be checked: ${(e as Error)?.message ?? String(e)}`));
  }
  const why = applicable.flatMap((s, i) => { const l = loaded[i]; return l instanceof SignerError ? [`${JSON.stringify(s.name)}: ${l.message}`] : []; }).join('; ');
  if (verdict.ok || !why) return verdict;
  return { ...verdict, problem: { code: verdict.problem!.code, message: `${verdict.problem!.message} (trusted signers left out because their material is unusable: ${why})` } };
}

function dispatch(candidate: SignatureCandidate, imageDigest: string, signers: readonly LoadedSigner[], now: Date): Promise<SignatureVerdict> | SignatureVerdict {
  switch (candidate.format) {
    case 'cosign': return verifyCosign(candidate, imageDigest, signers);
    case 'sigstore-bundle': return verifySigstoreBundle(candidate, imageDigest, signers);
    case 'notation': return verifyNotation(candidate, imageDigest, signers, now);
    case 'gpg': return verifyGpg(candidate, imageDigest, signers, now);
  }
}
