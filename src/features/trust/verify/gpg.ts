// containers/image's GPG "simple signing" (the signatures `skopeo copy --sign-by`,
// `podman push --sign-by` and `podman image sign` make, stored in a sigstore/lookaside staging
// area or as an X-Registry-Supports-Signatures extension): an OpenPGP signed message (not a
// detached signature; usually compressed) whose literal data is the simple-signing JSON with type
// "atomic container signature" (containers/image docs/containers-signature.5.md).
//
// Checks, with openpgp against the trusted pgp keys: the message is signed by a trusted key (or
// subkey) and the signature verifies; that key is valid now (not expired, not revoked), as gpgme
// and so containers/image require; the signed JSON is simple signing and names this image's
// digest. The docker-reference identity is reported in the claims, not enforced. Pure.
import type * as OpenPgp from 'openpgp';
import type { Message, PublicKey } from 'openpgp';

// openpgp is loaded when the first GPG signature or key is checked: it is the largest part of
// the trust feature (~17 MiB resident), and most registries never see a GPG signature.
export const openpgp = (): Promise<typeof OpenPgp> => import('openpgp');
import { ATOMIC_SIGNATURE_TYPE, checkSignedDigest, parseSimpleSigning, PayloadError, type SimpleSigningPayload } from './simple-signing.ts';
import { signersOf, type LoadedSigner, type LoadedSignerOf, type SignatureCandidate, type SignatureClaims, type SignatureVerdict } from './types.ts';
import { fail, names, pass, problem } from './verdict.ts';

export type GpgCandidate = Extract<SignatureCandidate, { format: 'gpg' }>;

/** A signer's clock may run a little ahead of the registry's: accept signatures made up to this far in the future. */
export const CLOCK_SKEW_MS = 5 * 60_000;

async function read(content: Buffer): Promise<Message<Uint8Array | string>> {
  const { readMessage } = await openpgp();
  const head = content.subarray(0, 64).toString('latin1').trimStart();
  return head.startsWith('-----BEGIN PGP MESSAGE-----')
    ? readMessage({ armoredMessage: content.toString('utf8') })
    : readMessage({ binaryMessage: new Uint8Array(content) });
}

const hex = (id: { toHex(): string }) => id.toHex().toUpperCase();

function userOf(key: PublicKey): string | undefined {
  return key.getUserIDs()[0];
}

export async function verifyGpg(candidate: GpgCandidate, imageDigest: string, signers: readonly LoadedSigner[], now: Date): Promise<SignatureVerdict> {
  const format = 'gpg';
  let ids: string[];
  try {
    const message = await read(candidate.content);
    // A signed message, possibly compressed: the signing key IDs are in its one-pass signature packets.
    const unwrapped = message.unwrapCompressed();
    ids = unwrapped.getSigningKeyIDs().map(hex);
    if (!ids.length || !unwrapped.getLiteralData()) throw new Error('it is not a signed message');
  } catch (e) {
    return fail(format, problem('malformed', `not an OpenPGP signed message (${(e as Error).message}): an atomic signature is the output of gpg --sign over the simple-signing JSON`));
  }

  const pgp = signersOf(signers, 'pgp');
  const holders = pgp.flatMap((s) => s.keys.filter((k) => k.getKeys().some((sub) => ids.includes(hex(sub.getKeyID())))).map((key) => ({ signer: s, key })));
  if (!holders.length) {
    return fail(format, problem('wrong-key', pgp.length
      ? `signed by OpenPGP key ${ids.join(', ')}, which is none of the trusted keys (${names(pgp)})`
      : `signed by OpenPGP key ${ids.join(', ')}, and no trusted OpenPGP key is configured: add the signer's public key (gpg --armor --export)`));
  }

  let last: SignatureVerdict | undefined;
  for (const { signer, key } of holders) {
    const verdict = await verifyWith(candidate.content, signer, key, ids, imageDigest, now);
    if (verdict.ok || verdict.problem?.code === 'digest-mismatch') return verdict;
    last = verdict;
  }
  return last!;
}

async function verifyWith(content: Buffer, signer: LoadedSignerOf<'pgp'>, key: PublicKey, ids: string[], imageDigest: string, now: Date): Promise<SignatureVerdict> {
  const format = 'gpg';
  const who = `OpenPGP key ${hex(key.getKeyID())}${userOf(key) ? ` (${userOf(key)})` : ''} of trusted signer ${JSON.stringify(signer.name)}`;
  let data: Uint8Array;
  let created: Date | null = null;
  try {
    const { verify } = await openpgp();
    const result = await verify({ message: await read(content), verificationKeys: key, expectSigned: true, format: 'binary', date: new Date(now.getTime() + CLOCK_SKEW_MS) });
    data = result.data;
    const sig = result.signatures.find((s) => ids.includes(hex(s.keyID)));
    if (sig) created = (await sig.signature).packets[0]?.created ?? null;
  } catch (e) {
    const m = (e as Error).message;
    if (/signature is expired/i.test(m)) return fail(format, problem('expired-signature', `the signature by ${who} has expired: its signer gave it an expiry date, which has passed (${m})`));
    if (/expired/i.test(m)) return fail(format, problem('expired-certificate', `the signature was made with ${who}, which has expired (${m})`));
    if (/revoked/i.test(m)) return fail(format, problem('wrong-key', `the signature was made with ${who}, which has been revoked (${m})`));
    if (/in the future/i.test(m)) return fail(format, problem('malformed', `the signature claims to be made in the future, more than ${CLOCK_SKEW_MS / 60_000} minutes from now (${m}): check the signer's clock`));
    return fail(format, problem('wrong-key', `the signature does not verify with ${who} (${m}): the signed content was changed, or it was signed by another key with the same ID`));
  }
  // gpgme (and so containers/image) refuses a signature by a key that is expired or revoked now,
  // even when it was valid when it signed; openpgp checks the key at the signature's time.
  const keyId = key.getKeys().map((k) => k.getKeyID()).find((id) => ids.includes(hex(id)));
  try {
    await key.getSigningKey(keyId, now);
  } catch (e) {
    const m = (e as Error).message;
    const expiry = await key.getExpirationTime().catch(() => null);
    if (/expired/i.test(m)) {
      return fail(format, problem('expired-certificate', `the signature was made with ${who}, which has expired${expiry instanceof Date ? ` (on ${expiry.toISOString()})` : ''}: renew the key (gpg --quick-set-expire) and give the updated public key, or re-sign`));
    }
    return fail(format, problem('wrong-key', `the signature was made with ${who}, which cannot sign now (${m})`));
  }
  let payload: SimpleSigningPayload;
  const claims: SignatureClaims = { ...(userOf(key) ? { subject: userOf(key) } : {}), ...(created ? { signedAt: created.toISOString() } : {}) };
  try {
    payload = parseSimpleSigning(Buffer.from(data), ATOMIC_SIGNATURE_TYPE);
  } catch (e) {
    if (e instanceof PayloadError) return fail(format, problem('malformed', `the signed content is not a simple-signing document: ${e.message}`), claims);
    throw e;
  }
  const withRef = { ...claims, dockerReference: payload.dockerReference };
  const mismatch = checkSignedDigest(payload.digest, imageDigest, `the GPG signature by ${who}`);
  return mismatch ? fail(format, mismatch, withRef) : pass(format, signer.name, withRef);
}
