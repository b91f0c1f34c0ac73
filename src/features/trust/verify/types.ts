// The vocabulary of signature verification: who is trusted (TrustedSigner), what was found in the
// registry (SignatureCandidate) and what came of checking one (SignatureVerdict). Pure: the only
// work done here is parsing key material (parseSigner), which does no I/O.
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Key, PublicKey } from 'openpgp';

/** A signer an administrator trusts, as configured (kind plus the text of its key material). */
export interface TrustedSigner {
  /** The administrator's name for it; verdicts report it. */
  readonly name: string;
  /**
   * - key: a PEM public key (cosign.pub; ECDSA P-256/P-384/P-521, Ed25519 or RSA), for cosign signatures and bundles;
   * - pgp: an ASCII-armored OpenPGP public key block, for containers/image "atomic" GPG signatures;
   * - x509: one or more PEM certificates of a Notation trust store (a root or an intermediate);
   * - keyless: a JSON text {issuer, subject | subjectRegExp, trustedRoot}, for Sigstore keyless bundles.
   */
  readonly kind: SignerKind;
  readonly material: string;
}

export type SignerKind = 'key' | 'pgp' | 'x509' | 'keyless';

/** A signature found for an image, in one of the four layouts Berth understands. */
export type SignatureCandidate =
  /** cosign's legacy layout: a simple-signing payload layer with its signature in an annotation. */
  | {
    readonly format: 'cosign';
    /** The layer bytes exactly (application/vnd.dev.cosign.simplesigning.v1+json). */
    readonly payload: Buffer;
    /** Base64, the layer annotation dev.cosignproject.cosign/signature. */
    readonly signature: string;
    /** PEM, the annotation dev.sigstore.cosign/certificate (keyless legacy). */
    readonly certificate?: string;
    /** PEM, the annotation dev.sigstore.cosign/chain. */
    readonly chain?: string;
  }
  /** A Sigstore bundle (cosign v3 stores one per signature as an OCI referrer of the image). */
  | { readonly format: 'sigstore-bundle'; readonly bundle: Buffer }
  /** A Notary Project signature envelope (the layer of an application/vnd.cncf.notary.signature artifact). */
  | { readonly format: 'notation'; readonly envelope: Buffer; readonly mediaType: string }
  /** A containers/image GPG "atomic" signature (skopeo/podman --sign-by): an OpenPGP signed message. */
  | { readonly format: 'gpg'; readonly content: Buffer };

export type SignatureFormat = SignatureCandidate['format'];

export type ProblemCode =
  /** The signature does not verify with any trusted key (another key, or tampered content). */
  | 'wrong-key'
  /** A trusted signer signed, but another image (or the signed digest is unusable). */
  | 'digest-mismatch'
  /** A certificate of the chain was not valid at signing time (or, Notation, is not valid now); an OpenPGP key has expired. */
  | 'expired-certificate'
  /** The signature's own expiry has passed (Notation io.cncf.notary.expiry, an OpenPGP signature expiration). */
  | 'expired-signature'
  /** Keyless: the certificate names another identity or OIDC issuer than the trusted one. */
  | 'identity-mismatch'
  /** The certificate chain (or the transparency log entry) does not lead to trusted material. */
  | 'untrusted-chain'
  /** The signature cannot be parsed. */
  | 'malformed'
  /** A valid layout that Berth does not check (for example COSE envelopes, message-signature bundles). */
  | 'unsupported';

export interface SignatureProblem {
  readonly code: ProblemCode;
  /** For a user: what failed and why, and where possible what to do. */
  readonly message: string;
}

/** What the signature claims besides the digest, for display; never enforced here. */
export interface SignatureClaims {
  /** simple signing: critical.identity.docker-reference (cosign legacy, gpg). */
  readonly dockerReference?: string;
  /** sigstore bundles: the in-toto statement's predicateType. */
  readonly predicateType?: string;
  /** The certificate's identity (keyless: its SAN; Notation: its subject DN). */
  readonly subject?: string;
  /** Keyless: the OIDC issuer in the certificate. */
  readonly issuer?: string;
  /** When it was signed, as far as the signature says (ISO 8601). */
  readonly signedAt?: string;
}

export interface SignatureVerdict {
  readonly format: SignatureFormat;
  readonly ok: boolean;
  /** The name of the trusted signer that verified it (ok only). */
  readonly signer?: string;
  /** Why it is not ok (absent when ok). */
  readonly problem?: SignatureProblem;
  readonly claims?: SignatureClaims;
}

/** The signer material is unusable; the message says what is wrong and what to give instead. */
export class SignerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignerError';
  }
}

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519' | 'rsa';

export interface KeylessIdentity {
  readonly issuer: string;
  readonly subject?: string;
  readonly subjectRegExp?: RegExp;
}

/** A signer's material, parsed and checked. */
export type ParsedSigner =
  | { readonly kind: 'key'; readonly key: KeyObject; readonly algorithm: KeyAlgorithm }
  | { readonly kind: 'pgp'; readonly keys: readonly PublicKey[] }
  | { readonly kind: 'x509'; readonly certificates: readonly X509Certificate[] }
  | { readonly kind: 'keyless'; readonly identity: KeylessIdentity; readonly trust: TrustMaterial };

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function pemLabels(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => m[1]!);
}

/** The algorithm cosign would verify with, or undefined when cosign does not support the key. */
export function keyAlgorithm(key: KeyObject): KeyAlgorithm | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'ed25519';
  if (type === 'rsa' || type === 'rsa-pss') return 'rsa';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ecdsa-p256';
    if (curve === 'secp384r1') return 'ecdsa-p384';
    if (curve === 'secp521r1') return 'ecdsa-p521';
  }
  return undefined;
}

function parseKey(material: string): ParsedSigner {
  const labels = pemLabels(material);
  const help = 'give the cosign.pub file that cosign generate-key-pair wrote (or `cosign public-key --key <ref>`)';
  if (labels.some((l) => l.includes('PRIVATE KEY'))) {
    throw new SignerError(`this is a private key, which must stay secret: ${help}`);
  }
  if (labels.includes('CERTIFICATE')) {
    throw new SignerError(`this is a certificate, not a public key: for a Notation trust store use kind x509; for cosign, ${help} (or extract it with \`openssl x509 -pubkey -noout\`)`);
  }
  if (!labels.includes('PUBLIC KEY') && !labels.includes('RSA PUBLIC KEY')) {
    throw new SignerError(`not a PEM public key: ${help}`);
  }
  // createPublicKey reads the first PEM block only: a second key would be stored but never
  // trusted, silently, so it is refused.
  if (labels.length > 1) {
    throw new SignerError(`${labels.length} PEM blocks: give one public key per signer (add each key under its own name); ${help}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(material.trim());
  } catch (e) {
    throw new SignerError(`not a readable PEM public key (${(e as Error).message}): ${help}`);
  }
  const algorithm = keyAlgorithm(key);
  if (!algorithm) {
    const what = key.asymmetricKeyType === 'ec' ? `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'}` : `${key.asymmetricKeyType ?? 'unknown'} key`;
    throw new SignerError(`unsupported ${what}: cosign signs with ECDSA P-256, P-384 or P-521, Ed25519 or RSA keys`);
  }
  if (algorithm === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new SignerError(`RSA key of ${key.asymmetricKeyDetails?.modulusLength ?? '?'} bits is too weak: use 2048 bits or more`);
  }
  return { kind: 'key', key, algorithm };
}

async function parsePgp(material: string): Promise<ParsedSigner> {
  const help = 'give the output of `gpg --armor --export <key id>`';
  if (material.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) {
    throw new SignerError(`this is a private key, which must stay secret: ${help}`);
  }
  if (!material.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    throw new SignerError(`not an ASCII-armored OpenPGP public key block: ${help}`);
  }
  let keys: Key[];
  try {
    const { readKeys } = await import('openpgp'); // loaded on first use (see gpg.ts)
    keys = await readKeys({ armoredKeys: material.trim() });
  } catch (e) {
    throw new SignerError(`not a readable OpenPGP public key (${(e as Error).message}): ${help}`);
  }
  if (!keys.length) throw new SignerError(`no key in the OpenPGP key block: ${help}`);
  if (keys.some((k) => k.isPrivate())) throw new SignerError(`the key block holds a private key, which must stay secret: ${help}`);
  return { kind: 'pgp', keys: keys.map((k) => k.toPublic()) };
}

function parseX509(material: string): ParsedSigner {
  const help = 'give the PEM root (or intermediate) certificate of the Notation trust store, as added with `notation cert add`';
  const blocks = [...material.matchAll(PEM_BLOCK)];
  if (blocks.some((b) => b[1]!.includes('PRIVATE KEY'))) throw new SignerError(`this is a private key, which must stay secret: ${help}`);
  const certs = blocks.filter((b) => b[1] === 'CERTIFICATE');
  if (!certs.length) {
    if (blocks.some((b) => b[1] === 'PUBLIC KEY')) throw new SignerError(`this is a public key, not a certificate: for cosign keys use kind key; ${help}`);
    throw new SignerError(`not a PEM certificate: ${help}`);
  }
  const certificates = certs.map((b, i) => {
    try {
      return new X509Certificate(b[0]);
    } catch (e) {
      throw new SignerError(`certificate ${i + 1} is not a readable X.509 certificate (${(e as Error).message}): ${help}`);
    }
  });
  return { kind: 'x509', certificates };
}

function parseKeyless(material: string): ParsedSigner {
  const shape = 'give a JSON object {"issuer": "<OIDC issuer URL>", "subject": "<identity>" (or "subjectRegExp": "<regular expression>"), "trustedRoot": <the trusted_root.json text>}';
  let spec: unknown;
  try {
    spec = JSON.parse(material);
  } catch {
    throw new SignerError(`not JSON: ${shape}`);
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new SignerError(`not a JSON object: ${shape}`);
  const { issuer, subject, subjectRegExp, trustedRoot } = spec as Record<string, unknown>;
  if (typeof issuer !== 'string' || !issuer) {
    throw new SignerError(`no issuer: give the OIDC issuer the signer logs in with, as cosign's --certificate-oidc-issuer (e.g. https://token.actions.githubusercontent.com)`);
  }
  if ((subject === undefined) === (subjectRegExp === undefined)) {
    throw new SignerError(`give exactly one of subject (the exact identity, as cosign's --certificate-identity) and subjectRegExp (as --certificate-identity-regexp)`);
  }
  if (subject !== undefined && (typeof subject !== 'string' || !subject)) throw new SignerError('subject must be a non-empty string: the exact certificate identity (an email or URI)');
  let re: RegExp | undefined;
  if (subjectRegExp !== undefined) {
    if (typeof subjectRegExp !== 'string' || !subjectRegExp) throw new SignerError('subjectRegExp must be a non-empty string');
    try {
      re = new RegExp(subjectRegExp, 'u');
    } catch (e) {
      throw new SignerError(`subjectRegExp is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const rootHelp = 'give the trusted_root.json of your Sigstore instance (for the public one, from its TUF repository; for your own, `cosign trusted-root create`)';
  let rootJson: unknown = trustedRoot;
  if (typeof trustedRoot === 'string') {
    try {
      rootJson = JSON.parse(trustedRoot);
    } catch {
      throw new SignerError(`trustedRoot is not JSON: ${rootHelp}`);
    }
  }
  if (!rootJson || typeof rootJson !== 'object' || Array.isArray(rootJson)) throw new SignerError(`no trustedRoot: ${rootHelp}`);
  const mediaType = (rootJson as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new SignerError(`trustedRoot is not a Sigstore trusted root (its mediaType is ${JSON.stringify(mediaType)}): ${rootHelp}`);
  }
  let trust: TrustMaterial;
  try {
    trust = toTrustMaterial(TrustedRoot.fromJSON(rootJson));
  } catch (e) {
    throw new SignerError(`trustedRoot cannot be read (${(e as Error).message}): ${rootHelp}`);
  }
  if (!trust.certificateAuthorities.length || trust.certificateAuthorities.some((ca) => !ca.certChain.length)) {
    throw new SignerError(`trustedRoot names no certificate authority (Fulcio) to check certificates with: ${rootHelp}`);
  }
  const identity: KeylessIdentity = { issuer, ...(typeof subject === 'string' ? { subject } : {}), ...(re ? { subjectRegExp: re } : {}) };
  return { kind: 'keyless', identity, trust };
}

/**
 * Parses and checks a signer's material. Rejects with a SignerError whose message says what is
 * wrong and what to give instead. Async only because OpenPGP keys are read asynchronously.
 */
export async function parseSigner(kind: SignerKind, material: string): Promise<ParsedSigner> {
  if (typeof material !== 'string' || !material.trim()) throw new SignerError(`no ${kind} material given`);
  switch (kind) {
    case 'key': return parseKey(material);
    case 'pgp': return parsePgp(material);
    case 'x509': return parseX509(material);
    case 'keyless': return parseKeyless(material);
    default: throw new SignerError(`unknown signer kind ${JSON.stringify(kind)}: use key, pgp, x509 or keyless`);
  }
}

/** A trusted signer whose material parsed. */
export type LoadedSigner = { readonly name: string } & ParsedSigner;
export type LoadedSignerOf<K extends SignerKind> = LoadedSigner & { readonly kind: K };

export function signersOf<K extends SignerKind>(signers: readonly LoadedSigner[], kind: K): LoadedSignerOf<K>[] {
  return signers.filter((s): s is LoadedSignerOf<K> => s.kind === kind);
}
