// comparatorFor gives every package type its ecosystem's order.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PackageType } from '../../../../../src/features/scan/inventory/types.ts';
import { comparatorFor } from '../../../../../src/features/scan/versions/index.ts';

describe('comparatorFor', () => {
  it("picks each ecosystem's order", () => {
    const probes: [PackageType, string, string, -1 | 0 | 1][] = [
      ['deb', '1.0~rc1', '1.0', -1],
      ['apk', '1.0_rc1', '1.0', -1],
      ['rpm', '1.0^git1', '1.0', 1],
      ['npm', '1.0.0-rc.1', '1.0.0', -1],
      ['pypi', '1.0.dev1', '1.0a1', -1],
      ['golang', 'v1.2.3', '1.2.3', 0],
      ['maven', '1.0-SNAPSHOT', '1.0', -1],
    ];
    for (const [type, a, b, want] of probes) {
      const cmp = comparatorFor(type);
      assert.equal(cmp.compare(a, b), want, `${type}: ${a} vs ${b}`);
      assert.equal(cmp.isValid(a), true, `${type}: ${a}`);
    }
    assert.deepEqual(new Set((['deb', 'apk', 'rpm', 'npm', 'pypi', 'golang', 'maven'] as PackageType[]).map((t) => comparatorFor(t).name)).size, 7);
  });
});
