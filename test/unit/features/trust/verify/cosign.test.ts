// cosign's legacy key-based layout: base64 of a signature over the simple-signing payload bytes,
// made here the way cosign (sigstore/sigstore's signers) makes them, with node:crypto.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, createHash, createPrivateKey, sign } from 'node:crypto';
import { verifySignature, type SignatureVerdict, type TrustedSigner } from '../../../../../src/features/trust/verify/index.ts';
import { keyPair, type KeyKind, type KeyPair } from './pki.ts';

const DIGEST = `sha256:${createHash('sha256').update('the image manifest').digest('hex')}`;
const OTHER = `sha256:${createHash('sha256').update('another manifest').digest('hex')}`;
const NOW = new Date();

// Byte for byte what `cosign sign` uploads as the signature layer (payload.Cosign.MarshalJSON).
const payloadFor = (digest: string, ref = 'registry.example/team/app', optional = 'null') => Buffer.from(
  `{"critical":{"identity":{"docker-reference":"${ref}"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":${optional}}`,
);

type How = 'default' | 'sha256' | 'pss';
// sigstore/sigstore's LoadSignerVerifier defaults: ECDSA over the curve's hash (ASN.1 DER), Ed25519
// over the message, RSA PKCS#1 v1.5 SHA-256; 'sha256' is `cosign sign --signature-digest-algorithm`.
function cosignSign(key: KeyPair, data: Buffer, how: How = 'default'): string {
  const k = createPrivateKey(key.privatePem);
  const curve = k.asymmetricKeyDetails?.namedCurve;
  if (k.asymmetricKeyType === 'ed25519') return sign(null, data, k).toString('base64');
  if (k.asymmetricKeyType === 'rsa') {
    return sign('sha256', data, how === 'pss' ? { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : k).toString('base64');
  }
  const hash = how === 'sha256' ? 'sha256' : curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
  return sign(hash, data, k).toString('base64');
}

const signer = (name: string, key: KeyPair): TrustedSigner => ({ name, kind: 'key', material: key.publicPem });
const check = (c: { payload: Buffer; signature: string; certificate?: string }, signers: TrustedSigner[]) => verifySignature({ format: 'cosign', ...c }, DIGEST, signers, NOW);
const code = (v: SignatureVerdict) => (v.ok ? 'ok' : v.problem!.code);

describe('cosign legacy signatures', () => {
  const key = keyPair('p256');
  const release = signer('release', key);

  it('verifies a signature over the payload bytes with the trusted cosign.pub', async () => {
    const payload = payloadFor(DIGEST);
    const v = await check({ payload, signature: cosignSign(key, payload) }, [release]);
    assert.deepEqual(v, { format: 'cosign', ok: true, signer: 'release', claims: { dockerReference: 'registry.example/team/app' } });
  });

  it('verifies every key type cosign signs with', async () => {
    const cases: [KeyKind, How][] = [['p384', 'default'], ['p384', 'sha256'], ['p521', 'default'], ['ed25519', 'default'], ['rsa2048', 'default'], ['rsa3072', 'pss']];
    for (const [kind, how] of cases) {
      const k = keyPair(kind);
      const payload = payloadFor(DIGEST);
      const v = await check({ payload, signature: cosignSign(k, payload, how) }, [release, signer(kind, k)]);
      assert.equal(v.ok && v.signer, kind, `${kind}/${how}: ${v.problem?.message}`);
    }
  });

  it('reports the signing time of optional.timestamp', async () => {
    const payload = payloadFor(DIGEST, 'r/app:1', '{"timestamp":1735689600,"creator":"cosign"}');
    const v = await check({ payload, signature: cosignSign(key, payload) }, [release]);
    assert.equal(v.claims?.signedAt, '2025-01-01T00:00:00.000Z');
  });

  it('another key: wrong-key, naming the keys tried', async () => {
    const payload = payloadFor(DIGEST);
    const v = await check({ payload, signature: cosignSign(keyPair('p256'), payload) }, [release, signer('backup', keyPair('ed25519'))]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /does not verify with any trusted key \("release", "backup"\)/);
  });

  it('the signature covers the payload bytes exactly: re-serialized or changed bytes do not verify', async () => {
    const payload = payloadFor(DIGEST);
    const signature = cosignSign(key, payload);
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(payload.toString()), null, 1));
    assert.equal(code(await check({ payload: reformatted, signature }, [release])), 'wrong-key');
    assert.equal(code(await check({ payload: payloadFor(DIGEST, 'registry.example/team/evil'), signature }, [release])), 'wrong-key');
  });

  it('a payload for another image: digest-mismatch, even though the key verifies', async () => {
    const payload = payloadFor(OTHER);
    const v = await check({ payload, signature: cosignSign(key, payload) }, [release]);
    assert.equal(code(v), 'digest-mismatch');
    assert.match(v.problem!.message, new RegExp(`by "release" is for another image: it signs ${OTHER}, but this image is ${DIGEST}`));
  });

  it('malformed: no or bad base64 signature, a payload that is not cosign simple signing', async () => {
    const payload = payloadFor(DIGEST);
    assert.equal(code(await check({ payload, signature: '' }, [release])), 'malformed');
    assert.equal(code(await check({ payload, signature: 'not base64!' }, [release])), 'malformed');
    const atomicTyped = Buffer.from(payload.toString().replace('cosign container image signature', 'atomic container signature'));
    const v = await check({ payload: atomicTyped, signature: cosignSign(key, atomicTyped) }, [release]);
    assert.equal(code(v), 'malformed');
    assert.match(v.problem!.message, /not a simple-signing document: the signed payload's type is "atomic container signature"/);
    assert.equal(code(await check({ payload: Buffer.from('plain text'), signature: cosignSign(key, Buffer.from('plain text')) }, [release])), 'malformed');
  });

  it('keyless legacy (a certificate, no key that verifies): unsupported, saying what to do', async () => {
    const payload = payloadFor(DIGEST);
    const other = keyPair('p256');
    const v = await check({ payload, signature: cosignSign(other, payload), certificate: '-----BEGIN CERTIFICATE-----\n...' }, [release]);
    assert.equal(code(v), 'unsupported');
    assert.match(v.problem!.message, /keyless cosign signature in the legacy layout .* sign with cosign v3/);
    // When a trusted key does verify it, the certificate does not matter.
    assert.equal((await check({ payload, signature: cosignSign(key, payload), certificate: 'x' }, [release])).ok, true);
  });

  it('no trusted key: says to add cosign.pub', async () => {
    const payload = payloadFor(DIGEST);
    const v = await check({ payload, signature: cosignSign(key, payload) }, [{ name: 'n', kind: 'x509', material: 'x' }]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /no trusted public key is configured.*add the signer's cosign\.pub/);
  });
});
