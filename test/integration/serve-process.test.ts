// How `berth serve` is started by the two ways a user starts it: `npm start` (the package.json
// script, as npm runs it: through sh -c) and the `berth` command itself (bin/berth.mjs run through
// its #! line). Both must give node --max-semi-space-size=1 and glibc MALLOC_ARENA_MAX=1 (the head
// of bin/berth.mjs says what each saves); neither can be set once node runs, so this reads what
// the running server process really got, from /proc.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Starts `command` (argv), waits for "berth listening", returns the child. */
async function startServing(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, MALLOC_ARENA_MAX: '', BERTH_SERVER_METRICS_LISTEN: '', BERTH_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A group of its own: SIGTERM to the group reaches node under sh, which forwards no signal.
    detached: true,
  });
  let out = '';
  const listening = new Promise<void>((res, rej) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('"berth listening"')) res();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`${command} exited (${code}) before listening:\n${out}`)));
  });
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  try {
    await listening;
  } finally {
    clearTimeout(timer);
  }
  return child;
}

function processOf(pid: number): { env: Map<string, string>; argv: string[] } {
  const env = new Map<string, string>();
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean)) {
    const i = kv.indexOf('=');
    env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return { env, argv: readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean) };
}

/** The node process under `sh -c` (the shell may also exec it in place). */
function serverPid(shell: number): number {
  if (/node/.test(processOf(shell).argv[0] ?? '')) return shell;
  const kids = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const node = kids.find((k) => /node/.test(processOf(k).argv[0] ?? ''));
  assert.ok(node, `no node process under sh (${shell}): children ${kids.join(', ')}`);
  return node;
}

describe('berth serve gets its node flag and malloc setting however it is started', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = once(c, 'exit');
        process.kill(-c.pid!, 'SIGTERM');
        await exited;
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'berth-serve-process-'));
    dirs.push(d);
    return d;
  };

  it('the berth command (bin/berth.mjs through its #! line)', async () => {
    const child = await startServing(join(ROOT, 'bin', 'berth.mjs'), ['serve', '--listen', '127.0.0.1:0', '--data', dataDir(), '--auth', 'none']);
    children.push(child);
    // env -S execs node in place, so the child is the server itself.
    const p = processOf(child.pid!);
    assert.equal(p.env.get('MALLOC_ARENA_MAX'), '1', 'the #! line sets MALLOC_ARENA_MAX=1');
    assert.ok(p.argv.includes('--max-semi-space-size=1'), `node's argv: ${p.argv.join(' ')}`);
    assert.match(p.argv[0]!, /node/);
  });

  it('npm start (the package.json script, run the way npm runs it)', async () => {
    const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    // npm passes extra arguments after the script's own.
    const child = await startServing('sh', ['-c', `${script} --listen 127.0.0.1:0 --data ${dataDir()} --auth none`]);
    children.push(child);
    const p = processOf(serverPid(child.pid!));
    assert.equal(p.env.get('MALLOC_ARENA_MAX'), '1', `npm start (${script}) sets MALLOC_ARENA_MAX=1`);
    assert.ok(p.argv.includes('--max-semi-space-size=1'), `node's argv: ${p.argv.join(' ')}`);
  });
});
