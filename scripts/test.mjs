#!/usr/bin/env node
// `npm test`: the one command that runs everything (DESIGN.md, Tests):
// typecheck (the server and web/), lint, then unit, contract, integration, e2e and ui suites with
// Node's built-in runner. The ui suite drives Debian's chromium against `vite build`'s output.
// `npm test -- unit` (or contract, integration, e2e, ui) runs one suite without the checks.
// The integration and e2e suites each end with a step through haproxy (issue 14,
// docs/scale-out.md): the distribution-API files with IT_TARGET=cluster and the real-client files
// with E2E_TARGET=cluster, where every server a test starts is a cluster of its own
// (scripts/cluster-up.sh: PostgreSQL, Ceph radosgw, 3 instances, haproxy). `npm test -- cluster`
// runs just those two steps.
// dist/ is rebuilt first when the sources are newer (scripts/build-if-stale.mjs), so the suites'
// `berth` processes (bin/berth.mjs) run the compiled CLI instead of starting tsx each time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const suites = ['unit', 'contract', 'integration', 'e2e', 'ui'];
const only = process.argv.slice(2).filter((a) => suites.includes(a) || a === 'cluster');
const selected = only.length ? only : suites;

// The files run once more through a cluster. The integration files are those that drive /v2 through
// test/integration/helpers.ts's startServer() (the others start their own `berth serve` with a
// configuration of their own, or test one process: restarts, kills, its disk, its logs).
const CLUSTER_RUNS = {
  integration: {
    env: { IT_TARGET: 'cluster' },
    concurrency: '2',
    files: ['base', 'bad-input', 'blob-get', 'blob-upload', 'manifest', 'names', 'referrers', 'tags-catalog'].map((f) => join('test', 'integration', `${f}.test.ts`)),
  },
  e2e: {
    env: { E2E_TARGET: 'cluster' },
    concurrency: '1',
    files: ['skopeo', 'podman', 'buildah', 'docker-cli'].map((f) => join('test', 'e2e', `${f}.test.ts`)),
  },
};

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

// The clusters' DIRs go under one root of this run; whatever a test process did not stop (it was
// killed, or its after hook never ran) is stopped here at the end, pass or fail.
let clusterRoot;
function clusterStep(suite) {
  const { env, concurrency, files } = CLUSTER_RUNS[suite];
  if (!clusterRoot) {
    clusterRoot = mkdtempSync(join(tmpdir(), 'berth-test-clusters-'));
    process.on('exit', sweepClusters);
  }
  const started = Date.now();
  run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { ...env, BERTH_CLUSTER_ROOT: clusterRoot });
  console.log(`\n${suite} through haproxy (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}): ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
function sweepClusters() {
  let left = [];
  try { left = readdirSync(clusterRoot).filter((e) => e.startsWith('berth-cluster-')); } catch { /* gone */ }
  for (const e of left) {
    console.error(`stopping a cluster a test left running: ${join(clusterRoot, e)}`);
    spawnSync('bash', ['scripts/cluster-down.sh', join(clusterRoot, e)], { stdio: 'inherit', env: { ...process.env, CLUSTER_WIPE: '1' }, timeout: 120_000 });
  }
  rmSync(clusterRoot, { recursive: true, force: true });
}

for (const suite of selected) {
  if (suite === 'cluster') {
    clusterStep('integration');
    clusterStep('e2e');
    continue;
  }
  const files = testFiles(join('test', suite));
  if (!files.length) continue;
  // e2e and ui suites start servers and real clients: one file at a time keeps them honest on 2 cores.
  const concurrency = suite === 'e2e' || suite === 'ui' ? '1' : '2';
  run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]);
  if (CLUSTER_RUNS[suite]) clusterStep(suite);
}
