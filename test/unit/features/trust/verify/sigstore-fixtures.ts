// Test fixtures for Sigstore bundles, built the way cosign v3 and the Sigstore services build them:
// a DSSE envelope over an in-toto statement, signed with a key (ECDSA over the DSSE
// pre-authentication encoding), and for keyless a Fulcio-style certificate (made with openssl in
// pki.ts) plus a Rekor v1 "dsse" entry with a signed entry timestamp and an inclusion proof with
// a signed checkpoint, from a transparency log whose key the trusted root lists.
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { keyPair, type Issued, type KeyPair, type Pki } from './pki.ts';

export const INTOTO = 'application/vnd.in-toto+json';

/** Canonical JSON (RFC 8785 for the values used here: sorted keys, no spaces). */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });

/** Signs as sigstore-go does: ECDSA with the curve's hash (DER), Ed25519 pure, RSA PKCS#1 v1.5 SHA-256. */
export function signBytes(key: KeyPair, data: Buffer): Buffer {
  const k = createPrivateKey(key.privatePem);
  const curve = k.asymmetricKeyDetails?.namedCurve;
  const hash = k.asymmetricKeyType === 'ed25519' ? null : curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
  return sign(hash, data, k);
}

export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

/** The statement `cosign sign` (bundle format) signs for an image digest. */
export function cosignStatement(imageDigest: string, extra: Record<string, unknown> = {}): Buffer {
  const [alg, hex] = imageDigest.split(':');
  return Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { [alg!]: hex } }],
    predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {}, ...extra,
  }));
}

export interface Tlog {
  readonly key: KeyPair;
  readonly logId: Buffer;
  readonly baseUrl: string;
  readonly name: string;
}

export function fixtureTlog(name = 'rekor.test'): Tlog {
  const key = keyPair('p256');
  return { key, logId: createHash('sha256').update(spki(key.publicPem)).digest(), baseUrl: `https://${name}`, name };
}

export function trustedRootJson(o: { ca: readonly Issued[]; tlog?: Tlog; caStart?: Date; tsa?: readonly Issued[] }): string {
  const start = (o.caStart ?? new Date('2000-01-01T00:00:00Z')).toISOString();
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: o.tlog ? [{
      baseUrl: o.tlog.baseUrl, hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: spki(o.tlog.key.publicPem).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2000-01-01T00:00:00Z' } },
      logId: { keyId: o.tlog.logId.toString('base64') },
    }] : [],
    certificateAuthorities: [{
      subject: { organization: 'Berth tests', commonName: 'fulcio' }, uri: 'https://fulcio.test',
      certChain: { certificates: o.ca.map((c) => ({ rawBytes: c.der.toString('base64') })) }, validFor: { start },
    }],
    ctlogs: [],
    timestampAuthorities: o.tsa ? [{
      subject: { organization: 'Berth tests', commonName: 'tsa' }, uri: 'https://tsa.test',
      certChain: { certificates: o.tsa.map((c) => ({ rawBytes: c.der.toString('base64') })) }, validFor: { start },
    }] : [],
  });
}

/** A Rekor v1 dsse entry for this signature, with a SET and a one-leaf inclusion proof. */
export function tlogEntry(log: Tlog, o: { payload: Buffer; signature: Buffer; verifierPem: string; integratedTime: Date; logIndex?: number }): Record<string, unknown> {
  const body = Buffer.from(canonical({
    apiVersion: '0.0.1', kind: 'dsse',
    spec: {
      payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(o.payload).digest('hex') },
      signatures: [{ signature: o.signature.toString('base64'), verifier: Buffer.from(o.verifierPem).toString('base64') }],
    },
  }));
  const integratedTime = Math.floor(o.integratedTime.getTime() / 1000);
  const logIndex = o.logIndex ?? 42;
  const set = signBytes(log.key, Buffer.from(canonical({ body: body.toString('base64'), integratedTime, logIndex, logID: log.logId.toString('hex') })));
  const root = createHash('sha256').update(Buffer.from([0])).update(body).digest();
  const note = `${log.name} - 2605736670972794746\n1\n${root.toString('base64')}\n`;
  const noteSig = Buffer.concat([log.logId.subarray(0, 4), signBytes(log.key, Buffer.from(note))]);
  return {
    logIndex: String(logIndex), logId: { keyId: log.logId.toString('base64') }, kindVersion: { kind: 'dsse', version: '0.0.1' },
    integratedTime: String(integratedTime), inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
    inclusionProof: { logIndex: '0', rootHash: root.toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope: `${note}\n\u2014 ${log.name} ${noteSig.toString('base64')}\n` } },
    canonicalizedBody: body.toString('base64'),
  };
}

export interface BundleOptions {
  readonly payload: Buffer;
  readonly payloadType?: string;
  /** The signing key: a trusted key, or the certificate's key. */
  readonly key: KeyPair;
  readonly certificate?: Issued;
  readonly tlog?: { log: Tlog; integratedTime: Date };
  /** An RFC 3161 timestamp over the signature (verificationMaterial.timestampVerificationData). */
  readonly timestamp?: (signature: Buffer) => Buffer;
  /** Change the envelope's payload after signing (tampering). */
  readonly tamper?: (payload: Buffer) => Buffer;
}

export function dsseBundle(o: BundleOptions): Buffer {
  const payloadType = o.payloadType ?? INTOTO;
  const signature = signBytes(o.key, pae(payloadType, o.payload));
  const payload = o.tamper ? o.tamper(o.payload) : o.payload;
  const tlogEntries = o.tlog && o.certificate
    ? [tlogEntry(o.tlog.log, { payload: o.payload, signature, verifierPem: o.certificate.pem, integratedTime: o.tlog.integratedTime })]
    : [];
  return Buffer.from(JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      ...(o.certificate ? { certificate: { rawBytes: o.certificate.der.toString('base64') } } : { publicKey: { hint: createHash('sha256').update(spki(o.key.publicPem)).digest('base64') } }),
      tlogEntries,
      ...(o.timestamp ? { timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: o.timestamp(signature).toString('base64') }] } } : {}),
    },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType, signatures: [{ sig: signature.toString('base64'), keyid: '' }] },
  }));
}

export interface FulcioLeafOptions {
  readonly ca: Issued;
  readonly san: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly minutes?: number;
  readonly key?: KeyPair;
}

/** A Fulcio-style short-lived code-signing certificate: SAN identity and the OIDC issuer extensions. */
export function fulcioLeaf(pki: Pki, o: FulcioLeafOptions): Issued {
  return pki.issue({
    subject: '/O=sigstore.dev', key: o.key ?? keyPair('p256'), issuer: o.ca, notBefore: o.notBefore,
    notAfter: new Date(o.notBefore.getTime() + (o.minutes ?? 10) * 60_000),
    extensions: [
      'keyUsage = critical, digitalSignature', 'extendedKeyUsage = codeSigning', `subjectAltName = critical, ${o.san}`,
      'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid',
      `1.3.6.1.4.1.57264.1.1 = DER:${Buffer.from(o.issuer).toString('hex')}`, `1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${o.issuer}`,
    ],
  });
}
