// Go module versions: the "v" (present or not, as OSV's Go data writes them), shorthands,
// pseudo-versions in all three forms, +incompatible, and toolchain names.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, compare, isPseudoVersion, isValid } from '../../../../../src/features/scan/versions/gomod.ts';
import { InvalidVersionError } from '../../../../../src/features/scan/versions/types.ts';

function assertChain(chain: readonly string[]): void {
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) assert.equal(compare(chain[i]!, chain[j]!), Math.sign(i - j), `${chain[i]} vs ${chain[j]}`);
  }
}

describe('Go module versions', () => {
  it('compares with or without the v', () => {
    assert.equal(compare('v1.2.3', '1.2.3'), 0);
    assertChain(['v0.1.0', '0.2.0', 'v0.10.0', '1.0.0', 'v1.0.1', 'v2.0.0']);
  });

  it('reads the shorthands v1 and v1.2', () => {
    assert.equal(compare('v1', 'v1.0.0'), 0);
    assert.equal(compare('v1.2', 'v1.2.0'), 0);
    assert.equal(canonical('v1.2'), 'v1.2.0');
  });

  it('orders pseudo-versions around their tags', () => {
    assertChain([
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20200101000000-0123456789ab',
      'v0.1.0',
      'v1.2.3-pre',
      'v1.2.3-pre.0.20191109021931-daa7c04131f5',
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.4',
    ]);
    assertChain(['0.0.0-20220314234659-1baeb1ce4c0b', 'v0.0.0-20220315000000-aaaaaaaaaaaa']);
  });

  it('recognises pseudo-versions', () => {
    for (const v of ['v0.0.0-20191109021931-daa7c04131f5', 'v1.2.3-pre.0.20191109021931-daa7c04131f5', 'v1.2.4-0.20191109021931-daa7c04131f5', '0.0.0-20220314234659-1baeb1ce4c0b', 'v2.0.0-20191109021931-daa7c04131f5+incompatible']) {
      assert.equal(isPseudoVersion(v), true, v);
    }
    for (const v of ['v1.2.3', 'v1.2.3-pre', 'v1.2.3-20191109021931-daa7c04131f5', 'v1.2.3-pre.20191109021931-daa7c04131f5', 'junk']) assert.equal(isPseudoVersion(v), false, v);
  });

  it('ignores +incompatible in the order and keeps it in the canonical form', () => {
    assert.equal(compare('v2.0.0+incompatible', 'v2.0.0'), 0);
    assertChain(['v2.0.0+incompatible', 'v2.1.0+incompatible', 'v3.0.0']);
    assert.equal(canonical('2.0.0+incompatible'), 'v2.0.0+incompatible');
    assert.equal(canonical('v1.0.0+meta'), 'v1.0.0');
  });

  it('reads Go toolchain versions', () => {
    assertChain(['go1.20', 'go1.20.1', 'go1.21rc2', 'go1.21.0', 'go1.21.3', 'v1.22.0']);
    assert.equal(compare('go1.21', '1.21.0'), 0);
    assert.equal(compare('go1.21rc2', '1.21.0-rc.2'), 0);
  });

  it('rejects what Go rejects', () => {
    for (const v of ['', 'v', 'v1.2.3.4', 'v01.2.3', 'v1.02', 'v1-pre', 'v1.2-pre', '(devel)', ' v1.0.0', 'v1.0.0 ', 'latest', 'v1.2.3-01']) {
      assert.equal(isValid(v), false, JSON.stringify(v));
    }
    assert.throws(() => compare('(devel)', 'v1.0.0'), InvalidVersionError);
  });
});
