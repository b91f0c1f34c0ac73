// The registry under test. CI (and the default) is a real `berth serve`. While the server is
// being written, E2E_TARGET=distribution runs the same suites against CNCF Distribution
// (Debian's docker-registry) to validate the harness itself; nothing else should set it.
// E2E_TARGET=cluster (scripts/test.mjs runs the real-client files so, issue 14) makes every
// registry a cluster of its own (./cluster.ts: scripts/cluster-up.sh, 3 instances on PostgreSQL
// and Ceph radosgw behind haproxy), with the same auth as the single server: none, or htpasswd
// with the same file on every instance. The clients talk to haproxy only.
// E2E_SERVER_LOGS=1 prints each server's log when its suite stops.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBerth } from '../../helpers/berth-process.ts';
import { startCluster } from './cluster.ts';
import { run } from './run.ts';
import { requireTools } from './tools.ts';

export type TargetKind = 'berth' | 'distribution' | 'cluster';

export function targetKind(): TargetKind {
  const v = process.env.E2E_TARGET ?? 'berth';
  if (v === 'berth' || v === 'distribution' || v === 'cluster') return v;
  throw new Error(`E2E_TARGET must be "berth" (the default), "cluster" or "distribution", not ${JSON.stringify(v)}`);
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface TestRegistry {
  readonly kind: TargetKind;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** 127.0.0.1:PORT, the form registry clients take. */
  readonly host: string;
  /** Set when the registry was started with htpasswd auth. */
  readonly credentials?: Credentials;
  logs(): string;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

export interface RegistryOptions {
  auth?: 'none' | 'htpasswd';
  /** The account written to the htpasswd file (default e2e-user / a fixed test password). */
  credentials?: Credentials;
  /** Which server, whatever E2E_TARGET says (a second registry a test copies to, e.g. a mirror). */
  kind?: TargetKind;
}

export const DEFAULT_CREDENTIALS: Credentials = { user: 'e2e-user', password: 'e2e-Pa55word' };

async function writeHtpasswd(dir: string, creds: Credentials): Promise<string> {
  requireTools('htpasswd');
  const { stdout } = await run('htpasswd', ['-Bbn', creds.user, creds.password]);
  const file = join(dir, 'htpasswd');
  await writeFile(file, stdout.trim() + '\n');
  return file;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const kind = options.kind ?? targetKind();
  const auth = options.auth ?? 'none';
  const credentials = auth === 'htpasswd' ? (options.credentials ?? DEFAULT_CREDENTIALS) : undefined;
  const dir = await mkdtemp(join(tmpdir(), `berth-e2e-${kind}-`));
  try {
    const htpasswd = credentials ? await writeHtpasswd(dir, credentials) : undefined;
    const started =
      kind === 'berth' ? await startBerthTarget(dir, auth, htpasswd)
        : kind === 'cluster' ? await startClusterTarget(auth, htpasswd)
          : await startDistribution(dir, htpasswd);
    return {
      kind,
      credentials,
      ...started,
      async stop() {
        await started.stop();
        if (process.env.E2E_SERVER_LOGS) console.log(`--- ${kind} logs (${started.host}) ---\n${started.logs()}`);
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

type Started = Pick<TestRegistry, 'url' | 'host' | 'logs' | 'stop'>;

async function startBerthTarget(dir: string, auth: 'none' | 'htpasswd', htpasswd?: string): Promise<Started> {
  const dataDir = join(dir, 'data');
  await mkdir(dataDir);
  const berth = await startBerth({ dataDir, auth, htpasswd });
  return {
    url: berth.url,
    host: berth.host,
    logs: () => berth.logs(),
    async stop() {
      // A server that ignores SIGTERM must not hang the suite's `after` hook.
      let timer: NodeJS.Timeout | undefined;
      const graceful = berth.stop().then((code) => ({ code }));
      const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), 15_000)));
      const outcome = await Promise.race([graceful, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        console.error(`berth did not exit within 15 s of SIGTERM; killing it. Logs:\n${berth.logs()}`);
        await berth.kill();
      } else if (outcome.code !== 0 && outcome.code !== null) {
        console.error(`berth exited with ${outcome.code}:\n${berth.logs()}`);
      }
    },
  };
}

async function startClusterTarget(auth: 'none' | 'htpasswd', htpasswd?: string): Promise<Started> {
  const cluster = await startCluster({ auth, ...(htpasswd ? { htpasswd } : {}) });
  return { url: cluster.url, host: cluster.host, logs: () => cluster.logs(), stop: () => cluster.stop() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function startDistribution(dir: string, htpasswd?: string): Promise<Started> {
  requireTools('docker-registry');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const storage = join(dir, 'storage');
  await mkdir(storage);
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true } },
    http: { addr: host, headers: { 'X-Content-Type-Options': ['nosniff'] } },
  };
  if (htpasswd) config.auth = { htpasswd: { realm: 'berth-e2e', path: htpasswd } };
  const configFile = join(dir, 'distribution.yml');
  await writeFile(configFile, stringify(config));

  // Distribution reads every REGISTRY_* variable as configuration, and REGISTRY_AUTH_FILE (the
  // containers tools' variable) stops it from starting: give it none of them.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
  const child = spawn('docker-registry', ['serve', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not answer on ${host} within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://${host}`,
    host,
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
