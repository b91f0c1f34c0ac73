// A flood of failed logins against a real `berth serve --auth builtin`, through every entry point
// that checks a password: /v2 Basic, GET /auth/token Basic, POST /auth/token grant_type=password,
// /api/v1 Basic, POST /api/v1/session and /v1/search Basic. The names are 8,000 characters long,
// or unicode, or each one new (a spray from one address), or "admin" with wrong passwords; some
// passwords are long. Then: the address is refused with 429 and Retry-After, the admin too from
// that address (with the right password) until the lock ends, but not from another loopback
// address; /healthz answered 200 all along; and the audit log holds a few hundred rows whose
// counts add up to exactly the failures sent, none with an actor longer than 128 characters.
// Speed is the bench's business (bench/lib/login-flood.ts): nothing here is timed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openMetadata } from '../../src/metadata/db.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

const ADMIN_PASSWORD = 'flood-Admin-pa55';
const LOCK_SECONDS = 3;
const PER_ACCOUNT = 5;
const PER_ADDRESS = 30;
const FLOOD = 1200;
const CONCURRENCY = 16;
/** From features/audit/failed-logins.ts (FAILED_LOGIN_DEFAULTS). */
const ACTOR_MAX = 128;
const AUDIT_WINDOW_MS = 60_000;
const ACCOUNTS_PER_ADDRESS = 20;
const INDIVIDUAL = 3;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly text: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A name of `units` UTF-16 units drawn from CJK, accented Latin and emoji (never a cut pair). */
function unicodeName(units: number): string {
  const pool = ['名', '前', 'é', 'ß', 'Ж', '😀', '🚢'];
  let s = '';
  while (s.length < units - 1) s += pool[Math.floor(Math.random() * pool.length)]!;
  return s;
}

/** The i-th credentials of a flood: four kinds in turn, as long as the entry point takes. */
function credentials(i: number, entry: { maxName: number; maxPassword: number }): { user: string; password: string } {
  switch (i % 4) {
    case 0: return { user: randomBytes(6000).toString('base64').slice(0, entry.maxName), password: 'wrong' };
    case 1: return { user: unicodeName(Math.min(2000, entry.maxName)), password: 'wrong' };
    case 2: return { user: `spray-${i}-${randomBytes(4).toString('hex')}`, password: 'p'.repeat(entry.maxPassword) };
    default: return { user: 'admin', password: `wrong-${i}` };
  }
}

describe('failed-login flood', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  /** Every 401 and 429 a login attempt got: each must be counted once in the audit log. */
  let failuresSent = 0;
  const startedAt = Date.now();
  let lockedUntil = 0;

  function send(method: string, path: string, headers: Record<string, string> = {}, body?: string, localAddress?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: server.port, method, path,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        ...(localAddress ? { localAddress, agent: false } : { agent }),
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { if (text.length < 4096) text += c; });
        res.on('end', () => {
          const retry = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retry) ? retry[0] : retry, text });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** One login attempt through an entry point, with any user name and password. */
  interface EntryPoint {
    readonly name: string;
    /** Longest user name and password the entry point takes as a login (longer is a 400 or 431 before any check). */
    readonly maxName: number;
    readonly maxPassword: number;
    attempt(user: string, password: string, localAddress?: string): Promise<Answer>;
  }
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const entryPoints: EntryPoint[] = [
    { name: 'GET /v2/ Basic', maxName: 8000, maxPassword: 8000, attempt: (u, p, from) => send('GET', '/v2/', { authorization: basic(u, p) }, undefined, from) },
    { name: 'GET /auth/token Basic', maxName: 8000, maxPassword: 8000, attempt: (u, p, from) => send('GET', '/auth/token?service=berth&scope=repository:library/x:pull', { authorization: basic(u, p) }, undefined, from) },
    {
      name: 'POST /auth/token grant_type=password', maxName: 8000, maxPassword: 20_000,
      attempt: (u, p, from) => send('POST', '/auth/token', { 'content-type': 'application/x-www-form-urlencoded' }, form({ grant_type: 'password', username: u, password: p, service: 'berth', client_id: 'flood' }), from),
    },
    { name: 'GET /api/v1/me Basic', maxName: 8000, maxPassword: 8000, attempt: (u, p, from) => send('GET', '/api/v1/me', { authorization: basic(u, p) }, undefined, from) },
    {
      name: 'POST /api/v1/session', maxName: 256, maxPassword: 4096,
      attempt: (u, p, from) => send('POST', '/api/v1/session', { 'content-type': 'application/json' }, JSON.stringify({ username: u, password: p }), from),
    },
    { name: 'GET /v1/search Basic', maxName: 8000, maxPassword: 8000, attempt: (u, p, from) => send('GET', '/v1/search?q=x', { authorization: basic(u, p) }, undefined, from) },
  ];

  /** Counts a login attempt's answer, which must be a refusal: 401 or 429 (with Retry-After). */
  function tally(what: string, answer: Answer, seen: Map<number, number>): void {
    assert.ok(answer.status === 401 || answer.status === 429, `${what}: ${answer.status} ${answer.text}`);
    seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
    failuresSent++;
    if (answer.status === 429) {
      const seconds = Number(answer.retryAfter);
      assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= LOCK_SECONDS, `${what}: Retry-After ${answer.retryAfter}`);
      lockedUntil = Math.max(lockedUntil, Date.now() + seconds * 1000);
    }
  }

  before(async () => {
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_LOG_LEVEL: 'warn' },
      config: { auth: { loginMaxFailures: PER_ACCOUNT, loginMaxFailuresPerAddress: PER_ADDRESS, loginLockSeconds: LOCK_SECONDS } },
    });
  });
  after(async () => {
    agent.destroy();
    await server?.stop();
  });

  it('through each entry point, a flood of failures from one address ends in 429 with Retry-After; /healthz answers 200 throughout', async () => {
    const health: number[] = [];
    let flooding = true;
    const healthLoop = (async () => {
      while (flooding) {
        health.push((await send('GET', '/healthz')).status);
        await sleep(20);
      }
    })();
    try {
      for (const entry of entryPoints) {
        // Start each flood unlocked, so every entry point's own failure path runs, not only refusals.
        await sleep(Math.max(0, lockedUntil - Date.now() + 200));
        const seen = new Map<number, number>();
        let next = 0;
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
          while (next < FLOOD) {
            const i = next++;
            const { user, password } = credentials(i, entry);
            tally(`${entry.name} #${i}`, await entry.attempt(user, password), seen);
          }
        }));
        assert.ok((seen.get(401) ?? 0) >= 1, `${entry.name}: some attempts were checked (401): ${JSON.stringify([...seen])}`);
        assert.ok((seen.get(429) ?? 0) >= FLOOD / 2, `${entry.name}: most attempts were refused (429): ${JSON.stringify([...seen])}`);
        // A lock may have just ended; at most PER_ADDRESS more failures set it again.
        let last: Answer | undefined;
        for (let i = 0; i <= PER_ADDRESS && last?.status !== 429; i++) {
          last = await entry.attempt(`after-${i}-${'y'.repeat(7000)}`.slice(0, entry.maxName), 'wrong');
          tally(`${entry.name} after the flood`, last, seen);
        }
        assert.equal(last?.status, 429, `${entry.name}: still refused after the flood`);
        assert.ok(last?.retryAfter, `${entry.name}: 429 carries Retry-After`);
      }
      // The session form refuses a name over 256 characters before any login: a 400, not a failed login.
      const tooLong = await send('POST', '/api/v1/session', { 'content-type': 'application/json' }, JSON.stringify({ username: 'z'.repeat(8000), password: 'x' }));
      assert.equal(tooLong.status, 400, tooLong.text);
    } finally {
      flooding = false;
      await healthLoop;
    }
    assert.ok(health.length >= 1);
    assert.deepEqual([...new Set(health)], [200], 'every /healthz during the flood was 200');
    assert.equal((await send('GET', '/healthz')).status, 200);
  });

  it('the locked address refuses the admin too (429, right password); another address is not locked; after the lock the admin logs in', async () => {
    // Make sure the address is locked now (a lock may have ended since the last test).
    const seen = new Map<number, number>();
    let answer: Answer | undefined;
    for (let i = 0; i <= PER_ADDRESS && answer?.status !== 429; i++) {
      answer = await entryPoints[0]!.attempt(`relock-${i}`, 'wrong');
      tally('relock', answer, seen);
    }
    // GET /auth/token audits successful logins as well as failed ones.
    const adminLogin = (from?: string) => send('GET', '/auth/token?service=berth', { authorization: basic('admin', ADMIN_PASSWORD) }, undefined, from);
    const admin = await adminLogin();
    assert.equal(admin.status, 429, `the admin from the locked address: ${admin.text}`);
    tally('the admin while locked', admin, seen);
    const elsewhere = await adminLogin('127.0.0.2');
    assert.equal(elsewhere.status, 200, `the admin from 127.0.0.2: ${elsewhere.text}`);
    await sleep(Math.max(0, lockedUntil - Date.now()) + 300);
    const later = await adminLogin();
    assert.equal(later.status, 200, `the admin after the lock: ${later.text}`);
  });

  it('one account guessed from 40 other addresses: each pair is locked after its own failures', async () => {
    for (let a = 3; a < 43; a++) {
      const from = `127.0.0.${a}`;
      const seen = new Map<number, number>();
      for (let i = 0; i < PER_ACCOUNT + 3; i++) tally(`admin from ${from}`, await entryPoints[3]!.attempt('admin', `guess-${i}`, from), seen);
      assert.deepEqual([...seen], [[401, PER_ACCOUNT], [429, 3]], `from ${from}`);
    }
    assert.equal((await send('GET', '/healthz')).status, 200);
  });

  it('the audit log holds a bounded number of rows that count every failure, with short actors', async () => {
    // Stopping the server ends the open runs, so their counted rows are written.
    assert.equal(await server.stop(), 0);
    const elapsed = Date.now() - startedAt;
    const meta = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
    try {
      const rows = await meta.db.selectFrom('audit_log').selectAll().where('action', '=', 'login_failed').execute();
      const counted = rows.reduce((n, r) => n + Number((JSON.parse(r.detail ?? '{}') as { count?: number }).count ?? 1), 0);
      assert.equal(counted, failuresSent, 'the rows count each failure and refusal once');
      for (const r of rows) assert.ok(r.actor.length <= ACTOR_MAX, `an actor of ${r.actor.length} characters`);
      assert.ok(rows.some((r) => r.actor === '*' && r.address === '127.0.0.1' && (JSON.parse(r.detail ?? '{}') as { accounts?: string }).accounts === 'many'),
        'the spray from 127.0.0.1 folded into a "*" row');
      // Per audit window, 127.0.0.1 holds at most ACCOUNTS_PER_ADDRESS runs per via (3 vias:
      // basic, password, session), each at most INDIVIDUAL rows and one counted row, plus one
      // "*" row per via; each of the 40 other addresses has one run.
      const windows = Math.ceil(elapsed / AUDIT_WINDOW_MS) + 1;
      const bound = windows * 3 * (ACCOUNTS_PER_ADDRESS * (INDIVIDUAL + 1) + 1) + 40 * (INDIVIDUAL + 1);
      assert.ok(rows.length <= bound, `${rows.length} rows for ${failuresSent} failures; bound ${bound}`);
      assert.ok(rows.length * 10 < failuresSent, `${rows.length} rows for ${failuresSent} failures`);
      const logins = await meta.db.selectFrom('audit_log').selectAll().where('action', '=', 'login').execute();
      assert.ok(logins.filter((r) => r.actor === 'admin').length >= 2, 'successful logins keep their own rows');
    } finally {
      await meta.close();
    }
  });
});
