// The apk comparator, on the rules of apk-tools' version.c: digits, letters, the suffixes in
// their order, commit hashes, -rN revisions, leading zeros, and what apk calls invalid.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compare, isValid } from '../../../../../src/features/scan/versions/apk.ts';

/** Each list is in strictly increasing order. */
const CHAINS: readonly (readonly string[])[] = [
  ['1.0', '1.0.1', '1.1', '1.2', '1.10', '2'],
  ['1.0_alpha', '1.0_alpha1', '1.0_alpha2', '1.0_beta', '1.0_beta1', '1.0_pre1', '1.0_rc1', '1.0_rc2', '1.0', '1.0_cvs1', '1.0_svn1', '1.0_git1', '1.0_hg1', '1.0_p', '1.0_p1', '1.0_p2'],
  ['1.0', '1.0-r0', '1.0-r1', '1.0-r2', '1.0-r10'],
  ['1.0_rc1-r5', '1.0-r0', '1.0-r1', '1.0_p1-r0'],
  ['1.0', '1.0a', '1.0b', '1.0z', '1.0.1'],
  ['3.1.4-r4', '3.1.4-r5', '3.1.4_p1-r0', '3.1.5-r0'],
  // A dotted number with a leading zero compares as a string.
  ['1.001', '1.01', '1.1'],
  ['1.0', '1.00', '1.000'],
  ['1.09', '1.1', '1.9'],
  // The first number is always a number.
  ['9.0', '010.0', '11.0'],
  ['2.9.10', '2.9.14'],
  ['1.36.1-r5', '1.36.1-r15', '1.36.1-r29'],
  ['3.0.12-r1', '3.0.12-r4', '3.0.13-r0', '3.1.0-r0'],
  ['6.5_p20250503-r0', '6.5_p20250504-r0', '6.6-r0'],
  ['2.38.1_git20230101-r0', '2.38.1_git20230102-r0'],
  ['1.0_alpha_beta', '1.0_alpha_rc', '1.0_alpha'],
  ['1.0~abc-r0', '1.0~abd-r0'],
  ['1.0-r0', '1.0~abc'],
  // An invalid tail sorts below the same version without it.
  ['1.0-x', '1.0'],
  ['1.0_foo', '1.0'],
];

describe('apk versions', () => {
  it('orders each chain strictly', () => {
    for (const chain of CHAINS) {
      for (let i = 0; i < chain.length; i++) {
        for (let j = 0; j < chain.length; j++) {
          const want = Math.sign(i - j);
          assert.equal(compare(chain[i]!, chain[j]!), want, `${chain[i]} vs ${chain[j]}`);
        }
      }
    }
  });

  it('treats equal spellings as equal', () => {
    assert.equal(compare('1.0', '1.0'), 0);
    assert.equal(compare('1.0-r0', '1.0-r00'), 0);
    assert.equal(compare('01.0', '1.0'), 0);
    assert.equal(compare('1.0_rc01', '1.0_rc1'), 0);
    assert.equal(compare('x', 'y'), 0); // both invalid from the start
  });

  it('validates the grammar', () => {
    for (const v of ['1', '1.0', '1.2.3a', '1.2.3_rc1', '1.2.3_alpha_p2', '1.2.3-r0', '1.0_git20240101-r3', '6.5_p20250503-r0', '1.0~0a1b2c-r1', '1.0a_rc1']) {
      assert.equal(isValid(v), true, v);
    }
    for (const v of ['', 'a1', '1.', '1..0', '1.0-1', '1.0-r', '1.0_foo', '1.0A', '1.0ab', '1.0a1', '1.0_rc1.2', '1.0-r1-r2', '1.0-r1_p1', '1.0~', '1.0~xyz', '1.0~abc~def', ' 1.0', '1.0 ']) {
      assert.equal(isValid(v), false, JSON.stringify(v));
    }
  });
});
