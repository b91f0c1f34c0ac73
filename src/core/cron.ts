// Cron expressions for schedules (pure; retention and replication share it): the five fields of crontab(5), minute hour
// day-of-month month day-of-week, with "*", numbers, ranges "a-b", steps "*/n", "a-b/n" and
// "a/n", lists "a,b", month and weekday names (JAN-DEC, SUN-SAT), 7 for Sunday, and the macros
// @hourly @daily @midnight @weekly @monthly @yearly @annually. Times are UTC.
//
// Day of month and day of week follow Vixie cron: when both are restricted (neither starts with
// "*"), a day matches if EITHER matches ("0 0 13 * FRI" runs on every 13th and every Friday);
// when one starts with "*" both must match ("*" matches every day, so the other decides alone;
// "0 0 */2 * FRI" is the Fridays that fall on odd days).

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

export interface Cron {
  /** The expression as given (trimmed). */
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday ... 6 = Saturday. */
  readonly weekdays: ReadonlySet<number>;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** The first name's value (JAN = 1, SUN = 0). */
  readonly namesFrom?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], namesFrom: 1 },
  // 7 is Sunday too (folded into 0 below).
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], namesFrom: 0 },
];

const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

function value(text: string, f: FieldSpec): number {
  const upper = text.toUpperCase();
  const named = f.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (f.namesFrom ?? 0);
  if (!/^\d{1,2}$/.test(text)) {
    throw new CronError(`${f.name}: "${text}" is not a number${f.names ? ` or a name (${f.names[0]}-${f.names[f.names.length - 1]})` : ''}`);
  }
  const n = Number(text);
  if (n < f.min || n > f.max) throw new CronError(`${f.name}: ${n} is out of range ${f.min}-${f.max}`);
  return n;
}

function parseField(text: string, f: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(`${f.name}: empty item in the list "${text}"`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`${f.name}: "${part}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) throw new CronError(`${f.name}: the step in "${part}" must be a whole number from 1`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = f.min;
      hi = f.max === 7 ? 6 : f.max;
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined || !a || !b) throw new CronError(`${f.name}: "${range}" is not a range a-b`);
      lo = value(a, f);
      hi = value(b, f);
      // FRI-SUN: Sunday as the end of a weekday range is 7.
      if (f.max === 7 && hi === 0 && lo > 0) hi = 7;
      if (lo > hi) throw new CronError(`${f.name}: the range ${range} runs backwards`);
    } else {
      lo = value(range!, f);
      // "a/n": from a to the end of the field, every n.
      hi = stepText !== undefined ? (f.max === 7 ? 6 : f.max) : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(f.max === 7 && v === 7 ? 0 : v);
  }
  return out;
}

/** Parses a cron expression; throws CronError naming the field at fault. */
export function parseCron(expression: string): Cron {
  const source = expression.trim();
  const expanded = MACROS[source.toLowerCase()] ?? source;
  if (expanded.startsWith('@')) throw new CronError(`unknown macro ${source}: use one of ${Object.keys(MACROS).join(', ')}`);
  const parts = expanded.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) {
    throw new CronError(`a schedule has 5 fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *" for 03:00 UTC daily; "${source}" has ${parts.length}`);
  }
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const cron: Cron = {
    source,
    minutes, hours, days, months, weekdays,
    daysRestricted: !parts[2]!.startsWith('*'),
    weekdaysRestricted: !parts[4]!.startsWith('*'),
  };
  // "0 0 30 2 *" (February 30th) parses but never runs: refuse it rather than never running.
  if (nextRun(cron, Date.UTC(2000, 0, 1)) === undefined) throw new CronError(`"${source}" never runs (no such date)`);
  return cron;
}

function dayMatches(c: Cron, d: Date): boolean {
  const dom = c.days.has(d.getUTCDate());
  const dow = c.weekdays.has(d.getUTCDay());
  // Vixie cron: a field starting with "*" ("*", "*/2") makes the two an AND ("*" itself matches
  // every day, so the other field alone decides); both restricted, an OR.
  return c.daysRestricted && c.weekdaysRestricted ? dom || dow : dom && dow;
}

/** The first time strictly after `after` (epoch ms) at which the expression fires; undefined if none within 10 years. */
export function nextRun(c: Cron, after: number): number | undefined {
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 10 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    if (!c.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(c, t)) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!c.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!c.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t.getTime();
  }
  return undefined;
}

/** The next `count` run times after `after`, for previews ("next runs: ..."). */
export function nextRuns(c: Cron, after: number, count: number): number[] {
  const out: number[] = [];
  let at = after;
  for (let i = 0; i < count; i++) {
    const next = nextRun(c, at);
    if (next === undefined) break;
    out.push(next);
    at = next;
  }
  return out;
}
