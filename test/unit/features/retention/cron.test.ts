// The retention schedule's cron parser: the five fields, their forms (ranges, steps, lists,
// names), the day-of-month / day-of-week OR rule of Vixie cron, and next-run computation across
// hours, days, month ends, leap years and year ends (all UTC).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronError, nextRun, nextRuns, parseCron } from '../../../../src/features/retention/cron.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const next = (expr: string, from: string) => iso(nextRun(parseCron(expr), at(from)));
const runs = (expr: string, from: string, n: number) => nextRuns(parseCron(expr), at(from), n).map(iso);

describe('cron: parsing', () => {
  it('expands *, numbers, ranges, steps and lists', () => {
    const c = parseCron('*/15 9-17 1,15 * 1-5');
    assert.deepEqual([...c.minutes], [0, 15, 30, 45]);
    assert.deepEqual([...c.hours], [9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual([...c.days], [1, 15]);
    assert.equal(c.months.size, 12);
    assert.deepEqual([...c.weekdays], [1, 2, 3, 4, 5]);
    assert.deepEqual([...parseCron('10-40/10 * * * *').minutes], [10, 20, 30, 40]);
    assert.deepEqual([...parseCron('5/20 * * * *').minutes], [5, 25, 45], 'a/n runs from a to the end');
    assert.deepEqual([...parseCron('0 0 * * 1,3-4,6').weekdays], [1, 3, 4, 6]);
  });

  it('takes month and weekday names in any case, and 7 as Sunday', () => {
    const c = parseCron('0 0 * jan-MAR,Dec sun,Fri');
    assert.deepEqual([...c.months], [1, 2, 3, 12]);
    assert.deepEqual([...c.weekdays].sort(), [0, 5]);
    assert.deepEqual([...parseCron('0 0 * * 7').weekdays], [0]);
    assert.deepEqual([...parseCron('0 0 * * 5-7').weekdays].sort(), [0, 5, 6]);
  });

  it('knows the macros', () => {
    assert.equal(next('@daily', '2026-03-04T10:00:00Z'), '2026-03-05T00:00:00Z');
    assert.equal(next('@hourly', '2026-03-04T10:00:00Z'), '2026-03-04T11:00:00Z');
    assert.equal(next('@weekly', '2026-03-04T10:00:00Z'), '2026-03-08T00:00:00Z', 'the next Sunday');
    assert.equal(next('@monthly', '2026-03-04T10:00:00Z'), '2026-04-01T00:00:00Z');
    assert.equal(next('@yearly', '2026-03-04T10:00:00Z'), '2027-01-01T00:00:00Z');
  });

  it('refuses bad expressions, naming the field', () => {
    const bad: [string, RegExp][] = [
      ['* * * *', /5 fields .* has 4/],
      ['* * * * * *', /has 6/],
      ['60 * * * *', /minute: 60 is out of range 0-59/],
      ['* 24 * * *', /hour: 24 is out of range 0-23/],
      ['* * 0 * *', /day of month: 0 is out of range 1-31/],
      ['* * * 13 *', /month: 13 is out of range 1-12/],
      ['* * * * 8', /day of week: 8 is out of range 0-7/],
      ['*/0 * * * *', /minute: the step .* from 1/],
      ['5-1 * * * *', /minute: the range 5-1 runs backwards/],
      ['a * * * *', /minute: "a" is not a number/],
      ['* * * FOO *', /month: "FOO" is not a number or a name \(JAN-DEC\)/],
      ['1,,2 * * * *', /minute: empty item/],
      ['0 0 30 2 *', /never runs/],
      ['@fortnightly', /unknown macro/],
    ];
    for (const [expr, message] of bad) assert.throws(() => parseCron(expr), (e: unknown) => e instanceof CronError && message.test(e.message), expr);
  });
});

describe('cron: next run', () => {
  it('every minute runs at the next whole minute, strictly after', () => {
    assert.equal(next('* * * * *', '2026-03-04T10:00:00Z'), '2026-03-04T10:01:00Z');
    assert.equal(next('* * * * *', '2026-03-04T10:00:59.999Z'), '2026-03-04T10:01:00Z');
    assert.equal(next('* * * * *', '2026-03-04T10:00:00.001Z'), '2026-03-04T10:01:00Z');
  });

  it('rolls over hours, days, months and years', () => {
    assert.equal(next('30 3 * * *', '2026-03-04T03:30:00Z'), '2026-03-05T03:30:00Z');
    assert.equal(next('30 3 * * *', '2026-03-04T03:29:00Z'), '2026-03-04T03:30:00Z');
    assert.equal(next('0 0 1 * *', '2026-12-15T00:00:00Z'), '2027-01-01T00:00:00Z');
    assert.equal(next('59 23 31 12 *', '2026-12-31T23:59:00Z'), '2027-12-31T23:59:00Z');
    assert.equal(next('0 12 * * *', '2026-03-31T13:00:00Z'), '2026-04-01T12:00:00Z');
  });

  it('steps and lists', () => {
    assert.deepEqual(runs('*/20 * * * *', '2026-03-04T10:05:00Z', 4), ['2026-03-04T10:20:00Z', '2026-03-04T10:40:00Z', '2026-03-04T11:00:00Z', '2026-03-04T11:20:00Z']);
    assert.deepEqual(runs('0 8-10/2,17 * * *', '2026-03-04T09:00:00Z', 4), ['2026-03-04T10:00:00Z', '2026-03-04T17:00:00Z', '2026-03-05T08:00:00Z', '2026-03-05T10:00:00Z']);
  });

  it('skips months without the day (31st) and finds February 29th in leap years', () => {
    assert.deepEqual(runs('0 0 31 * *', '2026-01-31T12:00:00Z', 3), ['2026-03-31T00:00:00Z', '2026-05-31T00:00:00Z', '2026-07-31T00:00:00Z']);
    assert.equal(next('0 0 29 2 *', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00Z');
    assert.equal(next('0 0 29 2 *', '2096-03-01T00:00:00Z'), '2104-02-29T00:00:00Z', '2100 is not a leap year');
  });

  it('day of month OR day of week when both are restricted', () => {
    // 2026-03-04 is a Wednesday. "13th or Friday": Friday the 6th comes first, then the 13th (a Friday too), then the 20th.
    assert.deepEqual(runs('0 0 13 * 5', '2026-03-04T00:00:00Z', 4), ['2026-03-06T00:00:00Z', '2026-03-13T00:00:00Z', '2026-03-20T00:00:00Z', '2026-03-27T00:00:00Z']);
    // "1st or Monday".
    assert.deepEqual(runs('0 0 1 * MON', '2026-03-24T00:00:00Z', 3), ['2026-03-30T00:00:00Z', '2026-04-01T00:00:00Z', '2026-04-06T00:00:00Z']);
  });

  it('only the restricted one decides when the other is * (or starts with *)', () => {
    assert.deepEqual(runs('0 0 * * 5', '2026-03-04T00:00:00Z', 2), ['2026-03-06T00:00:00Z', '2026-03-13T00:00:00Z'], 'Fridays only');
    assert.deepEqual(runs('0 0 13 * *', '2026-03-04T00:00:00Z', 2), ['2026-03-13T00:00:00Z', '2026-04-13T00:00:00Z'], 'the 13th only');
    // Vixie cron: a field starting with "*" counts as unrestricted, so "*/2" days AND Fridays.
    assert.deepEqual(runs('0 0 */2 * 5', '2026-03-04T00:00:00Z', 3), ['2026-03-13T00:00:00Z', '2026-03-27T00:00:00Z', '2026-04-03T00:00:00Z']);
  });

  it('weekday ranges across Sunday (5-7) and month names', () => {
    assert.deepEqual(runs('0 6 * * FRI-SUN', '2026-03-04T00:00:00Z', 4), ['2026-03-06T06:00:00Z', '2026-03-07T06:00:00Z', '2026-03-08T06:00:00Z', '2026-03-13T06:00:00Z']);
    assert.equal(next('0 0 1 JUN *', '2026-07-01T00:00:00Z'), '2027-06-01T00:00:00Z');
  });
});
