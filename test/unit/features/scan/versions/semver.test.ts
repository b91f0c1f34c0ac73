// npm's semver order (semver.org section 11 and node-semver): main version, pre-releases,
// build metadata ignored, node-semver's strict grammar and limits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compare, compareBuild, format, isValid, parse } from '../../../../../src/features/scan/versions/semver.ts';
import { InvalidVersionError } from '../../../../../src/features/scan/versions/types.ts';

function assertChain(chain: readonly string[]): void {
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) assert.equal(compare(chain[i]!, chain[j]!), Math.sign(i - j), `${chain[i]} vs ${chain[j]}`);
  }
}

describe('semver (npm)', () => {
  it("orders semver.org's pre-release example", () => {
    assertChain(['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']);
  });

  it('orders main versions numerically', () => {
    assertChain(['0.0.1', '0.1.0', '0.9.9', '0.10.0', '1.0.0', '1.2.3', '1.2.10', '1.10.0', '2.0.0', '10.0.0']);
    assertChain(['4.17.20', '4.17.21']);
  });

  it('orders pre-release identifiers: numbers numerically and below words, a longer list wins', () => {
    assertChain(['1.0.0-0', '1.0.0-1', '1.0.0-2', '1.0.0-10', '1.0.0-99999999999999999999', '1.0.0-a', '1.0.0-a.0', '1.0.0-a-b', '1.0.0-b', '1.0.0-beta', '1.0.0']);
    assertChain(['1.0.0-Z', '1.0.0-a']); // ASCII order
    assertChain(['1.0.0-rc.1', '1.0.0-rc.1.1', '1.0.0-rc.2']);
    assertChain(['1.0.0-1a', '1.0.0-a']);
  });

  it('ignores build metadata and an optional leading v', () => {
    assert.equal(compare('1.0.0+build.1', '1.0.0+build.2'), 0);
    assert.equal(compare('1.0.0-rc.1+x', '1.0.0-rc.1'), 0);
    assert.equal(compare('v1.2.3', '1.2.3'), 0);
    assert.equal(compare(' 1.2.3 ', '1.2.3'), 0);
    assert.equal(compareBuild('1.0.0+a', '1.0.0+b'), -1);
    assert.equal(compareBuild('1.0.0', '1.0.0+a'), -1);
    assert.equal(compareBuild('1.0.0+2', '1.0.0+10'), -1);
  });

  it('parses and formats', () => {
    assert.deepEqual(parse('v1.2.3-alpha.1.x-y+build.007'), { major: 1, minor: 2, patch: 3, prerelease: ['alpha', 1, 'x-y'], build: ['build', '007'] });
    assert.equal(format(parse(' v1.2.3 ')!), '1.2.3');
    assert.equal(format(parse('v1.2.3-rc.1+b')!), '1.2.3-rc.1+b');
  });

  it('rejects what node-semver rejects in strict mode', () => {
    for (const v of ['', '1', '1.2', '1.2.3.4', '01.2.3', '1.02.3', '1.2.03', '1.2.3-', '1.2.3-01', '1.2.3-a..b', '1.2.3+', '1.2.3+a..b', 'a.b.c', '=1.2.3', 'v 1.2.3', '1.2.3-a_b', '9007199254740992.0.0', `1.2.3-${'a'.repeat(260)}`]) {
      assert.equal(isValid(v), false, JSON.stringify(v));
    }
    for (const v of ['0.0.0', '1.2.3', 'v1.2.3', '1.2.3-0', '1.2.3-0a', '1.2.3--', '1.2.3+007', '1.2.3-alpha+001', '9007199254740991.0.0']) assert.equal(isValid(v), true, v);
  });

  it('throws InvalidVersionError on an invalid version', () => {
    assert.throws(() => compare('1.2', '1.2.0'), InvalidVersionError);
  });
});
