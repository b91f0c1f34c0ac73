// Runs a client command and captures its output. A failure carries the full command line,
// exit status, stdout and stderr, so a red test says exactly what the client said.
import { spawn } from 'node:child_process';

export interface RunOptions {
  /** Environment variables layered over process.env (usually ClientEnv.env). */
  env?: Record<string, string>;
  /** Written to the child's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  cwd?: string;
  /** Kill the command after this many milliseconds (default 180 s). */
  timeoutMs?: number;
}

export interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  constructor(readonly result: RunResult, expectation: string) {
    super(
      `${expectation}: ${result.command}\n` +
        `exit: ${result.code ?? result.signal}\n` +
        `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
    this.name = 'CommandError';
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Runs the command and resolves with its output, whatever the exit status. */
export function exec(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = [cmd, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? 180_000;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n[killed after ${timeoutMs} ms]`;
      resolve({ command, code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** Runs the command and rejects, with its full output, unless it exits 0. */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await exec(cmd, args, options);
  if (result.code !== 0) throw new CommandError(result, 'command failed');
  return result;
}

/** Runs a command that must fail, and resolves with its output so the test can check why. */
export async function runFailing(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await exec(cmd, args, options);
  if (result.code === 0) throw new CommandError(result, 'command succeeded but was expected to fail');
  return result;
}

/** Runs the command and parses its stdout as JSON. */
export async function runJson<T = unknown>(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<T> {
  const result = await run(cmd, args, options);
  try {
    return JSON.parse(result.stdout) as T;
  } catch (err) {
    throw new CommandError(result, `stdout is not JSON (${(err as Error).message})`);
  }
}
