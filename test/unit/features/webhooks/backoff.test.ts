import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs } from '../../../../src/features/webhooks/backoff.ts';

describe('retry backoff', () => {
  it('doubles from the first delay, with jitter between half and the full delay', () => {
    assert.equal(backoffMs(1, 1000, 60_000, () => 1), 1000);
    assert.equal(backoffMs(3, 1000, 60_000, () => 1), 4000);
    assert.equal(backoffMs(3, 1000, 60_000, () => 0), 2000);
  });
  it('is capped', () => {
    assert.equal(backoffMs(40, 1000, 60_000, () => 1), 60_000);
  });
  it('spreads retries', () => {
    const seen = new Set(Array.from({ length: 20 }, () => backoffMs(2, 1000, 60_000)));
    assert.ok(seen.size > 1);
    for (const d of seen) assert.ok(d >= 1000 && d <= 2000);
  });
});
