// A real cluster for the suites that run "through haproxy" (issue 14, docs/scale-out.md): each
// startCluster() runs scripts/cluster-up.sh in a fresh DIR (PostgreSQL database, RAM-backed Ceph
// radosgw, N `berth serve` instances, haproxy round-robin with no stickiness) and stop() runs
// scripts/cluster-down.sh with CLUSTER_WIPE=1. Used by IT_TARGET=cluster
// (test/integration/helpers.ts), E2E_TARGET=cluster (./registry.ts) and test/e2e/cluster-*.test.ts.
//
// Ports: a cluster takes a slot of 40 ports: radosgw BASE..BASE+19, haproxy BASE+20, the
// instances BASE+21.., their metrics listeners BASE+31... Slots start at CLUSTER_SLOT_BASE
// (default 5600, 10 slots up to 5999), away from test/e2e/cluster.test.ts (5380-5413) and from
// cluster-up.sh's defaults. A slot is claimed with an atomic mkdir under the temp dir, with the
// claiming PID inside, so test files run side by side (--test-concurrency=2) never collide; a
// claim whose process is gone is taken over.
//
// A cluster left running by a test process that dies is stopped by its exit handler; when
// BERTH_CLUSTER_ROOT is set (scripts/test.mjs sets it), DIRs are made under it, and test.mjs
// stops whatever is left there at the end, even after a SIGKILL.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exec } from './run.ts';
import { requireTools } from './tools.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SLOT_PORTS = 40;
const SLOTS = 10;

export type ClusterAuth = 'builtin' | 'none' | 'htpasswd';

export interface ClusterInstance {
  /** http://127.0.0.1:PORT, the instance itself (not through haproxy). */
  readonly url: string;
  /** Its metrics listener's /metrics URL. */
  readonly metricsUrl: string;
  /** Its log file (JSON lines). */
  readonly logFile: string;
  /** Its PID file (cluster-up.sh writes it). */
  readonly pidFile: string;
}

export interface Cluster {
  /** The state directory given to cluster-up.sh. */
  readonly dir: string;
  /** The load balancer's base URL, cluster-up.sh's last line of output. */
  readonly url: string;
  /** 127.0.0.1:PORT of the load balancer, the form registry clients take. */
  readonly host: string;
  readonly port: number;
  readonly auth: ClusterAuth;
  /** DIR/admin-password (the account is `admin`; with auth none it is unused). */
  readonly password: string;
  readonly instances: readonly ClusterInstance[];
  /** Every instance's log, with a header line each. */
  logs(): string;
  /** cluster-down.sh DIR (CLUSTER_WIPE=1), then removes DIR. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  auth?: ClusterAuth;
  /** The bcrypt htpasswd file for auth htpasswd (CLUSTER_HTPASSWD). */
  htpasswd?: string;
  instances?: number;
}

function slotRoot(): string {
  return join(tmpdir(), 'berth-cluster-slots');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

/** Claims a free slot of ports; resolves with its base port and the claim directory. */
async function claimSlot(): Promise<{ base: number; claim: string }> {
  const first = Number(process.env.CLUSTER_SLOT_BASE ?? 5600);
  await mkdir(slotRoot(), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    for (let k = 0; k < SLOTS; k++) {
      const base = first + k * SLOT_PORTS;
      const claim = join(slotRoot(), String(base));
      try {
        await mkdir(claim);
      } catch {
        const owner = Number(await readFile(join(claim, 'pid'), 'utf8').catch(() => 'NaN'));
        // A claim being written has no pid yet; only a claim whose owner is gone is taken over.
        if (!Number.isFinite(owner) || alive(owner)) continue;
        await rm(claim, { recursive: true, force: true });
        try { await mkdir(claim); } catch { continue; }
      }
      await writeFile(join(claim, 'pid'), String(process.pid));
      // Whatever else runs on this machine may hold one of the ports (5672 is AMQP's): check them all.
      const ports = Array.from({ length: SLOT_PORTS }, (_, i) => base + i);
      if ((await Promise.all(ports.map(portFree))).every(Boolean)) return { base, claim };
      await rm(claim, { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`no free cluster port slot among ${first}..${first + SLOTS * SLOT_PORTS - 1} (claims in ${slotRoot()})`);
}

const running = new Map<string, { claim: string }>();

/** Stops every cluster of this process synchronously: for exit and signal handlers. */
function stopAllSync(): void {
  for (const [dir, { claim }] of running) {
    spawnSync('bash', [join(ROOT, 'scripts', 'cluster-down.sh'), dir], { stdio: 'ignore', env: { ...process.env, CLUSTER_WIPE: '1' }, timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    rmSync(claim, { recursive: true, force: true });
  }
  running.clear();
}
let handlersInstalled = false;
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', stopAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stopAllSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  requireTools('haproxy', 'curl');
  const auth = options.auth ?? 'builtin';
  const n = options.instances ?? 3;
  if (auth === 'htpasswd' && !options.htpasswd) throw new Error('startCluster: auth htpasswd needs an htpasswd file');
  installHandlers();
  const parent = process.env.BERTH_CLUSTER_ROOT ?? tmpdir();
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(join(parent, 'berth-cluster-'));
  const { base, claim } = await claimSlot();
  running.set(dir, { claim });
  const port = base + 20;
  const started = Date.now();
  const up = await exec('bash', [join(ROOT, 'scripts', 'cluster-up.sh'), dir], {
    timeoutMs: 240_000,
    env: { CLUSTER_PORT: String(port), CLUSTER_S3_PORT: String(base), CLUSTER_AUTH: auth, CLUSTER_INSTANCES: String(n), ...(options.htpasswd ? { CLUSTER_HTPASSWD: options.htpasswd } : {}) },
  });
  if (up.code !== 0) {
    // cluster-up.sh stops what it started when it fails; the database may be left, so wipe it.
    await exec('bash', [join(ROOT, 'scripts', 'cluster-down.sh'), dir], { timeoutMs: 120_000, env: { CLUSTER_WIPE: '1' } });
    running.delete(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    await rm(claim, { recursive: true, force: true });
    throw new Error(`scripts/cluster-up.sh ${dir} (CLUSTER_PORT=${port} CLUSTER_S3_PORT=${base} CLUSTER_AUTH=${auth}) failed with ${up.code ?? up.signal}:\n${up.stderr}\n${up.stdout}`);
  }
  const url = up.stdout.trim().split('\n').at(-1)!;
  if (url !== `http://127.0.0.1:${port}`) throw new Error(`cluster-up.sh's last line is ${JSON.stringify(url)}, expected http://127.0.0.1:${port}`);
  if (process.env.CLUSTER_TIMING) process.stderr.write(`# cluster ${dir} up on ${url} in ${Date.now() - started} ms\n`);
  const password = (await readFile(join(dir, 'admin-password'), 'utf8')).trim();
  const instances: ClusterInstance[] = [];
  for (let i = 1; i <= n; i++) {
    instances.push({
      url: `http://127.0.0.1:${port + i}`,
      metricsUrl: `http://127.0.0.1:${port + 10 + i}/metrics`,
      logFile: join(dir, 'log', `berth-${i}.log`),
      pidFile: join(dir, 'run', `berth-${i}.pid`),
    });
  }
  let stopped = false;
  return {
    dir,
    url,
    host: `127.0.0.1:${port}`,
    port,
    auth,
    password,
    instances,
    logs() {
      return instances.map((inst, i) => `--- berth-${i + 1} (${inst.url}) ---\n${existsSync(inst.logFile) ? readFileSync(inst.logFile, 'utf8') : '(no log)'}`).join('\n');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const down = await exec('bash', [join(ROOT, 'scripts', 'cluster-down.sh'), dir], { timeoutMs: 120_000, env: { CLUSTER_WIPE: '1' } });
      running.delete(dir);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      await rm(claim, { recursive: true, force: true });
      if (down.code !== 0) throw new Error(`scripts/cluster-down.sh ${dir} failed with ${down.code}:\n${down.stderr}`);
    },
  };
}

/** The DIRs of clusters under `root` that were not stopped (for scripts/test.mjs's sweep). */
export function leftoverClusters(root: string): string[] {
  try {
    return readdirSync(root).filter((e) => e.startsWith('berth-cluster-')).map((e) => join(root, e));
  } catch {
    return [];
  }
}

/**
 * A metrics listener for the cluster as a whole, in this process: /metrics is every instance's
 * /metrics page one after the other (so a counter summed over the page is the cluster's total),
 * and any other path is answered by the first instance's metrics listener (/readyz, 404s).
 */
export async function startMetricsUnion(instances: readonly ClusterInstance[]): Promise<{ url: string; close(): Promise<void> }> {
  const server: HttpServer = createHttpServer((req, res) => {
    void (async () => {
      try {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/metrics') {
          const pages = await Promise.all(instances.map(async (i) => {
            const r = await fetch(i.metricsUrl);
            if (r.status !== 200) throw new Error(`${i.metricsUrl} answered ${r.status}`);
            return { type: r.headers.get('content-type') ?? 'text/plain', text: await r.text() };
          }));
          res.writeHead(200, { 'content-type': pages[0]!.type }).end(pages.map((p) => p.text).join('\n'));
          return;
        }
        const r = await fetch(new URL(req.url ?? '/', instances[0]!.metricsUrl), { method: req.method ?? 'GET' });
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' }).end(Buffer.from(await r.arrayBuffer()));
      } catch (e) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`metrics union: ${(e as Error).message}`);
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
