// verifySignature: dispatch by format, only the signers that apply, unusable signers, and the
// most specific problem when nothing verifies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { SIGNER_KINDS, verifySignature, type TrustedSigner } from '../../../../../src/features/trust/verify/index.ts';
import { mostSpecific } from '../../../../../src/features/trust/verify/verdict.ts';
import { keyPair } from './pki.ts';
import { cosignStatement, dsseBundle } from './sigstore-fixtures.ts';

const DIGEST = `sha256:${createHash('sha256').update('the image manifest').digest('hex')}`;
const OTHER = `sha256:${createHash('sha256').update('another manifest').digest('hex')}`;
const NOW = new Date();
const payloadFor = (digest: string) => Buffer.from(`{"critical":{"identity":{"docker-reference":"r/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`);

describe('verifySignature', () => {
  const key = keyPair('p256');
  const trusted: TrustedSigner = { name: 'release', kind: 'key', material: key.publicPem };
  const cosign = (digest: string, k = key) => {
    const payload = payloadFor(digest);
    return { format: 'cosign' as const, payload, signature: sign('sha256', payload, createPrivateKey(k.privatePem)).toString('base64') };
  };

  it('throws a TypeError for an image digest that is not a digest (the caller\'s mistake)', async () => {
    await assert.rejects(verifySignature(cosign(DIGEST), 'latest', [trusted], NOW), TypeError);
    await assert.rejects(verifySignature(cosign(DIGEST), `sha256:${'A'.repeat(64)}`, [trusted], NOW), TypeError);
  });

  it('unknown formats are unsupported', async () => {
    const v = await verifySignature({ format: 'x-new' } as never, DIGEST, [trusted], NOW);
    assert.equal(v.ok, false);
    assert.equal(v.problem?.code, 'unsupported');
  });

  it('gives each format only the signers that can check it', async () => {
    assert.deepEqual(SIGNER_KINDS, { cosign: ['key'], 'sigstore-bundle': ['key', 'keyless'], notation: ['x509'], gpg: ['pgp'] });
    // An unusable pgp signer does not matter to a cosign signature: it is not even parsed.
    const v = await verifySignature(cosign(DIGEST), DIGEST, [{ name: 'broken pgp', kind: 'pgp', material: 'nonsense' }, trusted], NOW);
    assert.deepEqual(v, { format: 'cosign', ok: true, signer: 'release', claims: { dockerReference: 'r/app' } });
  });

  it('a signer whose material is unusable is left out, and named when nothing verifies', async () => {
    const broken: TrustedSigner = { name: 'typo', kind: 'key', material: 'cosign.pub' };
    assert.equal((await verifySignature(cosign(DIGEST), DIGEST, [broken, trusted], NOW)).ok, true);
    const v = await verifySignature(cosign(DIGEST), DIGEST, [broken], NOW);
    assert.equal(v.problem?.code, 'wrong-key');
    assert.match(v.problem!.message, /left out because their material is unusable: "typo": not a PEM public key/);
    // Asked again (from the cache), the same answer.
    assert.deepEqual(await verifySignature(cosign(DIGEST), DIGEST, [broken], NOW), v);
  });

  it('the same material under two names reports the name that was asked', async () => {
    const v = await verifySignature(cosign(DIGEST), DIGEST, [{ ...trusted, name: 'alias' }], NOW);
    assert.equal(v.signer, 'alias');
  });

  it('dispatches sigstore bundles', async () => {
    const v = await verifySignature({ format: 'sigstore-bundle', bundle: dsseBundle({ payload: cosignStatement(DIGEST), key }) }, DIGEST, [trusted], NOW);
    assert.equal(v.ok, true);
  });

  it('digest-mismatch by a trusted key beats "no other key matched"', async () => {
    const v = await verifySignature(cosign(OTHER), DIGEST, [{ name: 'other', kind: 'key', material: keyPair('p256').publicPem }, trusted], NOW);
    assert.equal(v.problem?.code, 'digest-mismatch');
  });

  it('mostSpecific ranks problems', () => {
    const p = (code: Parameters<typeof mostSpecific>[0][number]['code']) => ({ code, message: code });
    assert.equal(mostSpecific([p('unsupported'), p('wrong-key'), p('untrusted-chain')])?.code, 'untrusted-chain');
    assert.equal(mostSpecific([p('wrong-key'), p('identity-mismatch'), p('expired-certificate')])?.code, 'expired-certificate');
    assert.equal(mostSpecific([p('expired-certificate'), p('digest-mismatch')])?.code, 'digest-mismatch');
    assert.equal(mostSpecific([]), undefined);
  });
});

describe('verifySignature never rejects for bad input', () => {
  it('an unexpected failure inside a verifier is a malformed verdict, not an exception', async () => {
    const v = await verifySignature({ format: 'notation', envelope: Buffer.from('{}'), mediaType: undefined as unknown as string }, DIGEST, [], NOW);
    assert.equal(v.ok, false);
    assert.equal(v.problem?.code, 'malformed');
    assert.match(v.problem!.message, /^the signature could not be checked: /);
  });

  it('garbled, truncated and odd inputs of every format give a verdict', async () => {
    const key = keyPair('p256');
    const signers: TrustedSigner[] = [{ name: 'k', kind: 'key', material: key.publicPem }];
    const bundle = dsseBundle({ payload: cosignStatement(DIGEST), key });
    const json = JSON.parse(bundle.toString()) as { verificationMaterial: Record<string, unknown>; dsseEnvelope: Record<string, unknown> };
    const variants: Buffer[] = [
      Buffer.alloc(0), Buffer.from('null'), Buffer.from('[]'), bundle.subarray(0, bundle.length / 2),
      Buffer.from(JSON.stringify({ ...json, verificationMaterial: { ...json.verificationMaterial, timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: 'MAMCAQA=' }] } } })),
      Buffer.from(JSON.stringify({ ...json, verificationMaterial: { certificate: { rawBytes: 'AAAA' }, tlogEntries: [] } })),
      Buffer.from(JSON.stringify({ ...json, dsseEnvelope: { ...json.dsseEnvelope, signatures: [] } })),
    ];
    for (const [i, b] of variants.entries()) {
      const v = await verifySignature({ format: 'sigstore-bundle', bundle: b }, DIGEST, signers, NOW);
      assert.equal(v.ok, false, `variant ${i}`);
      assert.equal(v.problem?.code, 'malformed', `variant ${i}: ${v.problem?.message}`);
      assert.doesNotMatch(v.problem!.message, /could not be checked/, `variant ${i} is handled, not caught as unexpected`);
    }
    for (const b of [Buffer.alloc(0), Buffer.from('{}'), Buffer.from('{"payload":"","protected":"","header":{},"signature":""}')]) {
      assert.equal((await verifySignature({ format: 'notation', envelope: b, mediaType: 'application/jose+json' }, DIGEST, [], NOW)).problem?.code, 'malformed');
      assert.equal((await verifySignature({ format: 'gpg', content: b }, DIGEST, [], NOW)).problem?.code, 'malformed');
      assert.equal((await verifySignature({ format: 'cosign', payload: b, signature: 'AAAA' }, DIGEST, signers, NOW)).problem?.code, 'malformed');
    }
  });
});
