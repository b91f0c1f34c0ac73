#!/usr/bin/env node
// Builds dist/ only when the sources changed since the last build (bin/build-stamp.mjs says how
// that is decided), so `npm start` and `npm test` after the first build start at once.
//
//   node scripts/build-if-stale.mjs [server] [web]   the named builds (default both), when stale
//     --force        build even when fresh (npm run build, npm run build:web)
//     --if-possible  skip, with a note, a build whose tool is not installed (npm ci --omit=dev:
//                    bin/berth.mjs then runs the sources through tsx, which is a dependency)
//     --quiet        say nothing when everything is fresh
//
// server: tsc -p tsconfig.build.json --noCheck into dist/ (the type check is `npm run typecheck`,
//         which npm test runs; emitting without it takes a third of the time).
//         Then esbuild bundles the CLI (dist/cli/main.js and what it imports, kysely, zod and the
//         other pure-JS packages included) into dist/cli/bundle/: Node 20's ESM loader spends
//         about 0.7 ms per module, and `berth user list` loads ~550 of them (260 are kysely's),
//         so the unbundled CLI needs 450-600 ms where the bundle needs 230-290 ms. `serve`, the
//         native packages and the big lazily-loaded ones (fastify, the AWS SDK, sigstore) stay
//         outside it: bin/berth.mjs runs `serve` from dist/ as compiled, so the server is exactly
//         the tsc output and never a second copy of the modules the bundle holds.
// web:    vite build of web/ into dist/web.
// The inputs are fingerprinted before the build starts, so a file saved during a build makes the
// result stale rather than wrongly fresh. The old stamp is removed first, so bin/berth.mjs never
// takes a half-written dist/ for a fresh one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildState, inputManifest, TARGETS } from '../bin/build-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const unknown = [...flags].filter((f) => !['--force', '--if-possible', '--quiet'].includes(f));
const named = args.filter((a) => !a.startsWith('--'));
const bad = named.filter((n) => !(n in TARGETS));
if (unknown.length || bad.length) {
  console.error(`build-if-stale: unknown ${[...unknown, ...bad].join(', ')}\nusage: node scripts/build-if-stale.mjs [server] [web] [--force] [--if-possible] [--quiet]`);
  process.exit(2);
}
const selected = named.length ? named : Object.keys(TARGETS);
const require = createRequire(join(root, 'package.json'));

/** The command line of each build: node running the tool's own entry (npx costs a second and may go to the network). */
const TOOLS = {
  server: { pkg: 'typescript', bin: 'bin/tsc', args: ['-p', 'tsconfig.build.json', '--noCheck'] },
  web: { pkg: 'vite', bin: 'bin/vite.js', args: ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'] },
};

function toolPath(name) {
  const { pkg, bin } = TOOLS[name];
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), bin);
  } catch {
    return undefined;
  }
}

/** tsc never deletes outputs: clear the compiled tree (not dist/web, not the stamps) so a removed source leaves no module behind. */
function clearServerOutput() {
  let entries = [];
  try {
    entries = readdirSync(join(root, 'dist'), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory() && e.name !== 'web') rmSync(join(root, 'dist', e.name), { recursive: true, force: true });
  }
}

/** Packages the CLI bundle leaves to node_modules: native ones, and big ones only some commands load. */
const CLI_EXTERNAL = ['better-sqlite3', 'pg', 'pg-*', '@aws-sdk/*', 'fastify', '@fastify/*', 'tsx', 'hash-wasm', 'openpgp', '@sigstore/*', 'prom-client', '@cyclonedx/*'];

/** esbuild, when installed (it is a devDependency, like typescript); false when the bundle could not be made. */
async function bundleCli() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    console.log('build-if-stale: esbuild is not installed, so the CLI is not bundled (bin/berth.mjs runs dist/cli/main.js)');
    return true;
  }
  const outdir = join(root, 'dist', 'cli', 'bundle');
  try {
    await esbuild.build({
      entryPoints: { main: join(root, 'dist', 'cli', 'main.js') },
      bundle: true,
      // Dynamic imports become chunks loaded on demand, so a package only one command needs (and
      // the externals it imports) costs the others nothing.
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir,
      external: CLI_EXTERNAL,
      // The bundle never holds the server: `serve` is the compiled dist/cli/serve.js, one level up.
      plugins: [{ name: 'serve-outside', setup: (b) => b.onResolve({ filter: /^\.\/serve\.js$/ }, () => ({ path: '../serve.js', external: true })) }],
      // Bundled CommonJS packages (commander, yaml) call require for node's built-ins.
      banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    return true;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return false;
  }
}

for (const name of selected) {
  const target = TARGETS[name];
  const state = buildState(root, name);
  if (state.fresh && !flags.has('--force')) {
    if (!flags.has('--quiet')) console.log(`build-if-stale: ${name} build is up to date`);
    continue;
  }
  const tool = toolPath(name);
  if (!tool) {
    const msg = `build-if-stale: ${TOOLS[name].pkg} is not installed, so the ${name} build cannot run`;
    if (flags.has('--if-possible')) {
      console.log(`${msg}; skipped${name === 'server' ? ' (bin/berth.mjs runs the sources through tsx)' : ''}`);
      continue;
    }
    console.error(`${msg} (run npm ci)`);
    process.exit(1);
  }
  console.log(`build-if-stale: building ${name} (${flags.has('--force') && state.fresh ? 'forced' : state.reason})`);
  const inputs = inputManifest(root, target.inputs);
  rmSync(join(root, target.stamp), { force: true });
  if (name === 'server') clearServerOutput();
  const started = Date.now();
  const r = spawnSync(process.execPath, [tool, ...TOOLS[name].args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-if-stale: the ${name} build failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
  if (name === 'server' && !(await bundleCli())) {
    console.error('build-if-stale: bundling the CLI failed');
    process.exit(1);
  }
  // Written atomically: a reader sees the old stamp (removed above), none, or this one.
  mkdirSync(join(root, 'dist'), { recursive: true });
  const tmp = join(root, `${target.stamp}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify({ builtAt: new Date().toISOString(), inputs }, null, 1)}\n`);
  renameSync(tmp, join(root, target.stamp));
  console.log(`build-if-stale: ${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
