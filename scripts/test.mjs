#!/usr/bin/env node
// `npm test`: the one command that runs everything (DESIGN.md, Tests):
// typecheck (the server and web/), lint, then unit, contract, integration, e2e and ui suites with
// Node's built-in runner. The ui suite drives Debian's chromium against `vite build`'s output.
// `npm test -- unit` (or contract, integration, e2e, ui) runs one suite without the checks.
// dist/ is rebuilt first when the sources are newer (scripts/build-if-stale.mjs), so the suites'
// `berth` processes (bin/berth.mjs) run the compiled CLI instead of starting tsx each time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

for (const suite of selected) {
  const files = testFiles(join('test', suite));
  if (!files.length) continue;
  // e2e and ui suites start servers and real clients: one file at a time keeps them honest on 2 cores.
  const concurrency = suite === 'e2e' || suite === 'ui' ? '1' : '2';
  run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]);
}
