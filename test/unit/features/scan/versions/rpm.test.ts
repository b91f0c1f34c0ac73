// The rpm comparator: rpmvercmp's known cases (tilde, caret, alphanumeric runs, separators,
// epochs, releases), and thousands of random pairs checked against Debian's `rpm` package,
// whose Lua interpreter compares them all in one process (rpm.vercmp). rpm missing fails the
// test with the package's name (scripts/install-tools.sh installs it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, isValid, parse, vercmp } from '../../../../../src/features/scan/versions/rpm.ts';
import { Gen, fuzzSeed, requireTool, rng } from './fuzz.ts';

/** rpmvercmp cases [a, b, vercmp(a, b)]. */
const VERCMP: readonly (readonly [string, string, -1 | 0 | 1])[] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1', 1],
  ['5.5p1', '5.5p2', -1],
  ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1],
  ['xyz10', 'xyz10.1', -1],
  ['xyz.4', '8', -1],
  ['1b.fc17', '1.fc17', -1],
  ['1.0010', '1.10', 0],
  ['20101121', '20101122', -1],
  ['99999999999999999999', '100000000000000000000', -1],
  // Separators only separate: which one, or how many, does not matter...
  ['2_0', '2.0', 0],
  ['2..0', '2.0', 0],
  ['+', '_', 0],
  ['a+', 'a_', 0],
  // ...but a trailing one after all else is equal does.
  ['1.0', '1.0.', 0],
  ['1.0a', '1.0.a', 0],
  // '~' sorts before everything, even the end.
  ['1.0~rc1', '1.0', -1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0~', '1.0', -1],
  ['1.0~rc1', '1.0arc1', -1],
  // '^' sorts after the base version and before anything else that follows it.
  ['1.0^', '1.0', 1],
  ['1.0^git1', '1.0', 1],
  ['1.0^git1', '1.01', -1],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0^20160101^git1', '1.0^20160101', 1],
  ['1.0^git1~pre', '1.0^git1', -1],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0^', '1.0~', 1],
  // A digit run beats a letter run.
  ['1.a', '1.1', -1],
  ['a', '1', -1],
];

/** EVR cases [a, b, compare(a, b)]. */
const EVR: readonly (readonly [string, string, -1 | 0 | 1])[] = [
  ['1:1.0', '2.0', 1],
  ['0:1.0', '1.0', 0],
  ['1.0-1', '1.0-2', -1],
  ['1.0-2', '1.0-10', -1],
  ['1.0-1.el9', '1.0-1.el9_2', -1],
  ['3.0.7-24.el9', '3.0.7-25.el9', -1],
  ['1:3.0.7-24.el9', '3.0.7-25.el9', 1],
  // A version without a release is older than one with a release, even an empty one.
  ['1.0', '1.0-5', -1],
  ['1.0', '1.0-0', -1],
  ['1.0', '1.0-', -1],
  ['1.0-1', '1.0.1', -1],
  ['2.0-1', '1.9-9', 1],
];

describe('rpm versions', () => {
  it('orders rpmvercmp known cases', () => {
    for (const [a, b, want] of VERCMP) {
      assert.equal(vercmp(a, b), want, `${a} vs ${b}`);
      assert.equal(vercmp(b, a), -want || 0, `${b} vs ${a}`);
    }
  });

  it('orders epoch, version and release', () => {
    for (const [a, b, want] of EVR) {
      assert.equal(compare(a, b), want, `${a} vs ${b}`);
      assert.equal(compare(b, a), -want || 0, `${b} vs ${a}`);
    }
  });

  it('splits an EVR as rpm does', () => {
    assert.deepEqual(parse('1:2.3-4.el9'), { epoch: '1', version: '2.3', release: '4.el9' });
    assert.deepEqual(parse('2.3'), { epoch: undefined, version: '2.3' });
    assert.deepEqual(parse(':2.3-1'), { epoch: '0', version: '2.3', release: '1' });
    assert.deepEqual(parse('a:2.3'), { epoch: undefined, version: 'a:2.3' });
  });

  it('accepts only what a package EVR may be', () => {
    for (const v of ['1.0', '1:1.0-1.el9', '1.0~rc1^git2-0.1', '0:3.0.7-24.el9_2']) assert.equal(isValid(v), true, v);
    for (const v of ['', '1.0-', '-1', '1.0-1-2', 'a:1.0', '1.0 1', ':1.0']) assert.equal(isValid(v), false, JSON.stringify(v));
  });

  it("agrees with rpm's rpm.vercmp on the known cases and on thousands of random pairs", (t) => {
    requireTool('rpm', 'rpm');
    const seed = fuzzSeed();
    t.diagnostic(`seed ${seed} (BERTH_FUZZ_SEED=${seed} replays it)`);
    console.log(`rpm fuzz seed: ${seed}`);
    const g = new Gen(rng(seed));
    const pairs: [string, string][] = [...VERCMP, ...EVR].map(([a, b]) => [a, b]);
    while (pairs.length < 20000) {
      const a = evr(g);
      pairs.push([a, g.chance(0.5) ? mutate(g, a) : evr(g)]);
    }
    const started = Date.now();
    const oracle = rpmVercmp(pairs);
    t.diagnostic(`${pairs.length} pairs against rpm in ${Date.now() - started} ms`);
    const wrong: string[] = [];
    pairs.forEach(([a, b], i) => {
      const got = compare(a, b);
      if (String(got) !== oracle[i]) wrong.push(`${a} vs ${b}: rpm says ${oracle[i]}, we say ${got}`);
    });
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} of ${pairs.length} pairs disagree (seed ${seed})`);
  });
});

const ALNUM = '0123456789abczXYZ';
const SEPARATORS = ['.', '.', '_', '+', '~', '^', '', '~~', '^~', '..'];

function part(g: Gen): string {
  let s = g.chance(0.8) ? g.run('0123456789', 3) : g.run(ALNUM, 3);
  const n = g.int(5);
  for (let i = 0; i < n; i++) s += g.pick(SEPARATORS) + (g.chance(0.6) ? g.run('0123456789', 3) : g.run('abczXYZ', 3));
  return s;
}

/** A random EVR: epochs, tildes, carets, letters, digits, separators, releases. */
function evr(g: Gen): string {
  const epoch = g.chance(0.2) ? `${g.int(3)}:` : '';
  const release = g.chance(0.6) ? `-${part(g)}` : '';
  return epoch + part(g) + release;
}

function mutate(g: Gen, v: string): string {
  switch (g.int(7)) {
    case 0:
      return v + g.pick(['~', '^', '~rc1', '^git1', '.', 'a', '0', '.0', '_']);
    case 1:
      return v.includes(':') ? v.slice(v.indexOf(':') + 1) : `${g.pick(['0', '1'])}:${v}`;
    case 2:
      return v.includes('-') ? v.slice(0, v.lastIndexOf('-')) : `${v}-${part(g)}`;
    case 3:
      return v.replace(/(^|[^0-9])([0-9])/, '$10$2');
    case 4:
      return v.replace(/[._+]/, g.pick(['.', '_', '+', '']));
    case 5: {
      const i = g.int(v.length);
      const c = v[i]!;
      const pool = /[0-9]/.test(c) ? '0123456789' : /[A-Za-z]/.test(c) ? 'abczXYZ' : '._+~^';
      return v.slice(0, i) + g.pick([...pool]) + v.slice(i + 1);
    }
    default:
      return v;
  }
}

/** rpm's verdict on each pair: one rpm process, whose Lua reads the pairs from a file. */
function rpmVercmp(pairs: readonly (readonly [string, string])[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rpm-fuzz-'));
  try {
    const input = join(dir, 'pairs');
    writeFileSync(input, pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
    const lua = `for line in io.lines('${input}') do local sp = line:find(' ', 1, true); print(rpm.vercmp(line:sub(1, sp - 1), line:sub(sp + 1)) .. '\\n') end`;
    const r = spawnSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `rpm --eval failed: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, pairs.length, 'one answer per pair');
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
