// Starts a real `berth serve` child process on a random loopback port, for integration and e2e
// tests. The server announces itself with a JSON log line {"msg":"berth listening","address":...}.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'berth.mjs');

export interface StartOptions {
  /** Data directory (filesystem + SQLite); a fresh temp dir when omitted. */
  dataDir?: string;
  /** Auth mode flag; 'none' when omitted. */
  auth?: 'none' | 'htpasswd' | 'builtin';
  /** A bcrypt htpasswd file (`htpasswd -Bbn user pass`), passed with --htpasswd. */
  htpasswd?: string;
  /** Written to a YAML file and passed with --config. */
  config?: Record<string, unknown>;
  /** Extra environment variables (e.g. BERTH_* overrides). */
  env?: Record<string, string>;
  /** Listen address; defaults to 127.0.0.1:0 (a free port). */
  listen?: string;
}

export interface BerthProcess {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** host:port, the form registry clients take. */
  readonly host: string;
  readonly port: number;
  /** The metrics listener's /metrics URL (server.metrics.listen), or "off". */
  readonly metricsUrl: string;
  readonly dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Starts a new process on the same port and data dir, after the old one exited. */
  restart(): Promise<BerthProcess>;
  readonly child: ChildProcess;
}

// Temp dirs this helper made (data dirs, config files) are removed when the test process exits,
// so a run leaves nothing behind in the system's temp folder.
const madeHere = new Set<string>();
process.once('exit', () => {
  for (const dir of madeHere) rmSync(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  madeHere.add(dir);
  return dir;
}

export async function startBerth(options: StartOptions = {}): Promise<BerthProcess> {
  const dataDir = options.dataDir ?? (await tempDir('berth-test-'));
  const args = [BIN, 'serve', '--listen', options.listen ?? '127.0.0.1:0', '--data', dataDir, '--auth', options.auth ?? 'none'];
  if (options.htpasswd) args.push('--htpasswd', options.htpasswd);
  if (options.config) {
    const file = join(await tempDir('berth-config-'), 'berth.yaml');
    await writeFile(file, stringify(options.config));
    args.push('--config', file);
  }
  // As `npm start` and bin/berth.mjs run it, flag and MALLOC_ARENA_MAX (see the head of bin/berth.mjs).
  const child = spawn(process.execPath, ['--max-semi-space-size=1', ...args], {
    cwd: ROOT,
    // The metrics listener's default (127.0.0.1:5001) would collide between servers run side by side.
    env: { ...process.env, MALLOC_ARENA_MAX: '1', BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'info', BERTH_SERVER_METRICS_LISTEN: '127.0.0.1:0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  let metrics = '';
  const address = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`berth did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('berth listening')) continue;
        try {
          const rec = JSON.parse(line) as { address?: string; metrics?: string };
          if (rec.address) { clearTimeout(timer); metrics = rec.metrics ?? ''; res(rec.address); return; }
        } catch { /* a partial line; wait for more */ }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
    child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`berth exited with ${code} before listening:\n${output}`)); });
  });
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });

  const url = new URL(address);
  const port = Number(url.port);
  const self: BerthProcess = {
    url: `${url.protocol}//127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    metricsUrl: metrics,
    dataDir,
    child,
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) await self.stop();
      return startBerth({ ...options, dataDir, listen: `127.0.0.1:${port}` });
    },
  };
  return self;
}
