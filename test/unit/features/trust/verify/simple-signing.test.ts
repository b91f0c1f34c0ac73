// The containers/image simple-signing payload that cosign (legacy) and GPG atomic signatures sign.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATOMIC_SIGNATURE_TYPE, checkSignedDigest, COSIGN_SIGNATURE_TYPE, parseSimpleSigning, PayloadError, simpleSigningTime, type SimpleSigningType,
} from '../../../../../src/features/trust/verify/simple-signing.ts';

const D = `sha256:${'ab'.repeat(32)}`;
// Byte for byte what cosign's payload.Cosign.MarshalJSON writes (keys sorted, optional null).
const COSIGN = `{"critical":{"identity":{"docker-reference":"registry.example/team/app"},"image":{"docker-manifest-digest":"${D}"},"type":"cosign container image signature"},"optional":null}`;

describe('simple signing', () => {
  it('parses cosign and atomic payloads', () => {
    assert.deepEqual(parseSimpleSigning(Buffer.from(COSIGN), COSIGN_SIGNATURE_TYPE), { type: COSIGN_SIGNATURE_TYPE, digest: D, dockerReference: 'registry.example/team/app' });
    const atomic = { critical: { type: ATOMIC_SIGNATURE_TYPE, image: { 'docker-manifest-digest': D }, identity: { 'docker-reference': 'r/x:1' } }, optional: { creator: 'skopeo', timestamp: 1735689600 } };
    const p = parseSimpleSigning(JSON.stringify(atomic), ATOMIC_SIGNATURE_TYPE);
    assert.equal(p.dockerReference, 'r/x:1');
    assert.equal(simpleSigningTime(p), '2025-01-01T00:00:00.000Z');
    assert.equal(simpleSigningTime({ ...p, optional: { timestamp: 'yesterday' } }), undefined);
  });

  it('refuses what a verifier must not accept, saying why', () => {
    const bad = (doc: unknown, re: RegExp, type: SimpleSigningType = COSIGN_SIGNATURE_TYPE) => assert.throws(() => parseSimpleSigning(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), type), (e: unknown) => e instanceof PayloadError && re.test(e.message));
    const c = JSON.parse(COSIGN) as { critical: Record<string, unknown> };
    bad('nope', /not JSON/);
    bad([], /not a JSON object/);
    bad({ optional: {} }, /no critical object/);
    bad({ critical: { ...c.critical, extra: 1 } }, /unknown critical member "extra", which a verifier must not ignore/);
    bad({ critical: { type: COSIGN_SIGNATURE_TYPE, image: c.critical.image } }, /critical has no identity/);
    bad({ critical: { ...c.critical, image: { 'docker-manifest-digest': 5 } } }, /docker-manifest-digest is not a string/);
    bad({ critical: { ...c.critical, image: { 'docker-manifest-digest': D, size: 1 } } }, /critical\.image has unknown critical member "size"/);
    bad({ critical: { ...c.critical, identity: {} } }, /critical\.identity has no docker-reference/);
    bad(COSIGN, /type is "cosign container image signature", not "atomic container signature"/, ATOMIC_SIGNATURE_TYPE);
    bad({ critical: c.critical, optional: 'x' }, /optional is not an object/);
  });

  it('checkSignedDigest: exact digest equality, and unusable digests are mismatches', () => {
    assert.equal(checkSignedDigest(D, D), undefined);
    const other = `sha256:${'cd'.repeat(32)}`;
    assert.equal(checkSignedDigest(other, D)?.code, 'digest-mismatch');
    assert.match(checkSignedDigest(other, D)!.message, new RegExp(`it signs ${other}, but this image is ${D}`));
    assert.equal(checkSignedDigest(D.toUpperCase().replace('SHA256', 'sha256'), D)?.code, 'digest-mismatch');
    assert.match(checkSignedDigest('latest', D)!.message, /not a usable digest/);
    const d512 = `sha512:${'ef'.repeat(64)}`;
    assert.equal(checkSignedDigest(d512, d512), undefined);
  });
});
