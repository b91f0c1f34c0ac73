// The `login-flood` workload (Berth only: Distribution has no logins to flood, so the table shows
// Berth's figures with no ratio, as for search). Hardening item 5: an anonymous flood of failed
// logins must not grow memory, the DB or latency without bound.
//
// It starts its own Berth with auth builtin and the default limits (the main Berth runs auth
// none, where no password is ever checked), warms it up, then sends --login-flood-requests Basic
// logins, each with a new random 8,000-character user name and a wrong password, from
// --login-flood-clients concurrent clients: six in eight to GET /v2/, one to GET /auth/token and
// one to POST /auth/token (grant_type=password). Every answer must be 401 or 429. Meanwhile a
// worker thread GETs /healthz every 10 ms on a connection of its own: in a thread, so that its
// timings do not include waiting behind the flood's own callbacks in the runner's event loop.
// Figures:
// - RSS growth: the peak during the flood (VmHWM after a reset, or VmRSS samples) minus VmRSS
//   just before it. The warm-up hashes and checks passwords (it creates 8 users at once and logs
//   them in) before that baseline: scrypt takes 16 MiB per libuv thread, which the allocator
//   keeps, so the first few password checks of any Berth add ~70 MiB once, flood or not. The
//   RSS right after start is in the row's details and notes, so that fixed cost stays visible;
// - DB growth: berth.db + berth.db-wal after minus before, the larger of 1.5 s after the flood
//   (the audit queue flushes every 500 ms) and after Berth stopped (which writes the counted
//   rows of the failed-login runs still open);
// - /healthz p50 and p99 during the flood, and the flood's requests per second.
// Targets: RSS growth < 50 MiB, DB growth < 10 MiB, /healthz p99 < 20 ms.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { runLoad, Sample } from './load.ts';
import { OciClient } from './oci.ts';
import { measurePeakRss, rssMiB } from './proc.ts';
import { startBuiltinBerth, type BuiltinBerth } from './servers.ts';
import { fmt, newRow, type Row } from './table.ts';
import type { BenchEnv } from './workloads.ts';

const ADMIN_PASSWORD = 'bench-admin-password';
/** 6,000 random bytes are exactly 8,000 base64 characters. */
const NAME_BYTES = 6000;
const HEALTHZ_PAUSE_MS = 10;
const MiB = 1024 * 1024;

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** berth.db plus its WAL, in bytes (a missing file counts 0). */
function dbBytes(dataDir: string): number {
  let total = 0;
  for (const f of ['berth.db', 'berth.db-wal']) {
    try {
      total += statSync(join(dataDir, f)).size;
    } catch {
      // no WAL after a clean close
    }
  }
  return total;
}

interface FloodRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The seq-th login of the flood: a new 8,000-character name each time. */
function floodRequest(seq: number): FloodRequest {
  const name = randomBytes(NAME_BYTES).toString('base64');
  switch (seq % 8) {
    case 6:
      return { method: 'GET', path: '/auth/token?service=berth&scope=repository:library/app:pull', headers: { authorization: basic(name, 'wrong-password') } };
    case 7: {
      const body = new URLSearchParams({ grant_type: 'password', username: name, password: 'wrong-password', service: 'berth', client_id: 'bench' }).toString();
      return { method: 'POST', path: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) }, body };
    }
    default:
      return { method: 'GET', path: '/v2/', headers: { authorization: basic(name, 'wrong-password') } };
  }
}

// The /healthz prober, plain JS for an eval'd worker (no TypeScript loader in the thread).
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const latenciesMs = [];
const startedAt = [];
let errors = 0;
let firstError;
let stop = false;
parentPort.on('message', () => { stop = true; });
const once = () => new Promise((done) => {
  const t0 = performance.now();
  const req = http.get({ host: '127.0.0.1', port: workerData.port, path: '/healthz', agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) { latenciesMs.push(performance.now() - t0); startedAt.push(performance.timeOrigin + t0); }
      else { errors++; firstError ??= 'GET /healthz: HTTP ' + res.statusCode; }
      done();
    });
  });
  req.on('error', (e) => { errors++; firstError ??= 'GET /healthz: ' + e.message; done(); });
});
(async () => {
  while (!stop) {
    await once();
    await new Promise((r) => setTimeout(r, workerData.pauseMs));
  }
  agent.destroy();
  parentPort.postMessage({ latenciesMs, startedAt, errors, firstError });
})();
`;

interface ProbeResult {
  latenciesMs: number[];
  /** When each request was sent, in ms since the epoch (comparable across threads). */
  startedAt: number[];
  errors: number;
  firstError?: string;
}

/** Starts the /healthz prober; the returned function stops it and gives its timings. */
function startProber(origin: string): () => Promise<ProbeResult> {
  const worker = new Worker(PROBER, { eval: true, workerData: { port: Number(new URL(origin).port), pauseMs: HEALTHZ_PAUSE_MS } });
  const result = new Promise<ProbeResult>((ok, fail) => {
    worker.once('message', (m: ProbeResult) => ok(m));
    worker.once('error', fail);
  });
  return async () => {
    worker.postMessage('stop');
    try {
      return await result;
    } finally {
      await worker.terminate();
    }
  };
}

/** Password work before the baseline: 8 users created at once (8 hashes), then 8 logins at once. */
async function warmUp(client: OciClient, origin: string): Promise<void> {
  const admin = basic('admin', ADMIN_PASSWORD);
  const users = Array.from({ length: 8 }, (_, i) => ({ name: `warm${i}`, password: `warm-up-password-${i}` }));
  await Promise.all(users.map(async (u) => {
    const res = await fetch(`${origin}/api/v1/users`, {
      method: 'POST', headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify({ name: u.name, password: u.password }),
    });
    if (res.status !== 201) throw new Error(`warm-up: POST /api/v1/users ${u.name}: ${res.status} ${await res.text()}`);
  }));
  await Promise.all(users.map((u) => client.hitOk('GET', '/auth/token?service=berth', 200, { authorization: basic(u.name, u.password) })));
  for (let i = 0; i < 200; i++) await client.hitOk('GET', '/healthz', 200);
  // An anonymous /v2/ is a 401 challenge, not a failed login.
  for (let i = 0; i < 50; i++) await client.hitOk('GET', '/v2/', 401);
}

interface AuditCount {
  rows: number;
  failures: number;
  longestActor: number;
}

/** The failed-login rows Berth wrote, read from its stopped DB. */
function auditCount(dataDir: string): AuditCount {
  const db = new Sqlite(join(dataDir, 'berth.db'), { readonly: true });
  try {
    const r = db.prepare(`select count(*) as rows, coalesce(sum(coalesce(json_extract(detail, '$.count'), 1)), 0) as failures,
      coalesce(max(length(actor)), 0) as longestActor from audit_log where action = 'login_failed'`).get() as AuditCount;
    return { rows: Number(r.rows), failures: Number(r.failures), longestActor: Number(r.longestActor) };
  } finally {
    db.close();
  }
}

export interface LoginFloodOptions {
  requests: number;
  clients: number;
}

export async function loginFloodWorkload(env: BenchEnv, opts: LoginFloodOptions): Promise<void> {
  const n = opts.requests.toLocaleString('en-US');
  const label = (what: string): string => `login flood: ${what}, ${n} failed logins (Berth only)`;
  const rss = newRow('login-flood.rss', label('server RSS growth'), 'MiB', 'lower', { absolute: 50, text: '< 50 MiB' });
  const disk = newRow('login-flood.db', label('DB growth'), 'MiB', 'lower', { absolute: 10, text: '< 10 MiB' });
  const p50 = newRow('login-flood.healthz.p50', label('/healthz p50'), 'ms', 'lower');
  const p99 = newRow('login-flood.healthz.p99', label('/healthz p99'), 'ms', 'lower', { absolute: 20, text: '< 20 ms' });
  const rate = newRow('login-flood.rate', label('flood rate'), 'req/s', 'higher');
  const all: Row[] = [rss, disk, p50, p99, rate];
  env.rows.push(...all);

  const main = env.ctxs.find((c) => c.target === 'berth');
  if (!main) {
    for (const r of all) r.notes.push('Berth is not among the targets (--target distribution): login-flood not measured');
    return;
  }
  let server: BuiltinBerth | undefined;
  let flood: OciClient | undefined;
  try {
    server = await startBuiltinBerth(dirname(main.server.dataDir), 'login-flood', ADMIN_PASSWORD, env.cfg.berthArgs, env.log);
    const coldMiB = rssMiB(server.pid);
    flood = new OciClient(server.origin, opts.clients);
    await warmUp(flood, server.origin);
    await sleep(1000);
    const dbBefore = dbBytes(server.dataDir);

    const statuses = new Map<number, number>();
    const health = new Sample();
    /** /healthz split at the first 429: while Berth still checks passwords, and once it refuses them unchecked. */
    const checking = new Sample();
    const refusing = new Sample();
    let floodStart = 0;
    let firstRefusal: number | undefined;
    let rssChecking = 0;
    let rssRefusing = 0;
    const pid = server.pid;
    const epochNow = (): number => performance.timeOrigin + performance.now();
    const floodClient = flood;
    const origin = server.origin;
    const { result: sample, rss: rssReport } = await measurePeakRss(server.pid, async () => {
      const stopProber = startProber(origin);
      floodStart = epochNow();
      // VmRSS by phase too, so the table's peak can be put down to password checks or to refusals.
      const sampler = setInterval(() => {
        const now = rssMiB(pid);
        if (firstRefusal === undefined) rssChecking = Math.max(rssChecking, now);
        else rssRefusing = Math.max(rssRefusing, now);
      }, 25);
      try {
        return await runLoad({
          concurrency: opts.clients,
          seconds: Math.max(120, opts.requests / 20),
          maxOps: opts.requests,
          pid,
          op: async (_w, seq) => {
            const req = floodRequest(seq);
            const res = await floodClient.request(req.method, req.path, req.headers, req.body);
            await res.body.dump();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 429) firstRefusal ??= epochNow();
            if (res.status !== 401 && res.status !== 429) throw new Error(`${req.method} ${req.path} with a wrong password: HTTP ${res.status}`);
          },
        });
      } finally {
        clearInterval(sampler);
        const probed = await stopProber();
        health.latenciesMs.push(...probed.latenciesMs);
        health.ops = probed.latenciesMs.length;
        health.errors = probed.errors;
        health.firstError = probed.firstError;
        probed.latenciesMs.forEach((ms, i) => {
          const phase = firstRefusal === undefined || probed.startedAt[i]! < firstRefusal ? checking : refusing;
          phase.latenciesMs.push(ms);
          phase.ops++;
        });
      }
    });
    await sleep(1500);
    const dbLive = dbBytes(server.dataDir);
    await server.stop();
    const dbStopped = dbBytes(server.dataDir);
    const audit = auditCount(server.dataDir);

    const statusText = [...statuses].sort(([a], [b]) => a - b).map(([s, c]) => `${c} x ${s}`).join(', ');
    env.log(`  flood: ${sample.ops} logins in ${sample.seconds.toFixed(1)} s (${statusText}); RSS ${rssReport.startMiB.toFixed(0)} -> ${rssReport.peakMiB.toFixed(0)} MiB; ` +
      `DB ${(dbBefore / MiB).toFixed(2)} -> ${(dbLive / MiB).toFixed(2)} (live) / ${(dbStopped / MiB).toFixed(2)} MiB (stopped); ` +
      `/healthz p50 ${fmt(health.percentile(50))} ms, p99 ${fmt(health.percentile(99))} ms over ${health.ops}; audit: ${audit.rows} rows counting ${audit.failures} failures`);
    if (sample.ops === 0) throw new Error(sample.firstError ?? 'no login completed');
    if (sample.errors > 0) rate.notes.push(`${sample.errors} answers other than 401/429; first: ${sample.firstError}`);
    if (health.ops === 0) throw new Error(`no /healthz answered during the flood${health.firstError ? `: ${health.firstError}` : ''}`);
    if (health.errors > 0) p99.notes.push(`${health.errors} failed /healthz requests; first: ${health.firstError}`);

    rss.values.berth = rssReport.peakMiB - rssReport.startMiB;
    rss.details.berth = { ...rssReport, afterStartMiB: coldMiB, checkingPeakMiB: rssChecking, refusingPeakMiB: rssRefusing };
    rss.notes.push(`RSS ${fmt(coldMiB)} MiB after start, ${fmt(rssReport.startMiB)} MiB after the warm-up's password checks, peak ${fmt(rssReport.peakMiB)} MiB during the flood ` +
      `(VmRSS samples: ${fmt(rssChecking)} MiB at most until the first 429, ${fmt(rssRefusing)} MiB at most after it)`);
    disk.values.berth = (Math.max(dbLive, dbStopped) - dbBefore) / MiB;
    disk.details.berth = { beforeBytes: dbBefore, liveAfterBytes: dbLive, stoppedAfterBytes: dbStopped, audit };
    p50.values.berth = health.percentile(50);
    p99.values.berth = health.percentile(99);
    p50.details.berth = { ...health.summary(), pauseMs: HEALTHZ_PAUSE_MS };
    rate.values.berth = sample.rate;
    rate.details.berth = { ...sample.summary(), statuses: Object.fromEntries(statuses) };
    disk.notes.push(`${audit.rows} audit rows for ${sample.ops + sample.errors} failed logins (their counts add up to ${audit.failures}); longest actor ${audit.longestActor} characters`);
    rate.notes.push(`answers: ${statusText}`);
    const checkingFor = ((firstRefusal ?? epochNow()) - floodStart) / 1000;
    p99.notes.push(`/healthz p99 ${fmt(checking.percentile(99))} ms over the first ${checkingFor.toFixed(1)} s, until the first 429, while passwords were checked (${checking.ops} requests); ` +
      `${fmt(refusing.percentile(99))} ms after it (${refusing.ops} requests)`);
    p99.details.berth = { ...health.summary(), pauseMs: HEALTHZ_PAUSE_MS, checkingSeconds: checkingFor, checking: checking.summary(), refusing: refusing.summary() };
  } catch (err) {
    for (const r of all) r.errors.berth = (err as Error).message;
    env.log(`  login-flood failed: ${(err as Error).message}`);
  } finally {
    await flood?.close().catch(() => undefined);
    await server?.stop();
  }
}
