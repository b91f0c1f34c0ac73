// Shared pieces of the comparator fuzz tests: a seeded generator (the seed is printed, and
// BERTH_FUZZ_SEED replays a run) and the check that a Debian tool is on PATH (DESIGN.md: a
// missing tool fails the test with a message that names its package, it never skips).
import { spawnSync } from 'node:child_process';

/** mulberry32: small, fast, good enough to spread test inputs. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fuzzSeed(): number {
  const fromEnv = process.env.BERTH_FUZZ_SEED;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

export class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** A string of 1..max characters drawn from an alphabet. */
  run(alphabet: string, max: number): string {
    let s = '';
    const n = 1 + this.int(max);
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

/** Fails, naming the Debian package, when a tool is not installed. */
export function requireTool(cmd: string, debianPackage: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `'${cmd}' is not on PATH: install Debian's ${debianPackage} package (apt-get install -y --no-install-recommends ${debianPackage}, or scripts/install-tools.sh)`,
    );
  }
}

/** Splits work into n nearly equal chunks. */
export function chunks<T>(xs: readonly T[], n: number): T[][] {
  const size = Math.ceil(xs.length / n);
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
