// Real Debian root filesystems for tests, built once with debootstrap and cached as a gzipped
// tarball outside the repository (BERTH_TEST_CACHE, else $XDG_CACHE_HOME/berth-test, else
// /var/cache/berth-test), keyed by suite, variant, package list and mirror, so later runs reuse
// it. Building takes minutes: progress goes to stderr as it happens. Needs root (the tests have it).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RootfsSpec {
  /** Debian suite (default bookworm). */
  readonly suite?: string;
  /** debootstrap --variant (default minbase). */
  readonly variant?: string;
  /** Packages for --include. */
  readonly include: readonly string[];
  /** Default http://deb.debian.org/debian. */
  readonly mirror?: string;
}

export interface Rootfs {
  /** The cached tarball: the root's contents as ./..., gzip-compressed (a layer as is). */
  readonly tarball: string;
  readonly key: string;
}

export function cacheDir(): string {
  if (process.env.BERTH_TEST_CACHE) return process.env.BERTH_TEST_CACHE;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'berth-test');
  return '/var/cache/berth-test';
}

function log(line: string): void {
  process.stderr.write(`[rootfs] ${line}\n`);
}

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Makes sure a Debian tool is there: installs its package with apt-get when it is missing
 * (root), or fails naming the package.
 */
export function ensureDebianTool(cmd: string, pkg: string): void {
  if (onPath(cmd)) return;
  log(`${cmd} is missing: apt-get install -y ${pkg}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: ['ignore', 'inherit', 'inherit'], env });
  }
  if (r.status !== 0 || !onPath(cmd)) {
    throw new Error(`'${cmd}' is needed and could not be installed: install Debian's ${pkg} package (apt-get install ${pkg}, or scripts/install-tools.sh)`);
  }
}

/** Unmounts anything debootstrap left mounted under dir (proc, sys), deepest first. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m]);
}

/** Runs a command, streaming its output lines to stderr; resolves to its exit code and last lines. */
function runWithProgress(cmd: string, args: readonly string[]): Promise<{ code: number | null; tail: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (buf: Buffer): void => {
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        log(line);
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, tail }));
  });
}

async function mirrorReachable(mirror: string, suite: string): Promise<string | undefined> {
  const url = `${mirror.replace(/\/$/, '')}/dists/${suite}/Release`;
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(20_000) });
    return res.ok ? undefined : `${url} answered ${res.status}`;
  } catch (error) {
    return `${url}: ${(error as Error).message}`;
  }
}

/** Takes a lock directory; a lock whose owner is dead is taken over. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited++) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch { /* being created */ }
      let alive = false;
      try {
        if (owner) process.kill(owner, 0);
        alive = !!owner;
      } catch { /* dead */ }
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      const old = since === undefined || Date.now() - since > 10_000;
      if (!alive && old) rmSync(lock, { recursive: true, force: true });
      else {
        if (waited % 30 === 0) log(`waiting for another build of the same rootfs (${lock})`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The rootfs tarball for spec, built with debootstrap on first use. */
export async function debianRootfs(spec: RootfsSpec): Promise<Rootfs> {
  const suite = spec.suite ?? 'bookworm';
  const variant = spec.variant ?? 'minbase';
  const mirror = spec.mirror ?? 'http://deb.debian.org/debian';
  const include = [...spec.include].sort();
  // 'clean': the apt caches are emptied, as Debian's official images are (the key changes with it).
  const key = createHash('sha256').update(JSON.stringify({ suite, variant, include, mirror, clean: 'apt' })).digest('hex').slice(0, 16);
  const dir = cacheDir();
  const tarball = join(dir, `rootfs-${suite}-${variant}-${key}.tar.gz`);
  if (existsSync(tarball)) return { tarball, key };
  mkdirSync(dir, { recursive: true });
  return withLock(`${tarball}.lock`, async () => {
    if (existsSync(tarball)) return { tarball, key };
    ensureDebianTool('debootstrap', 'debootstrap');
    const unreachable = await mirrorReachable(mirror, suite);
    if (unreachable) throw new Error(`debootstrap cannot reach the Debian mirror (${unreachable}); the rootfs tests need network access to ${mirror}`);
    const root = join(dir, `build-${key}-${process.pid}`);
    rmSync(root, { recursive: true, force: true });
    const started = Date.now();
    log(`building ${suite} ${variant} with ${include.join(',')} from ${mirror} into ${root} (a few minutes; cached as ${tarball})`);
    try {
      const { code, tail } = await runWithProgress('debootstrap', [`--variant=${variant}`, `--include=${include.join(',')}`, suite, root, mirror]);
      if (code !== 0) {
        const net = tail.some((l) => /Failed getting release file|Couldn't download|Temporary failure resolving|Could not resolve|Connection (refused|timed out)|Failure while downloading/i.test(l));
        throw new Error(`debootstrap ${net ? `could not reach ${mirror}` : 'failed'} (exit ${code}):\n${tail.slice(-15).join('\n')}`);
      }
      unmountUnder(root);
      // What debootstrap downloaded (the .debs, the package lists) is not part of an image.
      for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
        for (const f of readdirSync(join(root, sub), { withFileTypes: true })) if (f.isFile() && f.name !== 'lock') rmSync(join(root, sub, f.name));
      }
      for (const f of readdirSync(join(root, 'var/cache/apt'))) if (f.endsWith('.bin')) rmSync(join(root, 'var/cache/apt', f));
      log(`debootstrap done in ${Math.round((Date.now() - started) / 1000)} s; writing ${tarball}`);
      const tmp = `${tarball}.tmp-${process.pid}`;
      const tar = spawnSync('bash', ['-c', 'set -o pipefail; tar -C "$1" --numeric-owner --sort=name -cf - . | gzip -6 > "$2"', 'bash', root, tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (tar.status !== 0) {
        rmSync(tmp, { force: true });
        throw new Error(`tar/gzip of ${root} failed (${tar.status})`);
      }
      renameSync(tmp, tarball);
      log(`cached ${tarball} (${Math.round(statSync(tarball).size / 1e6)} MB)`);
      return { tarball, key };
    } finally {
      unmountUnder(root);
      rmSync(root, { recursive: true, force: true });
    }
  });
}

/** Extracts members of the rootfs tarball (e.g. ./var/lib/dpkg/status) into dir. */
export function extractFromRootfs(rootfs: Rootfs, dir: string, members: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('tar', ['-xzf', rootfs.tarball, '-C', dir, ...members]);
  if (r.status !== 0) throw new Error(`tar -x ${members.join(' ')} from ${rootfs.tarball} failed: ${r.stderr.toString()}`);
}
