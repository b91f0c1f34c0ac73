// Runs the real `berth` command (bin/berth.mjs) with stdin, an environment and a time limit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'berth.mjs');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** BERTH_PASSWORD from the test's own environment is dropped unless options.env sets it. */
export function berth(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((res, rej) => {
    // `berth serve` here must not take the metrics listener's fixed default port (127.0.0.1:5001).
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_SERVER_METRICS_LISTEN: '127.0.0.1:0', ...options.env };
    if (!options.env?.BERTH_PASSWORD) delete env.BERTH_PASSWORD;
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`berth ${args.join(' ')} timed out\n${stdout}\n${stderr}`)); }, 60_000);
    child.once('exit', (code) => { clearTimeout(timer); res({ code, stdout, stderr }); });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Asserts exit code 0, showing both outputs when it is not. */
export function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}
