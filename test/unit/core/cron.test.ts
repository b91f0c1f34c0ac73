// core/cron.ts, as replication schedules use it (retention's own tests cover the rest of the
// grammar): 5 fields, next occurrences in UTC, refusals that name the field at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CronError, nextRun, nextRuns, parseCron } from '../../../src/core/cron.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString().replace('.000Z', 'Z'));

describe('core/cron', () => {
  it('every 15 minutes, nightly at 03:00, weekdays at 09:30', () => {
    assert.deepEqual(nextRuns(parseCron('*/15 * * * *'), at('2026-01-01T10:07:00Z'), 3).map(iso), ['2026-01-01T10:15:00Z', '2026-01-01T10:30:00Z', '2026-01-01T10:45:00Z']);
    assert.equal(iso(nextRun(parseCron('0 3 * * *'), at('2026-01-01T03:00:00Z'))), '2026-01-02T03:00:00Z', 'strictly after');
    // 2026-01-02 is a Friday: the next weekday 09:30 after Friday noon is Monday.
    assert.equal(iso(nextRun(parseCron('30 9 * * MON-FRI'), at('2026-01-02T12:00:00Z'))), '2026-01-05T09:30:00Z');
  });

  it('crosses month and year ends, and leap days', () => {
    assert.equal(iso(nextRun(parseCron('0 0 1 * *'), at('2026-12-15T00:00:00Z'))), '2027-01-01T00:00:00Z');
    assert.equal(iso(nextRun(parseCron('0 12 29 2 *'), at('2026-03-01T00:00:00Z'))), '2028-02-29T12:00:00Z');
  });

  it('refuses what is not 5 good fields, naming the field', () => {
    for (const [expr, message] of [
      ['* * * *', /5 fields/], ['60 * * * *', /minute: 60 is out of range/], ['* 24 * * *', /hour: 24/],
      ['* * 0 * *', /day of month: 0/], ['* * * 13 *', /month: 13/], ['* * * * 8', /day of week: 8/],
      ['*/0 * * * *', /step/], ['5-1 * * * *', /backwards/], ['0 0 30 2 *', /never runs/], ['@often', /unknown macro/],
    ] as const) {
      assert.throws(() => parseCron(expr), (e: unknown) => e instanceof CronError && message.test(e.message), expr);
    }
  });

  it('is what retention re-exports (one parser)', async () => {
    const retention = await import('../../../src/features/retention/cron.ts');
    assert.equal(retention.parseCron, parseCron);
  });
});
