// Maven's ComparableVersion order: qualifiers, their aliases and abbreviations, trailing zeros,
// and numbers against qualifiers and sub-lists.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, compare } from '../../../../../src/features/scan/versions/maven.ts';

function assertChain(chain: readonly string[]): void {
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) assert.equal(compare(chain[i]!, chain[j]!), Math.sign(i - j), `${chain[i]} vs ${chain[j]}`);
  }
}

describe('Maven versions', () => {
  it('orders the known qualifiers', () => {
    assertChain(['1.0-alpha1', '1.0-alpha2', '1.0-beta1', '1.0-milestone1', '1.0-rc1', '1.0-snapshot', '1.0', '1.0-sp1', '1.0-abc', '1.0-xyz', '1.0.1']);
  });

  it('treats aliases, abbreviations, case and trailing zeros as equal', () => {
    for (const [a, b] of [
      ['1', '1.0'],
      ['1', '1.0.0'],
      ['1', '1-ga'],
      ['1', '1.0-final'],
      ['1', '1.0.0.RELEASE'],
      ['1.0-alpha1', '1.0-a1'],
      ['1.0-beta1', '1.0-b1'],
      ['1.0-milestone1', '1.0-m1'],
      ['1.0-rc1', '1.0-cr1'],
      ['1.0-RC1', '1.0-rc1'],
      ['1.0-SNAPSHOT', '1-snapshot'],
      ['1.0alpha1', '1.0-alpha-1'],
    ]) {
      assert.equal(compare(a!, b!), 0, `${a} vs ${b}`);
    }
  });

  it('orders numbers numerically and above qualifiers and sub-lists', () => {
    assertChain(['1', '1.1', '1.2', '1.10', '2']);
    assertChain(['2.9.10.8', '2.10.0', '2.12.0-rc1', '2.12.0', '2.13.4', '2.13.4.1', '2.13.4.2']);
    assertChain(['1.0-sp1', '1.0.1']);
    assertChain(['1-1', '1.1']);
    // "a" not followed by a digit is not "alpha" but an unknown qualifier, newer than the release.
    assertChain(['1.0-a1', '1.0', '1.0-a']);
  });

  it("orders the qualifier examples of Maven's own tests", () => {
    assertChain(['1-alpha2snapshot', '1-alpha2', '1-alpha-123', '1-beta-2', '1-beta123', '1-m2', '1-m11', '1-rc', '1-cr2', '1-rc123', '1-SNAPSHOT', '1', '1-sp', '1-sp2', '1-sp123', '1-abc', '1-def', '1-pom-1', '1-1-snapshot', '1-1', '1-2', '1-123']);
  });

  it('shows the canonical form', () => {
    assert.equal(canonical('1.0.0'), '1');
    assert.equal(canonical('1.0-SNAPSHOT'), '1-snapshot');
    assert.equal(canonical('1.0a1'), '1-alpha-1');
  });
});
