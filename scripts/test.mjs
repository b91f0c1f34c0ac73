#!/usr/bin/env node
// `npm test`: the one command that runs everything (DESIGN.md, Tests):
// typecheck (the server and web/), lint, then unit, contract, integration, e2e and ui suites with
// Node's built-in runner. The ui suite drives Debian's chromium against `vite build`'s output.
// `npm test -- unit` (or contract, integration, e2e, ui) runs one suite without the checks.
// dist/ is rebuilt first when the sources are newer (scripts/build-if-stale.mjs), so the suites'
// `berth` processes (bin/berth.mjs) run the compiled CLI instead of starting tsx each time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const suites = ['unit', 'contract', 'integration', 'e2e', 'ui'];
const only = process.argv.slice(2).filter((a) => suites.includes(a));
const selected = only.length ? only : suites;

function run(cmd, args, env = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args[0] ?? ''} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function testFiles(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(testFiles(p));
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// The web UI is built only for the suite that loads it (ui); berth serve says how to build it otherwise.
run(process.execPath, ['scripts/build-if-stale.mjs', 'server', ...(selected.includes('ui') ? ['web'] : [])]);

if (!only.length) {
  run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
  run('npx', ['tsc', '--noEmit', '-p', 'web/tsconfig.json']);
  run('npx', ['eslint', '.']);
}

// The S3 driver's tests need a real S3 server (Ceph radosgw). .ci/run starts one; when none
// answers (a developer's first `npm test`), start it here, RAM-backed, and stop it at the end.
const s3Env = process.env.BERTH_TEST_S3_ENV ?? '/tmp/berth-s3/env';
process.env.BERTH_TEST_S3_ENV = s3Env;
if (selected.some((s) => s === 'contract' || s === 'integration') && !s3Answers(s3Env)) {
  const data = dirname(s3Env);
  run('bash', ['scripts/s3-start.sh'], { S3_DATA: data, S3_OBJECTSTORE: 'memstore' });
  process.on('exit', () => spawnSync('bash', ['scripts/s3-stop.sh'], { stdio: 'inherit', env: { ...process.env, S3_DATA: data } }));
}

function s3Answers(envFile) {
  if (!existsSync(envFile)) return false;
  const endpoint = /^S3_ENDPOINT=(.*)$/m.exec(readFileSync(envFile, 'utf8'))?.[1];
  return Boolean(endpoint) && spawnSync('curl', ['-s', '-o', '/dev/null', '-m', '2', endpoint]).status === 0;
}

for (const suite of selected) {
  const files = testFiles(join('test', suite));
  if (!files.length) continue;
  // e2e and ui suites start servers and real clients: one file at a time keeps them honest on 2 cores.
  const concurrency = suite === 'e2e' || suite === 'ui' ? '1' : '2';
  run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]);
}
