// Notary Project JWS envelopes, built as notation-go builds them (flattened JWS JSON, x5c chain in
// the unprotected header), with certificates made by openssl (pki.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { constants, createHash, createPrivateKey, sign } from 'node:crypto';
import { verifySignature, type SignatureVerdict, type TrustedSigner } from '../../../../../src/features/trust/verify/index.ts';
import { CA_EXTENSIONS, DAY, keyPair, Pki, type Issued, type KeyKind } from './pki.ts';

const DIGEST = `sha256:${createHash('sha256').update('the image manifest').digest('hex')}`;
const OTHER = `sha256:${createHash('sha256').update('another manifest').digest('hex')}`;
const NOW = new Date();
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const LEAF = ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = codeSigning', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'];
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

interface EnvelopeOptions {
  readonly chain: readonly Issued[];
  readonly digest?: string;
  readonly alg?: string;
  readonly header?: Record<string, unknown>;
  readonly unprotected?: Record<string, unknown>;
  readonly signingTime?: Date;
  readonly tamper?: boolean;
  readonly extra?: Record<string, unknown>;
}

// notation-go's JWS envelope: protected header with alg/cty/crit and the notary claims.
function envelope(o: EnvelopeOptions): Buffer {
  const leaf = o.chain[0]!;
  const k = createPrivateKey(leaf.key.privatePem);
  const rsa = k.asymmetricKeyType === 'rsa';
  const bits = rsa ? k.asymmetricKeyDetails!.modulusLength! : { prime256v1: 256, secp384r1: 384, secp521r1: 521 }[k.asymmetricKeyDetails!.namedCurve!]!;
  const size = rsa ? { 2048: 256, 3072: 384, 4096: 512 }[bits]! : { 256: 256, 384: 384, 521: 512 }[bits]!;
  const alg = o.alg ?? `${rsa ? 'PS' : 'ES'}${size}`;
  const protectedHeader = {
    alg, cty: 'application/vnd.cncf.notary.payload.v1+json', crit: ['io.cncf.notary.signingScheme'],
    'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': (o.signingTime ?? ago(1)).toISOString().replace(/\.\d+Z$/, 'Z'),
    ...o.header,
  };
  const payload = { targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: o.digest ?? DIGEST, size: 1234 } };
  const h = b64url(JSON.stringify(protectedHeader));
  const p = b64url(JSON.stringify(payload));
  const input = Buffer.from(`${h}.${p}`);
  const hash = `sha${size}`;
  const signature = rsa
    ? sign(hash, input, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: size / 8 })
    : sign(hash, input, { key: k, dsaEncoding: 'ieee-p1363' });
  const signedPayload = o.tamper ? b64url(JSON.stringify({ targetArtifact: { ...payload.targetArtifact, size: 1 } })) : p;
  return Buffer.from(JSON.stringify({
    payload: signedPayload, protected: h,
    header: { 'io.cncf.notary.signingAgent': 'notation-go/1.3.0', x5c: o.chain.map((c) => c.der.toString('base64')), ...o.unprotected },
    signature: b64url(signature), ...o.extra,
  }));
}

const code = (v: SignatureVerdict) => (v.ok ? 'ok' : v.problem!.code);

describe('Notation JWS signatures', () => {
  let pki: Pki;
  let root: Issued;
  let inter: Issued;
  let trusted: TrustedSigner;
  const leafOf = (o: { kind?: KeyKind; from?: Date; to?: Date; ext?: readonly string[]; issuer?: Issued; subject?: string } = {}) => pki.issue({
    subject: o.subject ?? '/C=US/O=Acme/CN=acme release', key: keyPair(o.kind ?? 'rsa2048'), issuer: o.issuer ?? inter,
    notBefore: o.from ?? ago(30), notAfter: o.to ?? new Date(NOW.getTime() + 30 * DAY), extensions: o.ext ?? LEAF,
  });
  const check = (env: Buffer, signers: TrustedSigner[] = [trusted], mediaType = 'application/jose+json') => verifySignature({ format: 'notation', envelope: env, mediaType }, DIGEST, signers, NOW);

  before(() => {
    pki = new Pki();
    root = pki.root('/C=US/O=Acme/CN=acme root', ago(365), new Date(NOW.getTime() + 365 * DAY), 'rsa3072');
    inter = pki.issue({ subject: '/C=US/O=Acme/CN=acme signing CA', key: keyPair('p384'), issuer: root, notBefore: ago(300), notAfter: new Date(NOW.getTime() + 300 * DAY), extensions: CA_EXTENSIONS });
    trusted = { name: 'acme', kind: 'x509', material: root.pem };
  });
  after(() => pki.close());

  it('verifies a chain to a trusted root, reporting the signer subject and signing time', async () => {
    const signedAt = new Date(Math.floor(ago(1).getTime() / 1000) * 1000);
    const v = await check(envelope({ chain: [leafOf(), inter, root], signingTime: signedAt }));
    assert.equal(v.ok, true, v.problem?.message);
    assert.equal(v.signer, 'acme');
    assert.match(v.claims!.subject!, /CN=acme release/);
    assert.equal(v.claims!.signedAt, signedAt.toISOString());
  });

  it('verifies every key size the Notary Project allows, with its alg', async () => {
    for (const kind of ['p256', 'p384', 'p521', 'rsa3072', 'rsa4096'] as const) {
      const v = await check(envelope({ chain: [leafOf({ kind }), inter, root] }));
      assert.equal(v.ok, true, `${kind}: ${v.problem?.message}`);
    }
  });

  it('a trusted intermediate is enough; so is a self-signed signing certificate (notation cert generate-test)', async () => {
    assert.equal((await check(envelope({ chain: [leafOf(), inter, root] }), [{ name: 'ca', kind: 'x509', material: inter.pem }])).ok, true);
    const selfSigned = pki.issue({ subject: '/CN=wabbit-networks.io', key: keyPair('rsa2048'), notBefore: ago(1), notAfter: new Date(NOW.getTime() + DAY), extensions: LEAF.filter((e) => !e.startsWith('authority')) });
    const v = await check(envelope({ chain: [selfSigned] }), [{ name: 'test', kind: 'x509', material: selfSigned.pem }]);
    assert.equal(v.ok, true, v.problem?.message);
    assert.equal(v.signer, 'test');
  });

  it('a chain to another root: untrusted-chain', async () => {
    const otherRoot = pki.root('/CN=other root', ago(10), new Date(NOW.getTime() + 10 * DAY));
    const v = await check(envelope({ chain: [leafOf({ issuer: otherRoot }), otherRoot] }));
    assert.equal(code(v), 'untrusted-chain');
    assert.match(v.problem!.message, /does not lead to a trusted certificate of "acme"/);
    assert.equal(code(await check(envelope({ chain: [leafOf(), inter, root] }), [])), 'untrusted-chain');
  });

  it('a changed payload: wrong-key', async () => {
    const v = await check(envelope({ chain: [leafOf(), inter, root], tamper: true }));
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /does not verify with its signing certificate/);
  });

  it('another image: digest-mismatch', async () => {
    const v = await check(envelope({ chain: [leafOf(), inter, root], digest: OTHER }));
    assert.equal(code(v), 'digest-mismatch');
    assert.match(v.problem!.message, new RegExp(`it signs ${OTHER}, but this image is ${DIGEST}`));
  });

  it('expired-certificate: a leaf expired now (no trusted timestamp), or not valid at signing time', async () => {
    const expired = leafOf({ from: ago(30), to: ago(2) });
    const v = await check(envelope({ chain: [expired, inter, root], signingTime: ago(5) }));
    assert.equal(code(v), 'expired-certificate');
    assert.match(v.problem!.message, /certificate 1 of the chain .* is expired on .* so it is not valid now .* without a trusted timestamp/);
    const notYet = await check(envelope({ chain: [leafOf({ from: ago(3) }), inter, root], signingTime: ago(10) }));
    assert.equal(code(notYet), 'expired-certificate');
    assert.match(notYet.problem!.message, /not valid before .* at signing time/);
    const timestamped = await check(envelope({ chain: [expired, inter, root], signingTime: ago(5), unprotected: { 'io.cncf.notary.timestampSignature': 'MIIB' } }));
    assert.match(timestamped.problem!.message, /does not check the RFC 3161 timestamp countersignature/);
  });

  it('notary.x509.signingAuthority: the chain must be valid at the authentic signing time only', async () => {
    const expired = leafOf({ from: ago(30), to: ago(2) });
    const header = { 'io.cncf.notary.signingScheme': 'notary.x509.signingAuthority', 'io.cncf.notary.signingTime': undefined, 'io.cncf.notary.authenticSigningTime': ago(5).toISOString(), crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.authenticSigningTime'] };
    assert.equal((await check(envelope({ chain: [expired, inter, root], header }))).ok, true);
    assert.equal(code(await check(envelope({ chain: [expired, inter, root], header: { ...header, 'io.cncf.notary.authenticSigningTime': ago(1).toISOString() } }))), 'expired-certificate');
    assert.equal(code(await check(envelope({ chain: [leafOf(), inter, root], header: { ...header, crit: ['io.cncf.notary.signingScheme'] } }))), 'malformed');
  });

  it('io.cncf.notary.expiry in the past: expired-signature', async () => {
    const expiry = { 'io.cncf.notary.expiry': ago(1).toISOString(), crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] };
    const v = await check(envelope({ chain: [leafOf(), inter, root], signingTime: ago(3), header: expiry }));
    assert.equal(code(v), 'expired-signature');
    const future = { ...expiry, 'io.cncf.notary.expiry': new Date(NOW.getTime() + DAY).toISOString() };
    assert.equal((await check(envelope({ chain: [leafOf(), inter, root], header: future }))).ok, true);
  });

  it('headers: a wrong alg and a missing crit are malformed; plugins and unknown critical headers unsupported', async () => {
    const chain = [leafOf(), inter, root];
    const v = await check(envelope({ chain, alg: 'PS384' }));
    assert.equal(code(v), 'malformed');
    assert.match(v.problem!.message, /alg PS384 does not match the signing certificate's key, which requires PS256/);
    assert.equal(code(await check(envelope({ chain, alg: 'RS256' }))), 'malformed');
    assert.equal(code(await check(envelope({ chain, header: { crit: [] } }))), 'malformed');
    assert.equal(code(await check(envelope({ chain, header: { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] } }))), 'malformed');
    const plugin = await check(envelope({ chain, header: { 'io.cncf.notary.verificationPlugin': 'com.example.kms', crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin'] } }));
    assert.equal(code(plugin), 'unsupported');
    assert.match(plugin.problem!.message, /Notation plugin "com\.example\.kms"/);
    assert.equal(code(await check(envelope({ chain, header: { 'x-new': 1, crit: ['io.cncf.notary.signingScheme', 'x-new'] } }))), 'unsupported');
    assert.equal(code(await check(envelope({ chain, header: { cty: 'application/json' } }))), 'unsupported');
    assert.equal(code(await check(envelope({ chain, header: { 'io.cncf.notary.signingScheme': 'notary.default' } }))), 'unsupported');
    assert.equal(code(await check(envelope({ chain, header: { 'io.cncf.notary.signingTime': 'yesterday' } }))), 'malformed');
  });

  it('the chain: out of order, without its root, or with certificates a signer must not use: malformed', async () => {
    const leaf = leafOf();
    assert.match((await check(envelope({ chain: [leaf, root, inter] }))).problem!.message, /not in order/);
    assert.match((await check(envelope({ chain: [leaf, inter] }))).problem!.message, /does not end in a root/);
    const noDigitalSignature = leafOf({ ext: ['keyUsage = critical, keyEncipherment', 'authorityKeyIdentifier = keyid'] });
    assert.match((await check(envelope({ chain: [noDigitalSignature, inter, root] }))).problem!.message, /keyUsage lacks digitalSignature/);
    const tlsLeaf = leafOf({ ext: ['keyUsage = critical, digitalSignature', 'extendedKeyUsage = serverAuth', 'authorityKeyIdentifier = keyid'] });
    assert.match((await check(envelope({ chain: [tlsLeaf, inter, root] }))).problem!.message, /extendedKeyUsage must not have serverAuth/);
    const nonCritical = leafOf({ ext: ['keyUsage = digitalSignature', 'authorityKeyIdentifier = keyid'] });
    assert.match((await check(envelope({ chain: [nonCritical, inter, root] }))).problem!.message, /keyUsage extension must be critical/);
    const caLeaf = leafOf({ ext: CA_EXTENSIONS });
    assert.match((await check(envelope({ chain: [caLeaf, inter, root] }))).problem!.message, /is a CA certificate/);
    for (const v of [noDigitalSignature, tlsLeaf, nonCritical, caLeaf]) assert.equal(code(await check(envelope({ chain: [v, inter, root] }))), 'malformed');
  });

  it('not flattened JWS JSON, not JSON, no x5c: malformed; COSE and other media types: unsupported', async () => {
    const chain = [leafOf(), inter, root];
    assert.equal(code(await check(envelope({ chain, extra: { signatures: [] } }))), 'malformed');
    assert.equal(code(await check(Buffer.from('eyJhbGciOi.x.y'))), 'malformed');
    assert.equal(code(await check(envelope({ chain, unprotected: { x5c: [] } }))), 'malformed');
    const cose = await check(Buffer.from([0xd2, 0x84]), [trusted], 'application/cose');
    assert.equal(code(cose), 'unsupported');
    assert.match(cose.problem!.message, /COSE envelope .*`notation sign --signature-format jws`/);
    assert.equal(code(await check(envelope({ chain }), [trusted], 'application/octet-stream')), 'unsupported');
  });
});
