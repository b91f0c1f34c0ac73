// PEP 440: the order of dev, pre, final, post and local versions, epochs, the release with
// trailing zeros, and the normalisation of every spelling the PEP allows; then thousands of
// random spellings checked against the reference implementation, Debian's python3-packaging.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compare, isValid, normalize, normalizeName } from '../../../../../src/features/scan/versions/pep440.ts';
import { InvalidVersionError } from '../../../../../src/features/scan/versions/types.ts';
import { Gen, fuzzSeed, rng } from './fuzz.ts';

function assertChain(chain: readonly string[]): void {
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) assert.equal(compare(chain[i]!, chain[j]!), Math.sign(i - j), `${chain[i]} vs ${chain[j]}`);
  }
}

describe('PEP 440 versions', () => {
  it('orders dev < a < b < rc < final < post', () => {
    assertChain(['1.0.dev1', '1.0a1', '1.0b1', '1.0rc1', '1.0', '1.0.post1']);
  });

  it("orders the PEP's full example", () => {
    assertChain([
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.0.15',
      '1.1.dev1',
    ]);
  });

  it('orders epochs first and ignores trailing zeros of the release', () => {
    assertChain(['2.0', '1!0.1', '1!1.0', '2!0.0.1']);
    assert.equal(compare('1.0', '1.0.0'), 0);
    assert.equal(compare('1.0', '1.0.0.0.0'), 0);
    assert.equal(compare('0!1.0', '1.0'), 0);
    assertChain(['1.0', '1.0.1', '1.1', '1.10', '2']);
    assertChain(['3.1.2', '3.1.3', '3.1.4']); // Jinja2
  });

  it('orders local versions: numbers above words, more segments win', () => {
    assertChain(['1.0', '1.0+abc', '1.0+abc.1', '1.0+abd', '1.0+0', '1.0+1', '1.0+1.0', '1.0+2', '1.0+10', '1.0.post1']);
    assert.equal(compare('1.0+Ubuntu-1', '1.0+ubuntu.1'), 0);
    assert.equal(compare('1.0+01', '1.0+1'), 0);
  });

  it('normalises every allowed spelling', () => {
    const cases: [string, string][] = [
      ['1.0', '1.0'],
      ['v1.0', '1.0'],
      [' 1.0\n', '1.0'],
      ['01.02.003', '1.2.3'],
      ['1.0a1', '1.0a1'],
      ['1.0alpha1', '1.0a1'],
      ['1.0-a-1', '1.0a1'],
      ['1.0.A.1', '1.0a1'],
      ['1.0a', '1.0a0'],
      ['1.0beta2', '1.0b2'],
      ['1.0c1', '1.0rc1'],
      ['1.0pre1', '1.0rc1'],
      ['1.0preview1', '1.0rc1'],
      ['1.0-RC_1', '1.0rc1'],
      ['1.0-1', '1.0.post1'],
      ['1.0post1', '1.0.post1'],
      ['1.0-r1', '1.0.post1'],
      ['1.0rev1', '1.0.post1'],
      ['1.0.post', '1.0.post0'],
      ['1.0-post-1', '1.0.post1'],
      ['1.0.dev', '1.0.dev0'],
      ['1.0-dev-1', '1.0.dev1'],
      ['1.0DEV1', '1.0.dev1'],
      ['1.0a1-1', '1.0a1.post1'],
      ['1!2.0b1.post2.dev3+local.4', '1!2.0b1.post2.dev3'.concat('+local.4')],
      ['0!1.0', '1.0'],
      ['1.0+ubuntu-1_2', '1.0+ubuntu.1.2'],
      ['1.0+ABC', '1.0+abc'],
    ];
    for (const [input, want] of cases) assert.equal(normalize(input), want, JSON.stringify(input));
    // Equal spellings compare equal.
    for (const [input, want] of cases) assert.equal(compare(input, want), 0, JSON.stringify(input));
  });

  it('rejects what is not a PEP 440 version', () => {
    for (const v of ['', 'foo', '1.0.', '.1', '1..0', '1.0+', '1.0+local!', '1.0-', '1.0a1a2', '1.0.post1.post2', 'v', '1.0 1', '1.0+a..b', '1!', '!1.0', 'dev1']) {
      assert.equal(isValid(v), false, JSON.stringify(v));
    }
    assert.throws(() => compare('foo', '1.0'), InvalidVersionError);
    // The PEP's own pattern lets a separator follow a label without a number.
    assert.equal(normalize('1.0_dev_'), '1.0.dev0');
  });

  it("normalises project names as PEP 503 says", () => {
    assert.equal(normalizeName('Jinja2'), 'jinja2');
    assert.equal(normalizeName('Django_REST-framework'), 'django-rest-framework');
    assert.equal(normalizeName('zope.interface'), 'zope-interface');
    assert.equal(normalizeName('a-_.b'), 'a-b');
  });
});

/** A random string near PEP 440's grammar: most are versions, in every spelling; some are not. */
function spelling(g: Gen): string {
  let s = g.pick(['', '', 'v', 'V', ' ']);
  if (g.chance(0.15)) s += `${g.int(3)}!`;
  const n = 1 + g.int(3);
  for (let i = 0; i < n; i++) s += (i > 0 ? '.' : '') + g.pick(['0', '1', '2', '10', '01', '007']);
  const sep = (): string => g.pick(['', '', '.', '-', '_']);
  if (g.chance(0.4)) s += sep() + g.pick(['a', 'b', 'rc', 'alpha', 'beta', 'c', 'pre', 'preview', 'A', 'RC']) + sep() + g.pick(['', '0', '1', '2', '11']);
  if (g.chance(0.3)) s += g.chance(0.3) ? `-${g.int(3)}` : sep() + g.pick(['post', 'rev', 'r', 'POST']) + sep() + g.pick(['', '1', '2']);
  if (g.chance(0.3)) s += sep() + g.pick(['dev', 'DEV']) + sep() + g.pick(['', '0', '1', '3']);
  if (g.chance(0.2)) s += `+${g.pick(['abc', '1', 'abc.2', 'ubuntu-1', 'A_1', '2.x', '01'])}${g.pick(['', '.1', '.a'])}`;
  if (g.chance(0.05)) s += g.pick(['.', '+', '-', 'x', '!', '..1']);
  return s;
}

describe('PEP 440 against python3-packaging', () => {
  it('agrees on validity, normal forms and order for thousands of random spellings', (t) => {
    const probe = spawnSync('python3', ['-c', 'import packaging.version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      throw new Error(`python3 with packaging is missing: install Debian's python3-packaging package (apt-get install -y --no-install-recommends python3-packaging, or scripts/install-tools.sh): ${probe.stderr || probe.error}`);
    }
    const seed = fuzzSeed();
    t.diagnostic(`seed ${seed} (BERTH_FUZZ_SEED=${seed} replays it)`);
    console.log(`PEP 440 fuzz seed: ${seed}`);
    const g = new Gen(rng(seed));
    const pairs: [string, string][] = [];
    while (pairs.length < 5000) {
      const a = spelling(g);
      pairs.push([a, g.chance(0.5) ? spelling(g) : a + g.pick(['.0', 'a1', '.dev0', '.post0', '+0', '0', 'rc'])]);
    }
    const script = [
      'import json, sys',
      'from packaging.version import Version, InvalidVersion',
      'def v(s):',
      '    try: return Version(s)',
      '    except InvalidVersion: return None',
      'out = []',
      'for a, b in json.load(sys.stdin):',
      '    va, vb = v(a), v(b)',
      '    c = None if va is None or vb is None else (va > vb) - (va < vb)',
      '    out.append([None if va is None else str(va), None if vb is None else str(vb), c])',
      'json.dump(out, sys.stdout)',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(pairs), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const oracle = JSON.parse(r.stdout) as [string | null, string | null, number | null][];
    const wrong: string[] = [];
    let compared = 0;
    pairs.forEach(([a, b], i) => {
      const [na, nb, c] = oracle[i]!;
      if ((normalize(a) ?? null) !== na) wrong.push(`normalize(${JSON.stringify(a)}): packaging says ${na}, we say ${normalize(a)}`);
      if ((normalize(b) ?? null) !== nb) wrong.push(`normalize(${JSON.stringify(b)}): packaging says ${nb}, we say ${normalize(b)}`);
      if (c !== null) {
        compared++;
        if (compare(a, b) !== c) wrong.push(`${a} vs ${b}: packaging says ${c}, we say ${compare(a, b)}`);
      }
    });
    t.diagnostic(`${pairs.length} pairs, ${compared} of them both valid`);
    assert.ok(compared > 2000, `only ${compared} valid pairs: the generator drifted`);
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} disagreements (seed ${seed})`);
  });
});
