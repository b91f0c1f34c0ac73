import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RegistryError } from '../../../src/core/errors.ts';
import { digestOf, isDigest, newHash, parseDigest, tryParseDigest } from '../../../src/core/digest.ts';

const HEX64 = 'ab'.repeat(32);
const HEX128 = '0f'.repeat(64);

describe('tryParseDigest', () => {
  it('parses sha256 and sha512', () => {
    assert.deepEqual(tryParseDigest(`sha256:${HEX64}`), { algorithm: 'sha256', hex: HEX64, digest: `sha256:${HEX64}` });
    assert.deepEqual(tryParseDigest(`sha512:${HEX128}`), { algorithm: 'sha512', hex: HEX128, digest: `sha512:${HEX128}` });
  });

  it('rejects the wrong length for the algorithm', () => {
    assert.equal(tryParseDigest(`sha256:${HEX64}0`), undefined);
    assert.equal(tryParseDigest(`sha256:${HEX64.slice(1)}`), undefined);
    assert.equal(tryParseDigest(`sha512:${HEX64}`), undefined);
    assert.equal(tryParseDigest(`sha256:${HEX128}`), undefined);
  });

  it('rejects uppercase and non-hex encodings', () => {
    assert.equal(tryParseDigest(`sha256:${HEX64.toUpperCase()}`), undefined);
    assert.equal(tryParseDigest(`sha256:${'g'.repeat(64)}`), undefined);
  });

  it('rejects well-formed digests of other algorithms', () => {
    assert.equal(tryParseDigest(`md5:${'a'.repeat(32)}`), undefined);
    assert.equal(tryParseDigest(`sha384:${'a'.repeat(96)}`), undefined);
    assert.equal(tryParseDigest(`SHA256:${HEX64}`), undefined);
  });

  it('rejects grammar violations', () => {
    for (const bad of ['', 'sha256', 'sha256:', `:${HEX64}`, `sha256::${HEX64}`, ` sha256:${HEX64}`, `sha256:${HEX64} `, `sha256:${HEX64}\n`]) {
      assert.equal(tryParseDigest(bad), undefined, JSON.stringify(bad));
    }
  });

  it('rejects anything longer than 200 characters', () => {
    assert.equal(tryParseDigest(`sha256:${'a'.repeat(300)}`), undefined);
  });
});

describe('parseDigest', () => {
  it('returns the parsed digest', () => {
    assert.equal(parseDigest(`sha256:${HEX64}`).hex, HEX64);
  });

  it('throws DIGEST_INVALID 400 with the digest in the detail', () => {
    assert.throws(() => parseDigest('sha256:xyz'), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'DIGEST_INVALID');
      assert.equal(e.status, 400);
      assert.deepEqual(e.detail, { digest: 'sha256:xyz' });
      assert.match(e.message, /invalid digest/);
      return true;
    });
  });

  it('truncates a huge digest in the detail', () => {
    assert.throws(() => parseDigest('x'.repeat(1000)), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal((e.detail as { digest: string }).digest.length, 200);
      return true;
    });
  });
});

describe('isDigest, digestOf, newHash', () => {
  it('isDigest mirrors tryParseDigest', () => {
    assert.equal(isDigest(`sha256:${HEX64}`), true);
    assert.equal(isDigest('sha256:abc'), false);
  });

  it('digestOf computes sha256 by default and sha512 on request', () => {
    assert.equal(digestOf(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(digestOf('hello', 'sha512'), `sha512:${createHash('sha512').update('hello').digest('hex')}`);
    assert.equal(digestOf(new TextEncoder().encode('hello')), digestOf('hello'));
    assert.ok(isDigest(digestOf('abc', 'sha512')));
  });

  it('newHash hashes incrementally to the same digest', () => {
    const h = newHash('sha256');
    h.update('hel');
    h.update('lo');
    assert.equal(`sha256:${h.digest('hex')}`, digestOf('hello'));
  });
});
