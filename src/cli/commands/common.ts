// Shared pieces of the identity commands: the common options, running an operation against the
// chosen target, reading a secret from stdin, and printing tables or JSON.
import type { Command } from 'commander';
import { RegistryError } from '../../core/errors.ts';
import { CliError, fromRegistryError } from '../cli-error.ts';
import { openManagement, type Management, type TargetFlags } from '../management/index.ts';

export interface CommonFlags extends TargetFlags {
  readonly json?: boolean;
  readonly passwordStdin?: boolean;
}

/** --data, --config (offline) and --url, --user (a running server), plus --json. */
export function withCommon(cmd: Command): Command {
  return cmd
    .option('-d, --data <dir>', 'data directory to manage offline (as for berth serve)')
    .option('-c, --config <file>', 'configuration file to manage offline (as for berth serve)')
    .option('--url <url>', 'manage a running server instead, e.g. http://localhost:5000')
    .option('-u, --user <name>', 'with --url: the account to sign in as (password or access token in BERTH_PASSWORD or --password-stdin); offline token commands: whose tokens')
    .option('--json', 'print machine-readable JSON');
}

/** Reads one line from stdin (without its line break). */
export async function readStdinLine(what: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`${what}: `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if ((chunk as Buffer).includes(10)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new CliError(`no ${what} on stdin`, `Pipe it in, e.g.: printf '%s\\n' "$SECRET" | berth ... --password-stdin`);
  return line;
}

/**
 * Opens the target, runs `fn`, closes it. Service refusals become CliErrors with a hint.
 * `stdinIsLogin`: --password-stdin carries the --url login password (not a new password).
 */
export async function run(flags: CommonFlags, fn: (m: Management) => Promise<void>, stdinIsLogin = true): Promise<void> {
  const readLogin = stdinIsLogin && flags.passwordStdin ? () => readStdinLine('password') : undefined;
  let m: Management | undefined;
  try {
    m = await openManagement(flags, readLogin);
    await fn(m);
  } catch (error) {
    if (error instanceof RegistryError) throw fromRegistryError(error, Boolean(flags.url));
    throw error;
  } finally {
    await m?.close();
  }
}

/**
 * Opens a command's operations (offline on the data directory, or on --url), runs `fn` on them and
 * closes them; a RegistryError becomes the CLI's message for where it ran (berth proxy, replicate,
 * group-map).
 */
export async function withOpened<T extends { close(): Promise<void> }>(flags: CommonFlags, open: (flags: CommonFlags) => Promise<T>, fn: (ops: T) => Promise<void>): Promise<void> {
  let ops: T | undefined;
  try {
    ops = await open(flags);
    await fn(ops);
  } catch (error) {
    if (error instanceof RegistryError) throw fromRegistryError(error, Boolean(flags.url));
    throw error;
  } finally {
    await ops?.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows under upper-case headers, columns padded to fit. */
export function printTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const r of cells) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ')}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function when(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : 'never';
}
