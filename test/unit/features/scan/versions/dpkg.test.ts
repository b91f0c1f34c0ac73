// The dpkg comparator: Debian Policy 5.6.12's cases, the parser's rejections, and thousands of
// random pairs checked against Debian's own `dpkg --compare-versions` (the seed is printed;
// BERTH_FUZZ_SEED=<n> replays a run).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, compareFragment, isValid, parse } from '../../../../../src/features/scan/versions/dpkg.ts';
import { Gen, chunks, fuzzSeed, requireTool, rng } from './fuzz.ts';

/** Pairs [a, b, compare(a, b)]. */
const CASES: readonly (readonly [string, string, -1 | 0 | 1])[] = [
  ['1.0', '1.1', -1],
  ['1.2.3', '1.2.10', -1],
  ['1.10', '1.9', 1],
  ['1.0', '1.0', 0],
  // '~' sorts before everything, even the end of the string (Policy's own example).
  ['1.0~~', '1.0~~a', -1],
  ['1.0~~a', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0a', -1],
  ['1.0~rc1', '1.0', -1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1-1', '1.0-1', -1],
  ['2.0-1~bpo12+1', '2.0-1', -1],
  // Epochs win over everything else; a missing epoch is 0.
  ['1:0.1', '9.9', 1],
  ['0:1.0', '1.0', 0],
  ['2:1.0', '10:0.1', -1],
  // Revisions: none equals "0"; a revision makes the version newer than none.
  ['1.0-1', '1.0', 1],
  ['1.0', '1.0-0', 0],
  ['1.0-1', '1.0-1.1', -1],
  ['1.0-2', '1.0-10', -1],
  ['1.0-1', '1.0-1+b1', -1],
  ['2.36-9+deb12u3', '2.36-9+deb12u10', -1],
  ['3.0.11-1~deb12u2', '3.0.11-1', -1],
  ['7.88.1-10+deb12u5', '7.88.1-10+deb12u8', -1],
  ['1.2-3-4', '1.2-3-5', -1],
  // Digit runs are numbers: leading zeros do not count.
  ['1.0', '1.00', 0],
  ['1.01', '1.1', 0],
  ['1.001', '1.1', 0],
  // Letters sort before other characters, and an extra separator makes a version newer.
  ['1.0a', '1.0+', -1],
  ['1.0+dfsg', '1.0', 1],
  ['1.0+dfsg', '1.0.1', -1],
  ['1.0.', '1.0', 1],
  ['1.0A', '1.0a', -1],
  ['1.0z', '1.0.', -1],
  // A colon after the epoch belongs to the upstream version.
  ['1:2:3', '1:2:4', -1],
];

describe('dpkg versions', () => {
  it('orders the known cases', () => {
    for (const [a, b, want] of CASES) {
      assert.equal(compare(a, b), want, `${a} vs ${b}`);
      assert.equal(compare(b, a), -want || 0, `${b} vs ${a}`);
    }
  });

  it('splits epoch, upstream and revision as dpkg does', () => {
    assert.deepEqual(parse('1:2.3-4'), { epoch: 1, upstream: '2.3', revision: '4' });
    assert.deepEqual(parse('2.3'), { epoch: 0, upstream: '2.3', revision: '' });
    assert.deepEqual(parse('1.2-3-4'), { epoch: 0, upstream: '1.2-3', revision: '4' });
    assert.deepEqual(parse('1:2:3'), { epoch: 1, upstream: '2:3', revision: '' });
    assert.deepEqual(parse(' 1.0-1 '), { epoch: 0, upstream: '1.0', revision: '1' });
  });

  it('rejects what dpkg rejects', () => {
    for (const v of ['', ' ', '1:', ':1', 'a:1', '-1:1', '1.0-', '1.0 1', '1.0_1', '1.0-a_b', '1.0-1:2', '99999999999:1', '1.0-1/2', 'ü1']) {
      assert.equal(isValid(v), false, JSON.stringify(v));
    }
    for (const v of ['1.0', '0:1.0~rc1+dfsg-1', '1:2:3', '1.0-1-1', '2.36-9+deb12u3', 'a1.0', '1.0-0']) {
      assert.equal(isValid(v), true, v);
    }
  });

  it('compares fragments character by character and digit runs as numbers', () => {
    assert.equal(compareFragment('', '0'), 0);
    assert.equal(compareFragment('~', ''), -1);
    assert.equal(compareFragment('a', ''), 1);
    assert.equal(compareFragment('99999999999999999999', '100000000000000000000'), -1);
  });

  it('never throws on strings dpkg would reject', () => {
    assert.equal(compare('', '1.0'), -1);
    assert.equal(compare('x:1', 'x:1'), 0);
  });

  it('agrees with dpkg --compare-versions on the known cases and on thousands of random pairs', async (t) => {
    requireTool('dpkg', 'dpkg');
    const seed = fuzzSeed();
    t.diagnostic(`seed ${seed} (BERTH_FUZZ_SEED=${seed} replays it)`);
    console.log(`dpkg fuzz seed: ${seed}`);
    const g = new Gen(rng(seed));
    const pairs: [string, string][] = CASES.filter(([a, b]) => isValid(a) && isValid(b)).map(([a, b]) => [a, b]);
    while (pairs.length < 4000) {
      const a = version(g);
      const b = g.chance(0.5) ? mutate(g, a) : version(g);
      if (isValid(a) && isValid(b)) pairs.push([a, b]);
    }
    const started = Date.now();
    const oracle = (await Promise.all(chunks(pairs, 2).map(dpkgCompare))).flat();
    t.diagnostic(`${pairs.length} pairs against dpkg in ${Date.now() - started} ms`);
    const wrong: string[] = [];
    pairs.forEach(([a, b], i) => {
      const want = oracle[i];
      const got = compare(a, b);
      if (String(got) !== want) wrong.push(`${a} vs ${b}: dpkg says ${want}, we say ${got}`);
      assert.equal(compare(b, a), -got || 0, `antisymmetry: ${a} vs ${b}`);
    });
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} of ${pairs.length} pairs disagree (seed ${seed})`);
  });
});

const DIGITS = '0123456789';
const LETTERS = 'abcxyzABZ';
const REVISION = 'abcz0123456789.+~';

/** A random version dpkg accepts: epochs, tildes, plus signs, dots, letters, digits, revisions. */
function version(g: Gen): string {
  let s = g.chance(0.2) ? `${g.int(3)}:` : '';
  s += g.run(DIGITS, 3);
  const parts = g.int(5);
  for (let i = 0; i < parts; i++) {
    s += g.pick(['.', '.', '+', '~', '', '~~']);
    s += g.chance(0.6) ? g.run(DIGITS, 3) : g.run(LETTERS, 3);
  }
  if (g.chance(0.6)) {
    if (g.chance(0.1)) s += `-${g.run(DIGITS, 2)}`; // a '-' inside the upstream version
    s += `-${g.chance(0.5) ? g.run(DIGITS, 2) : ''}${g.run(REVISION, 4)}`;
  }
  return s;
}

/** A version close to v, so that ties and near-ties are common. */
function mutate(g: Gen, v: string): string {
  switch (g.int(9)) {
    case 0:
      return v + g.pick(['~', '~rc1', '~~', 'a', '.0', '+b1', '.', '0', '+', 'Z']);
    case 1:
      return v.includes(':') ? v.slice(v.indexOf(':') + 1) : `${g.pick(['0', '1'])}:${v}`;
    case 2:
      return v.includes('-') ? v.slice(0, v.lastIndexOf('-')) : `${v}-${g.pick(['0', '1', '0~1', '1+b1'])}`;
    case 3: // a leading zero in some digit run
      return v.replace(/(^|[^0-9])([0-9])/, `$10$2`);
    case 4: {
      // change one character for another of its kind
      const i = 1 + g.int(Math.max(1, v.length - 1));
      const c = v[i];
      if (c === undefined) return v;
      const pool = /[0-9]/.test(c) ? DIGITS : /[A-Za-z]/.test(c) ? LETTERS : '.+~';
      return v.slice(0, i) + g.pick([...pool]) + v.slice(i + 1);
    }
    case 5:
      return v.replace(/~/, '');
    case 6:
      return v.replace(/\./, '+');
    case 7:
      return `${v.split('-')[0]}-${g.run(REVISION, 3)}`;
    default:
      return v;
  }
}

/** dpkg's verdict on each pair, one shell per chunk, as "-1", "0", "1" (or "E<status>" when dpkg fails). */
async function dpkgCompare(pairs: readonly (readonly [string, string])[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dpkg-fuzz-'));
  try {
    const input = join(dir, 'pairs');
    writeFileSync(input, pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
    const script = `
      while read -r a b; do
        dpkg --compare-versions "$a" lt "$b"; r=$?
        if [ $r -eq 0 ]; then echo -1
        elif [ $r -eq 1 ]; then
          dpkg --compare-versions "$a" eq "$b"; r=$?
          if [ $r -eq 0 ]; then echo 0; elif [ $r -eq 1 ]; then echo 1; else echo "E$r"; fi
        else echo "E$r"; fi
      done < "$1"`;
    const out = await run('sh', ['-c', script, 'sh', input]);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, pairs.length, 'one answer per pair');
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}
