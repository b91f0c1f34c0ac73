#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1
// Entry point for the `berth` command. It runs the compiled CLI (dist/cli/main.js) when dist/ is a
// build of the sources as they are now, and the TypeScript sources through tsx otherwise.
//
// Why both: plain node on dist/ starts several times faster than tsx, which transforms (or reads
// from its cache) every module at each start. But a fresh clone before its first build, or a
// checkout where someone edited src/ after building, must never run missing or stale code: then
// the sources are the truth and tsx runs them. The tests spawn this file, so they run whichever
// is current. bin/build-stamp.mjs decides, with one stat per source file (a few milliseconds);
// `npm start`, `npm test` and `npm ci` rebuild a stale dist/ (scripts/build-if-stale.mjs).
//
// --max-semi-space-size=1 (in the line above, in `npm start`, and wherever a test, the bench or a
// script starts `berth serve`): a young generation of 1 MiB instead of Node's 16 MiB is collected
// often enough that the Buffers of streamed blobs are freed while they are young. With the
// default, a 1 GiB push left the server 40-50 MiB larger, and a scan after it went past 200 MiB.
// It is a flag of node itself, so it cannot be set from here once node runs.
//
// MALLOC_ARENA_MAX=1 (same places): glibc gives each thread that allocates (libuv's pool runs
// zlib, fs and crypto work) an arena of its own, up to 8 per core, and memory freed in one is
// rarely returned to the system. The scan of a 1 GiB image just after its push (bench scan-1gib)
// peaked at 206-209 MiB with glibc's default, 187-207 with two arenas and 175-185 with one, and
// push and pull rates moved less than the bench's run-to-run noise. glibc reads it when the
// process starts, so it too must be set before node runs.
//
// Every command but `serve` runs from dist/cli/bundle/main.js when the build made it: one file of
// the CLI and its pure-JS packages starts in about half the time of the ~550 modules it is made
// of (scripts/build-if-stale.mjs says why). `serve` runs the compiled tree as it is: the server is
// then exactly what tsc emitted, and no module is loaded twice (once bundled, once not).
//
// BERTH_CLI_DEBUG=1 says on stderr which one runs, and why (used by test/integration/cli-startup.test.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildState } from './build-stamp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const state = buildState(root, 'server');
const debug = process.env.BERTH_CLI_DEBUG === '1';

const bundle = join(root, 'dist', 'cli', 'bundle', 'main.js');

if (state.fresh && process.argv[2] !== 'serve' && existsSync(bundle)) {
  if (debug) process.stderr.write('berth: cli: running dist/cli/bundle/main.js (the build is up to date)\n');
  await import(pathToFileURL(bundle).href);
} else if (state.fresh) {
  if (debug) process.stderr.write('berth: cli: running dist/cli/main.js (the build is up to date)\n');
  await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
} else {
  if (debug) process.stderr.write(`berth: cli: running src/cli/main.ts through tsx (${state.reason})\n`);
  // Loaded only here: importing tsx costs time the compiled path does not need to spend.
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
