// cosign's legacy (pre-bundle) signature layout: the signature artifact's layer is the
// simple-signing payload (application/vnd.dev.cosign.simplesigning.v1+json) and its annotation
// dev.cosignproject.cosign/signature holds base64 of a signature over those bytes exactly. A key
// signature verifies with a trusted public key (cosign.pub); the payload must then sign this image.
//
// Keyless legacy signatures (a Fulcio certificate in dev.sigstore.cosign/certificate) prove when
// they were made only through the Rekor bundle annotation, which this layout does not carry here:
// they are reported as unsupported unless a trusted key happens to verify them. Pure.
import { checkSignedDigest, COSIGN_SIGNATURE_TYPE, parseSimpleSigning, PayloadError, simpleSigningTime, type SimpleSigningPayload } from './simple-signing.ts';
import { decodeBase64, verifyWithKey } from './keys.ts';
import { signersOf, type LoadedSigner, type SignatureCandidate, type SignatureClaims, type SignatureVerdict } from './types.ts';
import { fail, names, pass, problem } from './verdict.ts';

export type CosignCandidate = Extract<SignatureCandidate, { format: 'cosign' }>;

export function verifyCosign(candidate: CosignCandidate, imageDigest: string, signers: readonly LoadedSigner[]): SignatureVerdict {
  const format = 'cosign';
  const signature = typeof candidate.signature === 'string' ? decodeBase64(candidate.signature) : undefined;
  if (!signature) {
    return fail(format, problem('malformed', 'the cosign signature annotation (dev.cosignproject.cosign/signature) is missing or not base64'));
  }
  let payload: SimpleSigningPayload;
  try {
    payload = parseSimpleSigning(candidate.payload, COSIGN_SIGNATURE_TYPE);
  } catch (e) {
    if (e instanceof PayloadError) return fail(format, problem('malformed', `the cosign payload is not a simple-signing document: ${e.message}`));
    throw e;
  }
  const signedAt = simpleSigningTime(payload);
  const claims: SignatureClaims = { dockerReference: payload.dockerReference, ...(signedAt ? { signedAt } : {}) };

  const keys = signersOf(signers, 'key');
  const signer = keys.find((k) => verifyWithKey(k.key, k.algorithm, candidate.payload, signature));
  if (signer) {
    const mismatch = checkSignedDigest(payload.digest, imageDigest, `the cosign signature by ${JSON.stringify(signer.name)}`);
    return mismatch ? fail(format, mismatch, claims) : pass(format, signer.name, claims);
  }
  if (candidate.certificate) {
    return fail(format, problem('unsupported',
      `this is a keyless cosign signature in the legacy layout (a certificate instead of a key${keys.length ? `, and no trusted key (${names(keys)}) verifies it` : ''}); Berth checks keyless signatures only as Sigstore bundles: sign with cosign v3 (or --new-bundle-format), or sign with a key and trust its cosign.pub`), claims);
  }
  if (!keys.length) {
    return fail(format, problem('wrong-key', 'no trusted public key is configured, so no cosign key signature can verify: add the signer\'s cosign.pub as a trusted key'), claims);
  }
  return fail(format, problem('wrong-key',
    `the cosign signature does not verify with any trusted key (${names(keys)}): it was made with another key, or the signed payload was changed`), claims);
}
