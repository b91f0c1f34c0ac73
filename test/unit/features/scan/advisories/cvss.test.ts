// The CVSS calculator against known vectors (the v3.1 specification's formula and Roundup, the
// v2 guide's), vector validation, and the qualitative ratings.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseScoreV2, baseScoreV3, parseVector, roundup, severityOfScore, severityOfScoreV2 } from '../../../../../src/features/scan/advisories/cvss.ts';

describe('CVSS v3 base scores', () => {
  it('scores known vectors', () => {
    const cases: [string, number][] = [
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
      ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 7.2], // lodash, GHSA-35jh-r3h4-6jhm
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
      ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
      ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
      // Scope changed: the impact formula changes and PR weighs more.
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10], // Log4Shell
      ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H', 9.1],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 5.4], // the classic stored XSS
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1], // reflected XSS
      ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 8.8],
      // Temporal and environmental metrics do not change the base score.
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C/CR:H/MAV:L', 9.8],
    ];
    for (const [vector, score] of cases) assert.equal(baseScoreV3(vector), score, vector);
  });

  it('rejects malformed vectors', () => {
    for (const v of [
      '',
      'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // no prefix: a v2-style string, not v3
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', // A missing
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L', // twice
      'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // bad value
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1', // unknown metric
      'CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', // v4 has no v3 score
    ]) {
      assert.equal(baseScoreV3(v), undefined, v);
    }
  });

  it("rounds up as Appendix A says, without floating-point surprises", () => {
    assert.equal(roundup(4.0), 4.0);
    assert.equal(roundup(4.02), 4.1);
    assert.equal(roundup(4.000001), 4.0);
    assert.equal(roundup(0.1 + 0.2), 0.3); // 0.30000000000000004 is noise, not a reason to round up
    assert.equal(roundup(9.99), 10);
  });
});

describe('CVSS v2 and v4', () => {
  it('scores v2 vectors', () => {
    assert.equal(baseScoreV2('AV:N/AC:L/Au:N/C:P/I:P/A:P'), 7.5);
    assert.equal(baseScoreV2('AV:N/AC:L/Au:N/C:C/I:C/A:C'), 10);
    assert.equal(baseScoreV2('AV:N/AC:M/Au:N/C:N/I:P/A:N'), 4.3);
    assert.equal(baseScoreV2('(AV:L/AC:L/Au:N/C:C/I:C/A:C)'), 7.2);
    assert.equal(baseScoreV2('AV:N/AC:L/Au:N/C:N/I:N/A:N'), 0);
    assert.equal(baseScoreV2('AV:N/AC:L/Au:N/C:P/I:P'), undefined);
    assert.equal(baseScoreV2('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), undefined);
  });

  it('recognises v4 vectors without scoring them', () => {
    const v = parseVector('CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N');
    assert.equal(v?.version, '4.0');
    assert.equal(v?.metrics.VC, 'L');
    assert.equal(parseVector('CVSS:4.0/AV:N/AC:L'), undefined);
  });
});

describe('ratings', () => {
  it('maps scores to severities at the v3 boundaries', () => {
    const cases: [number, string][] = [
      [0, 'low'],
      [0.1, 'low'],
      [3.9, 'low'],
      [4.0, 'medium'],
      [6.9, 'medium'],
      [7.0, 'high'],
      [8.9, 'high'],
      [9.0, 'critical'],
      [10, 'critical'],
      [11, 'unknown'],
      [Number.NaN, 'unknown'],
    ];
    for (const [score, want] of cases) assert.equal(severityOfScore(score), want, String(score));
  });

  it('maps v2 scores as NVD did, with no critical', () => {
    assert.equal(severityOfScoreV2(10), 'high');
    assert.equal(severityOfScoreV2(6.9), 'medium');
    assert.equal(severityOfScoreV2(3.9), 'low');
  });
});
