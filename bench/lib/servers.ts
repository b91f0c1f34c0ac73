// Starting and stopping the two registries under test, each a child process on loopback with
// filesystem storage in its own fresh directory and no auth; and the extra Berths with auth
// builtin that the Berth-only workloads (search, login-flood) start for themselves.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Target } from './config.ts';

export interface RunningServer {
  target: Target;
  /** http://127.0.0.1:PORT */
  origin: string;
  pid: number;
  dataDir: string;
  logFile: string;
  version: string;
  stop(): Promise<void>;
}

const DISTRIBUTION_BIN = 'docker-registry';
const START_TIMEOUT_MS = 30_000;

/** A free loopback port: bind port 0, read it, release it. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? ok(port) : fail(new Error('could not find a free port'))));
    });
  });
}

function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

/** Installs Debian's docker-registry with apt-get when it is missing (the bench needs root or sudo for that). */
export function ensureDistribution(log: (s: string) => void): string {
  const found = which(DISTRIBUTION_BIN);
  if (found) return found;
  log(`${DISTRIBUTION_BIN} not found; installing Debian's docker-registry with apt-get`);
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : which('sudo') ? ['sudo', '-n'] : undefined;
  if (!prefix) {
    throw new Error(`${DISTRIBUTION_BIN} is missing and this user cannot run apt-get: install it with \`apt-get install docker-registry\``);
  }
  const apt = (args: string[]): number => {
    const cmd = [...prefix, 'apt-get', ...args];
    const r = spawnSync(cmd[0] ?? 'apt-get', cmd.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    });
    return r.status ?? 1;
  };
  if (apt(['install', '-y', '--no-install-recommends', 'docker-registry']) !== 0) {
    apt(['update']);
    if (apt(['install', '-y', '--no-install-recommends', 'docker-registry']) !== 0) {
      throw new Error('apt-get install docker-registry failed; install it by hand and re-run the bench');
    }
  }
  const path = which(DISTRIBUTION_BIN);
  if (!path) throw new Error(`apt-get installed docker-registry but ${DISTRIBUTION_BIN} is still not on PATH`);
  // Debian enables the system service on install; it listens on :5000 and is not part of the bench.
  spawnSync('sh', ['-c', 'systemctl stop docker-registry 2>/dev/null || service docker-registry stop 2>/dev/null || true']);
  return path;
}

async function waitForV2(origin: string, child: ChildProcess, deadline: number, what: string, logFile: string): Promise<void> {
  let lastErr = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited during start-up (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    }
    try {
      const res = await fetch(`${origin}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastErr = `GET /v2/ answered ${res.status}`;
    } catch (err) {
      lastErr = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not answer GET ${origin}/v2/ with 200 within ${START_TIMEOUT_MS / 1000}s (${lastErr}); see ${logFile}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
    child.kill('SIGTERM');
    const timer = sleep(5000).then(() => 'timeout' as const);
    if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };
}

function tail(text: string, lines = 15): string {
  return text.split('\n').filter(Boolean).slice(-lines).join('\n');
}

/** Where a registry keeps blobs in an --s3 run. */
export interface S3Target { readonly endpoint: string; readonly region: string; readonly bucket: string; readonly accessKey: string; readonly secretKey: string }

export async function startDistribution(workDir: string, log: (s: string) => void, s3?: S3Target): Promise<RunningServer> {
  const bin = ensureDistribution(log);
  const dataDir = join(workDir, 'distribution-data');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const configFile = join(workDir, 'distribution.yml');
  // Debian's shipped config (inmemory blob-descriptor cache, deletes enabled) minus auth, on
  // loopback, logging warnings only and no access log.
  writeFileSync(configFile, [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    ...(s3
      // Distribution's own s3 driver on the same radosgw (path-style: regionendpoint given).
      ? ['  s3:', `    accesskey: ${s3.accessKey}`, `    secretkey: ${s3.secretKey}`, `    region: ${s3.region}`, `    regionendpoint: ${s3.endpoint}`,
        `    bucket: ${s3.bucket}`, '    secure: false', '    v4auth: true', '    rootdirectory: /',
        // Serve the bytes itself, as Berth does by default (the bench measures the registry).
        '  redirect:', '    disable: true']
      : ['  filesystem:', `    rootdirectory: ${JSON.stringify(dataDir)}`]),
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    '',
  ].join('\n'));
  const logFile = join(workDir, 'distribution.log');
  const out = createWriteStream(logFile);
  const env = { ...process.env };
  delete env.REGISTRY_AUTH_FILE;
  for (const k of Object.keys(env)) if (k.startsWith('REGISTRY_')) delete env[k];
  // The Go SDK refuses to start with AWS_CA_BUNDLE and Distribution's own HTTP transport
  // ("LoadCustomCABundleError"); the endpoint is plain HTTP on loopback anyway.
  if (s3) delete env.AWS_CA_BUNDLE;
  const child = spawn(bin, ['serve', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const origin = `http://127.0.0.1:${port}`;
  await waitForV2(origin, child, Date.now() + START_TIMEOUT_MS, 'Distribution (docker-registry)', logFile);
  const ver = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return {
    target: 'distribution',
    origin,
    pid: child.pid ?? 0,
    dataDir,
    logFile,
    version: ver || 'docker-registry (unknown version)',
    stop: stopper(child),
  };
}

export async function startBerth(workDir: string, extraArgs: string[], log: (s: string) => void, s3?: S3Target): Promise<RunningServer> {
  // Measure Berth as `npm start` runs it: compiled JS under plain node (under tsx, Node 20 runs
  // the loader hooks on an extra thread, which costs memory and start-up time).
  if (!existsSync(resolve('src/cli/main.ts'))) throw new Error('run the bench from the repository root');
  log('building dist/ (tsc --noCheck), as npm start does');
  const build = spawnSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noCheck'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building dist/ failed:\n${build.stdout}${build.stderr}`);
  const entry = resolve('dist/cli/main.js');
  const dataDir = join(workDir, 'berth-data');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const logFile = join(workDir, 'berth.log');
  const out = createWriteStream(logFile);
  // BENCH_BERTH_NODE_ARGS: node's own flags for Berth, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  // (a profile is written when Berth exits on the bench's SIGTERM).
  const nodeArgs = berthNodeArgs();
  const args = [...nodeArgs, entry, 'serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--auth', 'none', ...extraArgs];
  log(`starting Berth: BERTH_LOG_LEVEL=${process.env.BERTH_LOG_LEVEL ?? 'warn'} node ${args.join(' ')}`);
  // Warnings only, like Distribution (level warn, access log off): at info Berth logs every
  // request. BERTH_LOG_LEVEL in the bench's own env wins.
  // No metrics listener: its fixed default port would collide with a second Berth in the same run.
  const env = {
    ...process.env, ...berthProcessEnv(), BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'warn', BERTH_SERVER_METRICS_LISTEN: '',
    ...(s3 ? {
      BERTH_STORAGE_DRIVER: 's3', BERTH_STORAGE_S3_ENDPOINT: s3.endpoint, BERTH_STORAGE_S3_REGION: s3.region, BERTH_STORAGE_S3_BUCKET: s3.bucket,
      BERTH_STORAGE_S3_ACCESS_KEY_ID: s3.accessKey, BERTH_STORAGE_S3_SECRET_ACCESS_KEY: s3.secretKey,
    } : {}),
  };
  if (s3) log(`  Berth stores blobs in S3 bucket ${s3.bucket}`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let captured = '';
  const capture = (chunk: Buffer): void => {
    if (captured.length < 64 * 1024) captured += chunk.toString('utf8');
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);

  const deadline = Date.now() + START_TIMEOUT_MS;
  let origin: string | undefined;
  while (Date.now() < deadline && origin === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Berth exited during start-up (${child.exitCode ?? child.signalCode}). Last output:\n${tail(captured)}`);
    }
    for (const line of captured.split('\n')) {
      if (!line.includes('berth listening')) continue;
      try {
        const rec = JSON.parse(line) as { msg?: unknown; address?: unknown };
        if (rec.msg === 'berth listening' && typeof rec.address === 'string') origin = rec.address.replace(/\/+$/, '');
      } catch {
        // not JSON; keep waiting for the JSON line
      }
    }
    if (origin === undefined) await sleep(100);
  }
  const stop = stopper(child);
  try {
    if (origin === undefined) {
      throw new Error(`Berth did not log {"msg":"berth listening","address":...} within ${START_TIMEOUT_MS / 1000}s. Last output:\n${tail(captured)}`);
    }
    await waitForV2(origin, child, deadline + 5000, 'Berth', logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  const gitRev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  return {
    target: 'berth',
    origin,
    pid: child.pid ?? 0,
    dataDir,
    logFile,
    version: `berth ${gitRev || '(no git)'}`,
    stop,
  };
}

/** A Berth with `--auth builtin` that a Berth-only workload starts beside the main one. */
export interface BuiltinBerth {
  origin: string;
  pid: number;
  dataDir: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * `node dist/cli/main.js serve --auth builtin` on a free loopback port, with data in
 * `<workDir>/<name>-berth-data` and its log in `<workDir>/<name>-berth.log`; ready when it has
 * logged "berth listening" (which comes after the administrator is made: /healthz answers
 * before that) and /healthz is 200. It runs the dist/ build the main Berth target made.
 */
export async function startBuiltinBerth(workDir: string, name: string, adminPassword: string, extraArgs: string[], log: (s: string) => void): Promise<BuiltinBerth> {
  const entry = resolve('dist/cli/main.js');
  if (!existsSync(entry)) throw new Error(`dist/cli/main.js is missing: the ${name} workload runs the build the main Berth target makes (use --target berth or both)`);
  const dataDir = join(workDir, `${name}-berth-data`);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const logFile = join(workDir, `${name}-berth.log`);
  // BENCH_BERTH_NODE_ARGS applies here too (a profile of the scan workloads' server).
  const nodeArgs = berthNodeArgs();
  const args = [...nodeArgs, entry, 'serve', '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--auth', 'builtin', ...extraArgs];
  log(`  starting a second Berth for ${name}: node ${args.join(' ')}`);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...berthProcessEnv(), BERTH_ADMIN_PASSWORD: adminPassword, BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'warn', BERTH_SERVER_METRICS_LISTEN: '' },
  });
  const out = createWriteStream(logFile);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let listening = false;
  let pending = '';
  const onData = (chunk: Buffer): void => {
    pending += chunk.toString('utf8');
    if (pending.includes('"msg":"berth listening"')) listening = true;
    if (listening) child.stdout?.off('data', onData);
    else pending = pending.slice(-4096); // a line split across chunks is still found
  };
  child.stdout?.on('data', onData);
  const origin = `http://127.0.0.1:${port}`;
  const stop = stopper(child);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the ${name} Berth exited during start-up; see ${logFile}`);
    if (!listening) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`the ${name} Berth did not log "berth listening" within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
      }
      await sleep(100);
      continue;
    }
    try {
      const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the ${name} Berth did not answer /healthz within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
    }
    await sleep(100);
  }
  return { origin, pid: child.pid ?? 0, dataDir, logFile, stop };
}

/**
 * Node's flags for Berth: those `npm start` uses (the young generation of 1 MiB, see the head of
 * bin/berth.mjs), then BENCH_BERTH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; a later
 * --max-semi-space-size wins, so "--max-semi-space-size=16" measures Node's default).
 */
/** The environment `npm start` gives Berth (MALLOC_ARENA_MAX, see the head of bin/berth.mjs); the bench's own wins. */
function berthProcessEnv(): Record<string, string> {
  return { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '1' };
}

function berthNodeArgs(): string[] {
  return ['--max-semi-space-size=1', ...(process.env.BENCH_BERTH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/**
 * Berth through haproxy (--cluster): scripts/cluster-up.sh with `instances` Berth instances on its
 * own RAM-backed radosgw and a fresh PostgreSQL database, open (CLUSTER_AUTH=none) like the
 * single Berth of the bench. The pid is the first instance's (server CPU and RSS columns).
 */
export async function startCluster(workDir: string, target: 'berth-lb1' | 'berth-lb3', log: (s: string) => void): Promise<RunningServer> {
  const instances = target === 'berth-lb1' ? 1 : 3;
  // Ports away from the cluster e2e tests (5400) and the suites' cluster (see scripts/test.mjs).
  const port = target === 'berth-lb1' ? 5600 : 5700;
  const dir = join(workDir, `cluster-${instances}`);
  const script = resolve('scripts/cluster-up.sh');
  log(`starting a cluster of ${instances} behind haproxy: CLUSTER_INSTANCES=${instances} CLUSTER_PORT=${port} bash scripts/cluster-up.sh ${dir}`);
  const up = spawnSync('bash', [script, dir], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, CLUSTER_INSTANCES: String(instances), CLUSTER_PORT: String(port), CLUSTER_S3_PORT: String(port + 80), CLUSTER_AUTH: 'none', BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'warn' },
  });
  const stop = async (): Promise<void> => {
    // CLUSTER_WIPE=1: its PostgreSQL database goes too (the S3 data is in RAM).
    spawnSync('bash', [resolve('scripts/cluster-down.sh'), dir], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CLUSTER_WIPE: '1' } });
  };
  if (up.status !== 0) {
    await stop();
    throw new Error(`scripts/cluster-up.sh failed (exit ${up.status ?? up.signal}):\n${(up.stderr ?? '').split('\n').slice(-15).join('\n')}`);
  }
  const origin = (up.stdout ?? '').trim().split('\n').at(-1) ?? '';
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(origin)) {
    await stop();
    throw new Error(`scripts/cluster-up.sh did not print the load balancer's URL last: "${origin}"`);
  }
  const pid = Number(readFileSync(join(dir, 'run', 'berth-1.pid'), 'utf8').trim());
  return { target, origin, pid, dataDir: dir, logFile: join(dir, 'log', 'berth-1.log'), version: `berth x${instances} behind haproxy`, stop };
}
