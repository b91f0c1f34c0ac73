// The failed-login aggregation (features/audit/failed-logins.ts) with a made-up clock: the first
// failures of a run get their own rows, the rest one counted row when the run ends; names are
// cut; one address spraying many accounts and many addresses at once fold into "*" rows; memory
// and rows stay bounded under a million failures; and the AuditLog's flush and close.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Kysely } from 'kysely';
import { enableAudit, FailedLoginAggregator, FAILED_LOGIN_DEFAULTS, truncateActor } from '../../../../src/features/audit/index.ts';
import type { AuditEntry } from '../../../../src/metadata/identity/audit.ts';
import type { Database } from '../../../../src/metadata/schema.ts';
import { EventBus } from '../../../../src/registry/event-bus.ts';

const T0 = 1_700_000_000_000;
const WINDOW = FAILED_LOGIN_DEFAULTS.windowMs;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const detail = (row: AuditEntry): Record<string, unknown> => JSON.parse(row.detail ?? '{}') as Record<string, unknown>;
/** Failures the rows stand for: a counted row its count, any other row one. */
const failures = (rows: readonly AuditEntry[]): number => rows.reduce((n, r) => n + (Number(detail(r).count ?? 1)), 0);

describe('truncateActor', () => {
  it('keeps short names, cuts long ones to the limit with a final "…", never inside a surrogate pair', () => {
    assert.equal(truncateActor('alice', 128), 'alice');
    assert.equal(truncateActor('x'.repeat(128), 128), 'x'.repeat(128));
    const cut = truncateActor('x'.repeat(8000), 128);
    assert.equal(cut.length, 128);
    assert.ok(cut.endsWith('…'));
    for (const name of ['😀'.repeat(100), `a${'😀'.repeat(100)}`]) {
      const c = truncateActor(name, 128);
      assert.ok(c.length <= 128 && c.endsWith('…'));
      assert.doesNotMatch(c, LONE_SURROGATE);
    }
  });
});

describe('FailedLoginAggregator', () => {
  it('writes the first failures of a run at once and the rest as one counted row when the run ends', () => {
    const a = new FailedLoginAggregator();
    for (let i = 0; i < 250; i++) a.record({ account: 'alice', address: '10.0.0.1', via: 'basic' }, T0 + i);
    const now = a.take(T0 + 250);
    assert.equal(now.length, FAILED_LOGIN_DEFAULTS.individual);
    for (const r of now) {
      assert.deepEqual({ actor: r.actor, action: r.action, address: r.address, outcome: r.outcome, detail: detail(r) },
        { actor: 'alice', action: 'login_failed', address: '10.0.0.1', outcome: 'failure', detail: { via: 'basic' } });
    }
    assert.deepEqual(a.take(T0 + WINDOW - 1), [], 'nothing more until the run ends');
    const [summary, ...rest] = a.take(T0 + WINDOW);
    assert.deepEqual(rest, []);
    assert.equal(summary!.actor, 'alice');
    assert.equal(summary!.at, T0 + 3, 'the row is dated at the first failure it counts');
    assert.deepEqual(detail(summary!), { via: 'basic', count: 247, until: T0 + 249 });
    assert.equal(failures([...now, summary!]), 250);
    assert.equal(a.size, 0);
  });

  it('a run that did not go past its first failures ends without a counted row; the next window starts afresh', () => {
    const a = new FailedLoginAggregator();
    a.record({ account: 'bob', address: 'A', via: 'session' }, T0);
    assert.equal(a.take(T0).length, 1);
    assert.deepEqual(a.take(T0 + WINDOW), []);
    for (let i = 0; i < 5; i++) a.record({ account: 'bob', address: 'A', via: 'session' }, T0 + WINDOW + i);
    assert.equal(a.take(T0 + WINDOW + 5).length, FAILED_LOGIN_DEFAULTS.individual);
  });

  it('runs are per account, address and via', () => {
    const a = new FailedLoginAggregator({ individual: 1 });
    for (const [account, address, via] of [['alice', 'A', 'basic'], ['alice', 'B', 'basic'], ['alice', 'A', 'password'], ['bob', 'A', 'basic']] as const) {
      a.record({ account, address, via }, T0);
      a.record({ account, address, via }, T0 + 1);
    }
    assert.equal(a.take(T0 + 1).length, 4);
    const ended = a.drain();
    assert.equal(ended.length, 4);
    assert.ok(ended.every((r) => detail(r).count === 1));
  });

  it('cuts long names in rows and runs, and says how long they were', () => {
    const a = new FailedLoginAggregator();
    const long = `${'é'.repeat(7999)}z`;
    for (let i = 0; i < 10; i++) a.record({ account: long, address: 'A', via: 'basic' }, T0 + i);
    a.record({ account: `${'é'.repeat(7999)}y`, address: 'A', via: 'basic' }, T0 + 10); // the same first 127: the same run
    const rows = [...a.take(T0 + 10), ...a.drain()];
    assert.equal(rows.length, FAILED_LOGIN_DEFAULTS.individual + 1);
    for (const r of rows) assert.ok(r.actor.length <= FAILED_LOGIN_DEFAULTS.actorMaxChars && r.actor.endsWith('…'), r.actor);
    assert.equal(detail(rows[0]!).length, 8000);
    assert.equal(failures(rows), 11);
  });

  it('one address spraying 30,000 accounts: the first accountsPerAddress get runs, the rest one "*" row', () => {
    const a = new FailedLoginAggregator();
    const rows: AuditEntry[] = [];
    for (let i = 0; i < 30_000; i++) {
      a.record({ account: `user-${i}-${'x'.repeat(8000)}`, address: '127.0.0.1', via: 'basic' }, T0 + i);
      if (i % 500 === 0) rows.push(...a.take(T0 + i));
      assert.ok(a.size <= FAILED_LOGIN_DEFAULTS.accountsPerAddress + 1);
    }
    rows.push(...a.drain());
    assert.equal(rows.length, FAILED_LOGIN_DEFAULTS.accountsPerAddress + 1);
    const folded = rows.filter((r) => r.actor === '*');
    assert.equal(folded.length, 1);
    assert.deepEqual({ ...detail(folded[0]!), until: 0 }, { via: 'basic', count: 30_000 - FAILED_LOGIN_DEFAULTS.accountsPerAddress, until: 0, accounts: 'many' });
    assert.equal(folded[0]!.address, '127.0.0.1');
    assert.equal(failures(rows), 30_000);
  });

  it('past maxRuns, failures from further addresses fold into one row per via with no address', () => {
    const a = new FailedLoginAggregator({ maxRuns: 10 });
    for (let i = 0; i < 1000; i++) a.record({ account: 'admin', address: `10.0.${i >> 8}.${i & 255}`, via: i % 2 ? 'basic' : 'password' }, T0 + i);
    assert.ok(a.size <= 12);
    const rows = [...a.take(T0 + 1000), ...a.drain()];
    const global = rows.filter((r) => r.address === null);
    assert.equal(global.length, 2);
    for (const r of global) {
      assert.equal(r.actor, '*');
      assert.equal(detail(r).addresses, 'many');
    }
    assert.equal(failures(rows), 1000);
  });

  it('keeps a copy of each name, not the header it was sliced from (a 32 KiB password is not held per run)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const a = new FailedLoginAggregator({ accountsPerAddress: 10_000, maxRuns: 10_000 });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 2000; i++) {
      // As parseBasic does: the name is a slice of the decoded "name:password".
      const decoded = `user-${i}-${'n'.repeat(200)}:${'p'.repeat(32_000)}`;
      a.record({ account: decoded.slice(0, decoded.indexOf(':')), address: `10.1.${i >> 8}.${i & 255}`, via: 'basic' }, T0);
    }
    gc();
    const grownMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    assert.equal(a.size, 2000);
    // Holding the decoded headers would be 2,000 x 32 KiB = 62 MiB.
    assert.ok(grownMiB < 16, `the heap grew by ${grownMiB.toFixed(1)} MiB for 2,000 runs`);
  });

  it('stays bounded under 1,000,000 failures with distinct names and addresses, and over many windows', () => {
    const opts = { maxRuns: 2000, accountsPerAddress: 5, individual: 2 };
    const a = new FailedLoginAggregator(opts);
    let rows = 0;
    let most = 0;
    let t = T0;
    for (let i = 0; i < 1_000_000; i++) {
      t += 1; // 1,000 failures a second: about 17 windows
      a.record({ account: `u${i}`, address: `a${i % 5000}`, via: 'basic' }, t);
      if (i % 500 === 0) rows += a.take(t).length;
      most = Math.max(most, a.size);
    }
    rows += a.drain().length;
    assert.ok(most <= opts.maxRuns + 1, `runs held: ${most}`);
    const windows = Math.ceil((t - T0) / WINDOW) + 1;
    const bound = windows * (opts.maxRuns * (opts.individual + 1) + 1);
    assert.ok(rows <= bound, `${rows} rows > ${bound}`);
    assert.ok(rows < 1_000_000 / 10, `${rows} rows for 1,000,000 failures`);
  });
});

describe('enableAudit: failed logins', () => {
  const db = {} as Kysely<Database>;

  it('flush writes the first failures, close the counted rest; nothing is recorded after close', async () => {
    const written: AuditEntry[] = [];
    let t = T0;
    const audit = enableAudit(db, new EventBus(), (e) => { throw e; }, { flushMs: 60_000, now: () => t, write: async (rows) => { written.push(...rows); } });
    for (let i = 0; i < 100; i++) {
      audit.recordFailedLogin({ account: 'mallory', address: '127.0.0.1', via: 'basic' });
      t++;
    }
    assert.equal(written.length, 0, 'nothing is written from the caller');
    await audit.flush();
    assert.equal(written.length, FAILED_LOGIN_DEFAULTS.individual);
    audit.record({ at: t, actor: 'alice', action: 'login', address: '127.0.0.1', outcome: 'success', detail: '{"via":"password"}' });
    await audit.close();
    assert.equal(written.length, FAILED_LOGIN_DEFAULTS.individual + 2);
    assert.equal(written.filter((r) => r.action === 'login').length, 1, 'successful logins keep their own rows');
    assert.equal(failures(written.filter((r) => r.action === 'login_failed')), 100);
    audit.recordFailedLogin({ account: 'mallory', address: '127.0.0.1', via: 'basic' });
    await audit.flush();
    assert.equal(written.length, FAILED_LOGIN_DEFAULTS.individual + 2);
  });
});
