// Notary Project (Notation) signatures in the JWS envelope (application/jose+json), following
// notaryproject/specifications: signature-envelope-jws.md, signature-specification.md and the
// verification steps of trust-store-trust-policy.md.
//
// The envelope is flattened JWS JSON: {payload, protected, header: {x5c, ...}, signature}, no other
// members. The protected header has alg (PS256/384/512, ES256/384/512, matching the signing key),
// cty application/vnd.cncf.notary.payload.v1+json, crit (which must name
// io.cncf.notary.signingScheme), the signing scheme (notary.x509 with io.cncf.notary.signingTime,
// or notary.x509.signingAuthority with io.cncf.notary.authenticSigningTime) and optionally
// io.cncf.notary.expiry. The payload is {targetArtifact: {mediaType, digest, size, annotations?}}.
//
// Checks, in the spec's order: integrity (the signature verifies with the leaf of x5c, the
// algorithm matches its key, x5c is an ordered chain ending in a self-signed root, each certificate
// meets the certificate requirements); authenticity (some certificate of the chain is a trusted
// x509 signer's); validity: every certificate valid at the signing time and, under notary.x509,
// also now, since Berth does not check RFC 3161 countersignatures (an authentic timestamp);
// expiry; and last that the target artifact's digest is this image's. Not checked: revocation
// (CRL/OCSP need the network), trusted identities (x509.subject constraints; the lead's policy can
// compare the reported subject), Notation plugins (reported as unsupported). COSE envelopes
// (application/cose) are reported as unsupported. Pure: node:crypto only.
import { X509Certificate as NodeCertificate, constants, verify, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { checkSignedDigest } from './simple-signing.ts';
import { decodeBase64, decodeBase64Url } from './keys.ts';
import { signersOf, type LoadedSigner, type SignatureCandidate, type SignatureClaims, type SignatureProblem, type SignatureVerdict } from './types.ts';
import { fail, names, pass, problem } from './verdict.ts';

export type NotationCandidate = Extract<SignatureCandidate, { format: 'notation' }>;

export const JWS_MEDIA_TYPE = 'application/jose+json';
export const COSE_MEDIA_TYPE = 'application/cose';
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
const SCHEME = 'io.cncf.notary.signingScheme';
const SIGNING_TIME = 'io.cncf.notary.signingTime';
const AUTHENTIC_SIGNING_TIME = 'io.cncf.notary.authenticSigningTime';
const EXPIRY = 'io.cncf.notary.expiry';
const PLUGIN = 'io.cncf.notary.verificationPlugin';
const PLUGIN_MIN_VERSION = 'io.cncf.notary.verificationPluginMinVersion';
const UNDERSTOOD_CRITICAL = [SCHEME, AUTHENTIC_SIGNING_TIME, EXPIRY];

type Alg = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';
const HASH: Record<Alg, string> = { PS256: 'sha256', PS384: 'sha384', PS512: 'sha512', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
const SALT: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

class Bad extends Error {
  constructor(readonly problem: SignatureProblem) {
    super(problem.message);
  }
}
const bad = (code: SignatureProblem['code'], message: string) => new Bad(problem(code, message));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The alg the Notary Project requires for a signing key (signature-specification.md, Algorithm Selection). */
export function algorithmForKey(key: KeyObject): Alg | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return ({ 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' } as const)[d?.modulusLength ?? 0];
  }
  if (key.asymmetricKeyType === 'ec') {
    return ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as const)[d?.namedCurve ?? ''];
  }
  return undefined;
}

function rfc3339(v: unknown, what: string): Date {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v) || Number.isNaN(Date.parse(v))) {
    throw bad('malformed', `the protected header's ${what} is not an RFC 3339 time: ${JSON.stringify(v)}`);
  }
  return new Date(v);
}

interface Cert {
  readonly node: NodeCertificate;
  readonly parsed: X509Certificate;
  readonly der: Buffer;
}

const SHA1_SIGNATURES = new Set(['1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.3.14.3.2.29', '1.2.840.10040.4.3']);
const FORBIDDEN_EKU: Record<string, string> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage', '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection', '1.3.6.1.5.5.7.3.8': 'timeStamping',
};

// keyUsage bits (RFC 5280 4.2.1.3), from the DER BIT STRING in the extension's value.
function keyUsageBits(c: Cert): number | undefined {
  const ext = c.parsed.extension('2.5.29.15');
  if (!ext) return undefined;
  const v = ext.value;
  if (v[0] !== 0x03 || v.length < 3) return 0;
  return ((v[3] ?? 0) << 8) | (v[4] ?? 0); // bit 0 (digitalSignature) is 0x8000
}
const KU = { digitalSignature: 0x8000, keyEncipherment: 0x2000, dataEncipherment: 0x1000, keyAgreement: 0x0800, keyCertSign: 0x0400, cRLSign: 0x0200, encipherOnly: 0x0100, decipherOnly: 0x0080 };

function describe(c: Cert): string {
  return c.node.subject.replace(/\n/g, ', ') || '(empty subject)';
}

function checkCertificate(c: Cert, index: number, isLeaf: boolean): void {
  const who = `certificate ${index + 1} of the chain (${describe(c)})`;
  if (SHA1_SIGNATURES.has(c.parsed.root.subs[1]!.subs[0]!.toOID())) throw bad('malformed', `${who} is signed with SHA-1, which the Notary Project forbids`);
  const key = c.node.publicKey;
  if ((key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw bad('malformed', `${who} has an RSA key under 2048 bits`);
  const bc = c.parsed.extBasicConstraints;
  const ku = c.parsed.extension('2.5.29.15');
  const bits = keyUsageBits(c);
  if (isLeaf) {
    if (bc?.isCA) throw bad('malformed', `${who} signs but is a CA certificate (basicConstraints cA is true)`);
    if (!ku || bits === undefined) throw bad('malformed', `${who} has no keyUsage extension; a Notary Project signing certificate needs a critical keyUsage with digitalSignature`);
    if (!ku.critical) throw bad('malformed', `${who}: its keyUsage extension must be critical`);
    if (!(bits & KU.digitalSignature)) throw bad('malformed', `${who}: its keyUsage lacks digitalSignature`);
    const forbidden = (['keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const).filter((k) => bits & KU[k]);
    if (forbidden.length) throw bad('malformed', `${who}: a signing certificate's keyUsage must not have ${forbidden.join(', ')}`);
    const eku = c.node.keyUsage ?? [];
    const badEku = eku.filter((o) => FORBIDDEN_EKU[o]).map((o) => FORBIDDEN_EKU[o]);
    if (badEku.length) throw bad('malformed', `${who}: a code-signing certificate's extendedKeyUsage must not have ${badEku.join(', ')}`);
    if (key.asymmetricKeyType === 'ec' && !algorithmForKey(key)) throw bad('malformed', `${who} has an EC key on an unsupported curve (P-256, P-384 or P-521 only)`);
  } else {
    if (!bc || !bc.critical || !bc.isCA) throw bad('malformed', `${who} issues the certificate below it but is not a CA: it needs a critical basicConstraints with cA true`);
    if (!ku || bits === undefined || !ku.critical || !(bits & KU.keyCertSign)) throw bad('malformed', `${who} needs a critical keyUsage with keyCertSign`);
    const pathLen = bc.pathLenConstraint;
    if (pathLen !== undefined && pathLen < BigInt(index - 1)) throw bad('malformed', `${who} allows ${pathLen} intermediate certificates below it, but the chain has ${index - 1}`);
  }
}

function readChain(x5c: unknown): Cert[] {
  if (!Array.isArray(x5c) || !x5c.length) throw bad('malformed', 'the envelope has no certificate chain (header x5c)');
  const chain = x5c.map((b64, i): Cert => {
    const der = typeof b64 === 'string' ? decodeBase64(b64) : undefined;
    if (!der) throw bad('malformed', `x5c[${i}] is not base64`);
    try {
      return { der, node: new NodeCertificate(der), parsed: X509Certificate.parse(Buffer.from(der)) };
    } catch (e) {
      throw bad('malformed', `x5c[${i}] is not an X.509 certificate (${(e as Error).message})`);
    }
  });
  // Ordered leaf first, each issued by the next, ending in a self-signed root.
  for (let i = 0; i + 1 < chain.length; i++) {
    const [c, issuer] = [chain[i]!, chain[i + 1]!];
    if (!c.node.checkIssued(issuer.node) || !c.node.verify(issuer.node.publicKey)) {
      throw bad('malformed', `the certificate chain is not in order: certificate ${i + 1} (${describe(c)}) is not issued by certificate ${i + 2} (${describe(issuer)})`);
    }
  }
  const root = chain[chain.length - 1]!;
  // Not checkIssued: a one-certificate chain is a self-signed signing certificate without keyCertSign.
  if (root.node.subject !== root.node.issuer || !root.node.verify(root.node.publicKey)) {
    throw bad('malformed', `the certificate chain does not end in a root: its last certificate (${describe(root)}) is not self-signed; a Notary Project signature carries its whole chain`);
  }
  chain.forEach((c, i) => checkCertificate(c, i, i === 0));
  return chain;
}

interface Envelope {
  readonly header: Record<string, unknown>;
  readonly alg: Alg;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
  readonly payload: Record<string, unknown>;
  readonly chain: Cert[];
  readonly scheme: 'notary.x509' | 'notary.x509.signingAuthority';
  readonly signedAt: Date;
  readonly expiry?: Date;
  readonly timestamped: boolean;
}

function parseEnvelope(bytes: Buffer): Envelope {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad('malformed', 'the Notation envelope is not JSON');
  }
  if (!isObject(doc)) throw bad('malformed', 'the Notation envelope is not a JSON object');
  const extra = Object.keys(doc).filter((k) => !['payload', 'protected', 'header', 'signature'].includes(k));
  if (extra.length) throw bad('malformed', `the Notation envelope is not flattened JWS JSON: it has ${extra.join(', ')}`);
  const { payload: p64, protected: h64, header: unprotected, signature: s64 } = doc;
  if (typeof p64 !== 'string' || typeof h64 !== 'string' || typeof s64 !== 'string') throw bad('malformed', 'the Notation envelope lacks its payload, protected header or signature');
  if (!isObject(unprotected)) throw bad('malformed', 'the Notation envelope has no unprotected header (with x5c)');
  const hBytes = decodeBase64Url(h64);
  const pBytes = decodeBase64Url(p64);
  const signature = decodeBase64Url(s64);
  if (!hBytes || !pBytes || !signature || !signature.length) throw bad('malformed', 'the Notation envelope has a member that is not base64url');
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(hBytes.toString('utf8'));
    payload = JSON.parse(pBytes.toString('utf8'));
  } catch {
    throw bad('malformed', 'the protected header or the payload is not JSON');
  }
  if (!isObject(header)) throw bad('malformed', 'the protected header is not a JSON object');
  if (!isObject(payload)) throw bad('malformed', 'the payload is not a JSON object');

  if (header.cty !== NOTATION_PAYLOAD_TYPE) throw bad('unsupported', `the payload's content type is ${JSON.stringify(header.cty)}, not ${NOTATION_PAYLOAD_TYPE}`);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(alg in HASH)) throw bad('malformed', `the signature algorithm ${JSON.stringify(alg)} is not one the Notary Project allows (PS256, PS384, PS512, ES256, ES384, ES512)`);
  const crit = header.crit;
  if (!Array.isArray(crit) || !crit.every((c) => typeof c === 'string')) throw bad('malformed', 'the protected header has no crit list');
  if (!crit.includes(SCHEME)) throw bad('malformed', `the protected header's crit does not name ${SCHEME}`);
  for (const c of crit as string[]) {
    if (!(c in header)) throw bad('malformed', `the protected header's crit names ${c}, which it does not have`);
    if (c === PLUGIN || c === PLUGIN_MIN_VERSION) throw bad('unsupported', `the signature must be verified by the Notation plugin ${JSON.stringify(header[PLUGIN])}, which Berth cannot run`);
    if (!UNDERSTOOD_CRITICAL.includes(c)) throw bad('unsupported', `the signature has a critical header Berth does not understand: ${c}`);
  }
  const scheme = header[SCHEME];
  let signedAt: Date;
  if (scheme === 'notary.x509') {
    signedAt = rfc3339(header[SIGNING_TIME], SIGNING_TIME);
  } else if (scheme === 'notary.x509.signingAuthority') {
    if (!crit.includes(AUTHENTIC_SIGNING_TIME)) throw bad('malformed', `under notary.x509.signingAuthority, ${AUTHENTIC_SIGNING_TIME} must be critical`);
    signedAt = rfc3339(header[AUTHENTIC_SIGNING_TIME], AUTHENTIC_SIGNING_TIME);
  } else {
    throw bad('unsupported', `unknown signing scheme ${JSON.stringify(scheme)} (notary.x509 and notary.x509.signingAuthority are known)`);
  }
  let expiry: Date | undefined;
  if (EXPIRY in header) {
    if (!crit.includes(EXPIRY)) throw bad('malformed', `${EXPIRY} must be listed in crit`);
    expiry = rfc3339(header[EXPIRY], EXPIRY);
  }
  const chain = readChain(unprotected.x5c);
  return {
    header, alg: alg as Alg, signingInput: Buffer.from(`${h64}.${p64}`, 'ascii'), signature, payload, chain,
    scheme, signedAt, ...(expiry ? { expiry } : {}), timestamped: typeof unprotected['io.cncf.notary.timestampSignature'] === 'string',
  };
}

function signatureValid(env: Envelope): boolean {
  const key = env.chain[0]!.node.publicKey;
  const hash = HASH[env.alg];
  try {
    if (env.alg.startsWith('ES')) return verify(hash, env.signingInput, { key, dsaEncoding: 'ieee-p1363' }, env.signature);
    return verify(hash, env.signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT[hash] }, env.signature);
  } catch {
    return false;
  }
}

function targetDigest(payload: Record<string, unknown>): string {
  const t = payload.targetArtifact;
  if (!isObject(t) || typeof t.digest !== 'string' || typeof t.mediaType !== 'string' || typeof t.size !== 'number') {
    throw bad('malformed', 'the payload has no targetArtifact {mediaType, digest, size}');
  }
  return t.digest;
}

function validity(chain: Cert[], at: Date, when: string, note = ''): SignatureProblem | undefined {
  for (const [i, c] of chain.entries()) {
    if (at < c.parsed.notBefore || at > c.parsed.notAfter) {
      const state = at > c.parsed.notAfter ? `expired on ${c.parsed.notAfter.toISOString()}` : `not valid before ${c.parsed.notBefore.toISOString()}`;
      return problem('expired-certificate', `certificate ${i + 1} of the chain (${describe(c)}) is ${state}, so it is not valid ${when} (${at.toISOString()})${note}`);
    }
  }
  return undefined;
}

export function verifyNotation(candidate: NotationCandidate, imageDigest: string, signers: readonly LoadedSigner[], now: Date): SignatureVerdict {
  const format = 'notation';
  const mediaType = candidate.mediaType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === COSE_MEDIA_TYPE) {
    return fail(format, problem('unsupported', 'this Notation signature is a COSE envelope (application/cose), which Berth does not check yet: sign with `notation sign --signature-format jws`'));
  }
  if (mediaType !== JWS_MEDIA_TYPE) {
    return fail(format, problem('unsupported', `unknown Notation envelope type ${JSON.stringify(candidate.mediaType)}: Berth checks application/jose+json`));
  }
  let env: Envelope;
  try {
    env = parseEnvelope(candidate.envelope);
  } catch (e) {
    if (e instanceof Bad) return fail(format, e.problem);
    throw e;
  }
  const leaf = env.chain[0]!;
  const claims: SignatureClaims = { subject: describe(leaf), signedAt: env.signedAt.toISOString() };
  try {
    const expected = algorithmForKey(leaf.node.publicKey);
    if (expected !== env.alg) throw bad('malformed', `the header's alg ${env.alg} does not match the signing certificate's key, which requires ${expected ?? 'an algorithm the Notary Project does not allow'}`);
    if (!signatureValid(env)) throw bad('wrong-key', 'the signature does not verify with its signing certificate: the envelope was changed after signing');
    const digest = targetDigest(env.payload);

    const stores = signersOf(signers, 'x509');
    if (!stores.length) throw bad('untrusted-chain', 'no Notation trust store certificate (x509 signer) is configured: add the root certificate the signing certificate chains to');
    const trusted = stores.find((s) => s.certificates.some((t) => env.chain.some((c) => c.der.equals(t.raw))));
    if (!trusted) {
      throw bad('untrusted-chain', `the certificate chain (${env.chain.map(describe).join(' <- ')}) does not lead to a trusted certificate of ${names(stores)}`);
    }
    const at = env.scheme === 'notary.x509' ? 'at signing time' : 'at the authentic signing time';
    const expired = validity(env.chain, env.signedAt, at)
      ?? (env.scheme === 'notary.x509'
        ? validity(env.chain, now, 'now', env.timestamped
          ? '; Berth does not check the RFC 3161 timestamp countersignature, so the whole chain must be valid now'
          : '; without a trusted timestamp the whole chain must be valid now')
        : undefined);
    if (expired) throw new Bad(expired);
    if (env.expiry && now >= env.expiry) throw bad('expired-signature', `the signature expired on ${env.expiry.toISOString()} (io.cncf.notary.expiry, set by the signer)`);
    const mismatch = checkSignedDigest(digest, imageDigest, `the Notation signature (trusted via ${JSON.stringify(trusted.name)})`);
    if (mismatch) throw new Bad(mismatch);
    return pass(format, trusted.name, claims);
  } catch (e) {
    if (e instanceof Bad) return fail(format, e.problem, claims);
    throw e;
  }
}
