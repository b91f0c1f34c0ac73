// How `berth` starts (issue 16, section 3): bin/berth.mjs runs the compiled CLI (dist/cli/main.js)
// when dist/ is a build of the sources as they are now, and the sources through tsx otherwise, and
// scripts/build-if-stale.mjs builds only when the sources changed.
//
// Everything happens in a temporary copy of the package (src/, bin/, the build script, the
// tsconfigs and package files, node_modules linked), built there: this checkout's src/ and dist/
// are never touched, whatever the test does to its copy's sources.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIST = /^berth: cli: running dist\/cli\/(bundle\/)?main\.js/m;
const BUNDLE = /^berth: cli: running dist\/cli\/bundle\/main\.js/m;
const COMPILED_TREE = /^berth: cli: running dist\/cli\/main\.js/m;
const TSX = /^berth: cli: running src\/cli\/main\.ts through tsx \((.*)\)$/m;

interface Run { code: number | null; stdout: string; stderr: string; ms: number }

describe('berth startup: compiled when the build is current, tsx when it is not', () => {
  let pkg: string;
  let data: string;

  /** The copy's bin/berth.mjs, with BERTH_CLI_DEBUG=1 (it then says on stderr which code it runs). */
  function berth(args: string[], stdin = ''): Run {
    const started = performance.now();
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'berth.mjs'), ...args], {
      input: stdin, encoding: 'utf8', timeout: 120_000, env: { ...process.env, BERTH_CLI_DEBUG: '1', BERTH_PASSWORD: '' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
  }

  function ok(r: Run): Run {
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  function build(): string {
    const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'build-if-stale.mjs'), 'server'], { cwd: pkg, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, `build-if-stale failed (exit ${r.status ?? r.signal})\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Why the copy's berth falls back to tsx now (and that it does). runs: the sources must also work. */
  function fallbackReason(runs = true): string {
    const r = berth(['--version']);
    if (runs) ok(r);
    const m = TSX.exec(r.stderr);
    assert.ok(m, `expected the tsx fallback, got:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, DIST);
    return m[1]!;
  }

  function runsDist(): Run {
    const r = ok(berth(['--version']));
    assert.match(r.stderr, DIST);
    assert.doesNotMatch(r.stderr, TSX);
    assert.equal(r.stdout.trim(), '0.1.0');
    return r;
  }

  before(() => {
    pkg = mkdtempSync(join(tmpdir(), 'berth-startup-'));
    data = join(pkg, 'data');
    for (const p of ['src', 'bin', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) {
      cpSync(join(ROOT, p), join(pkg, p), { recursive: true });
    }
    mkdirSync(join(pkg, 'scripts'));
    cpSync(join(ROOT, 'scripts', 'build-if-stale.mjs'), join(pkg, 'scripts', 'build-if-stale.mjs'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  });

  after(() => {
    if (pkg) rmSync(pkg, { recursive: true, force: true });
  });

  it('runs the sources through tsx before the first build, and the command works', () => {
    assert.match(fallbackReason(), /dist\/cli\/main\.js is missing/);
    const r = ok(berth(['user', 'add', 'alice', '--password-stdin', '--data', data], 'startup-test-password\n'));
    assert.match(r.stdout, /Created user alice/);
  });

  it('after build-if-stale runs the bundle of the compiled CLI, which really is the code that runs, and a second build does nothing', (t) => {
    assert.match(build(), /building server/);
    runsDist();
    // The output is not fingerprinted, so a line added to it shows that this is the code that ran.
    const bundle = join(pkg, 'dist', 'cli', 'bundle', 'main.js');
    const bundled = readFileSync(bundle, 'utf8');
    assert.match(bundled, /Created user/, 'the bundle holds the user commands');
    appendFileSync(bundle, '\nprocess.stderr.write("startup-test: bundled main.js ran\\n");\n');
    const users = ok(berth(['user', 'list', '--data', data]));
    assert.match(users.stderr, /startup-test: bundled main\.js ran/);
    assert.match(users.stderr, BUNDLE);
    assert.match(users.stdout, /^alice\s+no\s+no/m);
    writeFileSync(bundle, bundled);

    // `serve` runs the compiled tree, never the bundle: the server is what tsc emitted, loaded once.
    const main = join(pkg, 'dist', 'cli', 'main.js');
    const compiled = readFileSync(main, 'utf8');
    // First in the file: --help exits before anything after the parse would run.
    writeFileSync(main, `process.stderr.write("startup-test: compiled main.js ran\\n");\n${compiled}`);
    const serveHelp = ok(berth(['serve', '--help']));
    assert.match(serveHelp.stderr, COMPILED_TREE);
    assert.match(serveHelp.stderr, /startup-test: compiled main\.js ran/);
    assert.match(serveHelp.stdout, /--tls-cert/);
    writeFileSync(main, compiled);

    // Without the bundle (esbuild not installed), every command runs the compiled tree.
    renameSync(join(pkg, 'dist', 'cli', 'bundle'), join(pkg, 'dist', 'cli', 'bundle-aside'));
    assert.match(ok(berth(['user', 'list', '--data', data])).stderr, COMPILED_TREE);
    renameSync(join(pkg, 'dist', 'cli', 'bundle-aside'), join(pkg, 'dist', 'cli', 'bundle'));

    const again = build();
    assert.match(again, /server build is up to date/);
    assert.doesNotMatch(again, /building/);
    runsDist();

    // The real numbers, for the record (a loaded 2-core machine is too noisy for a tight bound).
    const best = Math.min(...[0, 1, 2].map(() => ok(berth(['user', 'list', '--data', data])).ms));
    t.diagnostic(`berth user list --data DIR from the bundle: best of 3 ${best.toFixed(0)} ms`);
    assert.ok(best < 5000, `user list took ${best.toFixed(0)} ms at best`);
  });

  it('the freshness check is a stat walk that costs a few milliseconds', (t) => {
    const script = `const t = performance.now(); const { buildState } = await import(${JSON.stringify(`${join(pkg, 'bin', 'build-stamp.mjs')}`)}); ` +
      `const s = buildState(${JSON.stringify(pkg)}, 'server'); console.log(JSON.stringify({ fresh: s.fresh, ms: performance.now() - t }));`;
    const times = [0, 1, 2].map(() => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { fresh: boolean; ms: number };
      assert.equal(out.fresh, true);
      return out.ms;
    });
    const best = Math.min(...times);
    t.diagnostic(`staleness check (import and walk of ~320 inputs): best of 3 ${best.toFixed(1)} ms`);
    // A sanity bound only, two orders of magnitude above the measured cost: it catches a check that
    // reads or hashes the sources, or runs a compiler, not a slow machine.
    assert.ok(best < 500, `the freshness check took ${best.toFixed(0)} ms at best`);
  });

  it('an edited source falls back to tsx, which runs the edit, until a rebuild compiles it', () => {
    const file = join(pkg, 'src', 'cli', 'main.ts');
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, `process.stderr.write('startup-test: edited source ran\\n');\n${source}`);
    assert.equal(fallbackReason(), 'src/cli/main.ts changed since the build');
    assert.match(ok(berth(['--version'])).stderr, /startup-test: edited source ran/);

    assert.match(build(), /building server \(src\/cli\/main\.ts changed since the build\)/);
    const r = runsDist();
    assert.match(r.stderr, /startup-test: edited source ran/);
  });

  it('an older file put in place, an added file and a removed one each make the build stale', () => {
    runsDist();
    const file = join(pkg, 'src', 'core', 'errors.ts');
    const aside = join(pkg, 'errors.ts.aside');
    // A rename keeps the file as it was (mtime to the nanosecond), so moving it back restores the build's view.
    renameSync(file, aside);

    // As cp -p or tar x would leave another version: the same size, other bytes, an mtime an hour older.
    const text = readFileSync(aside, 'utf8');
    writeFileSync(file, text.replace('Error', 'ERROR'));
    assert.equal(statSync(file).size, statSync(aside).size);
    const old = new Date(statSync(aside).mtimeMs - 3_600_000);
    utimesSync(file, old, old);
    assert.equal(fallbackReason(), 'src/core/errors.ts changed since the build');
    renameSync(aside, file);
    runsDist();

    const added = join(pkg, 'src', 'core', 'startup-test-added.ts');
    writeFileSync(added, 'export const added = 1;\n');
    assert.equal(fallbackReason(), 'src/core/startup-test-added.ts is new since the build');
    rmSync(added);
    runsDist();

    // (tsx then fails to import it, as it should: the sources are the truth.)
    renameSync(file, aside);
    assert.equal(fallbackReason(false), 'src/core/errors.ts was removed since the build');
    renameSync(aside, file);
    runsDist();

    rmSync(join(pkg, 'dist', '.stamp-server.json'));
    assert.match(fallbackReason(), /\.stamp-server\.json is missing/);
  });
});
