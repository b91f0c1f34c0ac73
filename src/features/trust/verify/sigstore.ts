// Sigstore bundles (application/vnd.dev.sigstore.bundle.v0.3+json), as cosign v3 attaches them
// to an image as OCI referrers (cosign specs/BUNDLE_SPEC.md).
//
// What is signed: `cosign sign` in the bundle format (the v3 default) signs a DSSE envelope of
// payloadType application/vnd.in-toto+json whose payload is an in-toto Statement v1 with
// predicateType https://sigstore.dev/cosign/sign/v1, an empty predicate and one subject whose
// digest is the image manifest digest ({"sha256": "<hex>"}, no name); it is not a message
// signature over the simple-signing payload (cosign cmd/cosign/cli/sign/sign.go,
// signDigestBundle). `cosign verify` then accepts any verified bundle whose statement has a
// subject with the image's digest (sigstore-go's WithArtifactDigest), whatever its predicate type,
// and so does this module; the predicate type is reported in the verdict's claims.
//
// Checks: with a trusted public key (kind key), the DSSE signature over its pre-authentication
// encoding; transparency-log entries and timestamps are not checked, since a key alone gives
// nothing to check them with (as `cosign verify --key --insecure-ignore-tlog`). Keyless (kind
// keyless), with @sigstore/verify against the administrator's trusted_root.json, offline: the
// Fulcio certificate chains to a trusted CA and was valid at a verified signing time (a Rekor entry
// or an RFC 3161 timestamp; at least one is required), the SCT (when the root lists CT logs), the
// Rekor entry's inclusion (when the root lists logs) and that it matches this signature, the
// signature itself, then the certificate's identity (SAN) and OIDC issuer against the signer's.
// Message-signature bundles are reported as unsupported: they carry only the digest of the bytes
// they sign, so they cannot say which image they are for. Pure: no network, no TUF.
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { toSignedEntity, Verifier, VerificationError, PolicyError, type SignedEntity, type Signer } from '@sigstore/verify';
import { tryParseDigest } from '../../../core/digest.ts';
import { verifyWithKey } from './keys.ts';
import {
  keyAlgorithm, signersOf, type LoadedSigner, type LoadedSignerOf, type SignatureCandidate, type SignatureClaims,
  type SignatureProblem, type SignatureVerdict,
} from './types.ts';
import { fail, mostSpecific, names, pass, problem } from './verdict.ts';

export type SigstoreBundleCandidate = Extract<SignatureCandidate, { format: 'sigstore-bundle' }>;

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The predicate type of `cosign sign`'s statement (an attestation has its own). */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
const STATEMENT_TYPES = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];

export interface InTotoSubject {
  readonly name?: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface InTotoStatement {
  readonly type: string;
  readonly predicateType: string;
  readonly subjects: readonly InTotoSubject[];
}

class Malformed extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses an in-toto statement (v1 or v0.1). Throws with a reason. */
export function parseStatement(payload: Buffer): InTotoStatement {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new Malformed('the DSSE payload is not JSON');
  }
  if (!isObject(doc)) throw new Malformed('the DSSE payload is not a JSON object');
  const type = doc._type;
  if (typeof type !== 'string' || !STATEMENT_TYPES.includes(type)) throw new Malformed(`the DSSE payload is not an in-toto statement (its _type is ${JSON.stringify(type)})`);
  if (typeof doc.predicateType !== 'string') throw new Malformed('the in-toto statement has no predicateType');
  if (!Array.isArray(doc.subject) || !doc.subject.length) throw new Malformed('the in-toto statement has no subject');
  const subjects = doc.subject.map((s, i): InTotoSubject => {
    if (!isObject(s) || !isObject(s.digest)) throw new Malformed(`subject ${i} of the in-toto statement has no digest`);
    const digest: Record<string, string> = {};
    for (const [alg, hex] of Object.entries(s.digest)) if (typeof hex === 'string') digest[alg] = hex;
    return { ...(typeof s.name === 'string' ? { name: s.name } : {}), digest };
  });
  return { type, predicateType: doc.predicateType, subjects };
}

function checkSubject(statement: InTotoStatement, imageDigest: string, who: string): SignatureProblem | undefined {
  const want = tryParseDigest(imageDigest)!;
  if (statement.subjects.some((s) => s.digest[want.algorithm]?.toLowerCase() === want.hex)) return undefined;
  const about = statement.subjects.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join('/') + (s.name ? ` (${s.name})` : '')).join(', ');
  return problem('digest-mismatch', `the Sigstore bundle signed by ${who} is for another image: its statement is about ${about || 'no digest'}, but this image is ${imageDigest}`);
}

type Parsed = { bundle: Bundle; entity: SignedEntity; pae: Buffer; signature: Buffer; statement: InTotoStatement };

function parseBundle(bytes: Buffer): Parsed | SignatureProblem {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return problem('malformed', 'the Sigstore bundle is not JSON');
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    const fields = (e as { fields?: string[] }).fields;
    return problem('malformed', `not a valid Sigstore bundle: ${(e as Error).message}${fields?.length ? ` (${fields.join(', ')})` : ''}`);
  }
  if (bundle.content.$case === 'messageSignature') {
    return problem('unsupported', 'this Sigstore bundle holds a message signature, which carries only the digest of the bytes it signs and so cannot say which image it is for; cosign v3 signs images with a DSSE in-toto statement (cosign sign --new-bundle-format)');
  }
  const env = bundle.content.dsseEnvelope;
  if (env.signatures.length !== 1) return problem('malformed', `the bundle's DSSE envelope has ${env.signatures.length} signatures; a Sigstore bundle has exactly one`);
  if (env.payloadType !== INTOTO_PAYLOAD_TYPE) {
    return problem('unsupported', `the bundle's DSSE envelope carries ${JSON.stringify(env.payloadType)}, not an in-toto statement (${INTOTO_PAYLOAD_TYPE}), so it cannot say which image it is for`);
  }
  let statement: InTotoStatement;
  let entity: SignedEntity;
  try {
    statement = parseStatement(env.payload);
    entity = toSignedEntity(bundle);
    // The RFC 3161 timestamps parse lazily: read each one now, so that a broken one is malformed here.
    for (const t of entity.timestamps) if (t.$case === 'timestamp-authority' && Number.isNaN(t.timestamp.signingTime.getTime())) throw new Error('a timestamp has no time');
  } catch (e) {
    return problem('malformed', `the Sigstore bundle cannot be read: ${(e as Error).message}`);
  }
  return { bundle, entity, pae: dsse.preAuthEncoding(env.payloadType, env.payload), signature: env.signatures[0]!.sig, statement };
}

// sigstore-js checks ECDSA signatures with SHA-256 whatever the curve; sigstore-go signs with P-384
// keys over SHA-384. Check the signature as cosign would, and leave the rest to @sigstore/verify.
function withCosignAlgorithms(p: Parsed): SignedEntity {
  const content = p.entity.signature;
  const signature: SignedEntity['signature'] = {
    get signature() { return content.signature; },
    compareSignature: (s) => content.compareSignature(s),
    compareDigest: (d) => content.compareDigest(d),
    verifySignature: (key) => {
      const algorithm = keyAlgorithm(key);
      return algorithm ? verifyWithKey(key, algorithm, p.pae, p.signature) : content.verifySignature(key);
    },
  };
  return { ...p.entity, signature };
}

function signingTimes(entity: SignedEntity): Date[] {
  return entity.timestamps.map((t) => (t.$case === 'transparency-log' ? new Date(Number(t.tlogEntry.integratedTime) * 1000) : t.timestamp.signingTime))
    .filter((d) => d.getTime() > 0);
}

function certificateOf(entity: SignedEntity) {
  return entity.key.$case === 'certificate' ? entity.key.certificate : undefined;
}

function explain(e: unknown, p: Parsed, s: LoadedSignerOf<'keyless'>): SignatureProblem {
  const who = JSON.stringify(s.name);
  if (e instanceof PolicyError) return problem('identity-mismatch', `the certificate does not match keyless signer ${who}: ${e.message}`);
  if (!(e instanceof VerificationError)) return problem('malformed', `the Sigstore bundle cannot be checked: ${(e as Error).message}`);
  const detail = [e.message, (e.cause as Error | undefined)?.message].filter(Boolean).join(': ');
  switch (e.code) {
    case 'CERTIFICATE_ERROR': {
      const cert = certificateOf(p.entity);
      if (/expired|not valid/i.test(detail) && cert) {
        const at = signingTimes(p.entity).map((d) => d.toISOString()).join(', ');
        return problem('expired-certificate', `the signing certificate was not valid when the signature was made (signed at ${at || 'an unknown time'}; the certificate is valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}), for keyless signer ${who}`);
      }
      if (/SCT/.test(detail)) return problem('untrusted-chain', `the certificate's transparency proof (SCT) is not from a CT log of the trusted root of keyless signer ${who}: ${detail}`);
      return problem('untrusted-chain', `the signing certificate does not chain to a certificate authority of the trusted root of keyless signer ${who} (${detail}): signed by another Sigstore instance, or the trusted root is out of date`);
    }
    case 'TIMESTAMP_ERROR':
      return problem('untrusted-chain', `the bundle has no signing time that the trusted root of keyless signer ${who} can verify (${detail}): a keyless signature needs a Rekor entry or an RFC 3161 timestamp`);
    case 'TLOG_BODY_ERROR':
      return problem('wrong-key', `the bundle's transparency log entry is for other content than its signature (${detail}): the bundle was changed after signing`);
    case 'SIGNATURE_ERROR':
      return problem('wrong-key', 'the signature does not verify with the certificate\'s key: the bundle was changed after signing');
    case 'TLOG_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return problem('untrusted-chain', `the bundle's transparency log entry cannot be verified with the trusted root of keyless signer ${who} (${detail})`);
    default:
      return problem('untrusted-chain', `the bundle does not verify with the trusted root of keyless signer ${who}: ${detail}`);
  }
}

function checkIdentity(signer: Signer, s: LoadedSignerOf<'keyless'>): SignatureProblem | undefined {
  const san = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  const { identity } = s;
  const wrong: string[] = [];
  if (identity.subject !== undefined ? san !== identity.subject : !(san !== undefined && identity.subjectRegExp!.test(san))) {
    wrong.push(`its identity is ${JSON.stringify(san ?? '(none)')}, not ${identity.subject !== undefined ? JSON.stringify(identity.subject) : `one matching /${identity.subjectRegExp!.source}/`}`);
  }
  if (issuer !== identity.issuer) wrong.push(`its OIDC issuer is ${JSON.stringify(issuer ?? '(none)')}, not ${JSON.stringify(identity.issuer)}`);
  return wrong.length ? problem('identity-mismatch', `the certificate is not keyless signer ${JSON.stringify(s.name)}'s: ${wrong.join('; ')}`) : undefined;
}

function keylessEntity(p: Parsed, s: LoadedSignerOf<'keyless'>): SignedEntity {
  const entity = withCosignAlgorithms(p);
  // A root without transparency logs (a private, timestamp-only instance) cannot check Rekor
  // entries: leave them out, and the signing times they claim with them.
  if (s.trust.tlogs.length) return entity;
  return { ...entity, tlogEntries: [], timestamps: entity.timestamps.filter((t) => t.$case !== 'transparency-log') };
}

export function verifySigstoreBundle(candidate: SigstoreBundleCandidate, imageDigest: string, signers: readonly LoadedSigner[]): SignatureVerdict {
  const format = 'sigstore-bundle';
  const parsed = parseBundle(candidate.bundle);
  if (!('entity' in parsed)) return fail(format, parsed);
  const p = parsed;
  const cert = certificateOf(p.entity);
  const times = signingTimes(p.entity).sort((a, b) => a.getTime() - b.getTime());
  const base: SignatureClaims = { predicateType: p.statement.predicateType, ...(times[0] ? { signedAt: times[0].toISOString() } : {}) };

  const keys = signersOf(signers, 'key');
  const byKey = keys.find((k) => verifyWithKey(k.key, k.algorithm, p.pae, p.signature));
  if (byKey) {
    const mismatch = checkSubject(p.statement, imageDigest, JSON.stringify(byKey.name));
    return mismatch ? fail(format, mismatch, base) : pass(format, byKey.name, base);
  }

  const keyless = signersOf(signers, 'keyless');
  const problems: SignatureProblem[] = [];
  let claims = base;
  if (cert) {
    for (const s of keyless) {
      let signer: Signer;
      try {
        signer = new Verifier(s.trust, {
          tlogThreshold: s.trust.tlogs.length ? 1 : 0,
          ctlogThreshold: s.trust.ctlogs.length ? 1 : 0,
          timestampThreshold: 1,
        }).verify(keylessEntity(p, s));
      } catch (e) {
        problems.push(explain(e, p, s));
        continue;
      }
      const san = signer.identity?.subjectAlternativeName;
      const issuer = signer.identity?.extensions?.issuer;
      claims = { ...base, ...(san ? { subject: san } : {}), ...(issuer ? { issuer } : {}) };
      const wrong = checkIdentity(signer, s) ?? checkSubject(p.statement, imageDigest, `keyless signer ${JSON.stringify(s.name)}`);
      if (!wrong) return pass(format, s.name, claims);
      problems.push(wrong);
    }
    if (!keyless.length) {
      problems.push(problem('wrong-key', `this is a keyless Sigstore signature (a certificate${keys.length ? `, and no trusted key (${names(keys)}) verifies it` : ''}), and no keyless signer (OIDC identity, issuer and trusted root) is configured: add one to trust it`));
    } else if (keys.length) {
      problems.push(problem('wrong-key', `the bundle's signature does not verify with any trusted key (${names(keys)})`));
    }
  } else {
    problems.push(problem('wrong-key', keys.length
      ? `the Sigstore bundle's signature does not verify with any trusted key (${names(keys)}): it was made with another key, or the bundle was changed after signing`
      : `the Sigstore bundle is signed with a key, and no trusted public key is configured${keyless.length ? ` (keyless signers ${names(keyless)} check certificates only)` : ''}: add the signer's cosign.pub as a trusted key`));
  }
  return fail(format, mostSpecific(problems)!, claims);
}
