// Is dist/ a build of the sources as they are now? Shared by bin/berth.mjs (which runs dist/
// only when it is) and scripts/build-if-stale.mjs (which rebuilds when it is not).
//
// A build writes a stamp next to its output: the path, size and mtime of every input file as they
// were just before the build started. The build is fresh when a walk of the inputs now finds exactly
// the same list. Comparing the whole list, not just "is anything newer than the build", also
// catches a deleted or added file and a file replaced by one with an older mtime (cp -p, tar x,
// rsync -t), so a developer who edits src/ never runs stale code. It costs one stat per input
// (about 350 files, a few milliseconds: see the startup test) and no reads of the sources, so it
// fits in the CLI's startup budget where hashing them or asking tsc would not.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** What each build reads, what it writes, and where its stamp lives (paths relative to the package root). */
export const TARGETS = {
  // tsc: package.json ("type") and the tsconfigs decide the output as much as src/ does.
  server: {
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'],
    output: 'dist/cli/main.js',
    stamp: 'dist/.stamp-server.json',
  },
  // vite: web/ holds the UI, its config and its tsconfig; the lock file pins React and Vite, which
  // end up in the bundle.
  web: {
    inputs: ['web', 'package.json', 'package-lock.json'],
    output: 'dist/web/index.html',
    stamp: 'dist/.stamp-web.json',
  },
};

/** path (relative, with /) -> "size:mtimeMs" of every file under the inputs; node_modules is skipped. */
export function inputManifest(root, inputs) {
  const files = {};
  const visit = (abs) => {
    let st;
    try {
      st = statSync(abs);
    } catch {
      return; // an optional input that does not exist (e.g. no package-lock.json)
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) {
        if (name !== 'node_modules') visit(join(abs, name));
      }
    } else {
      files[relative(root, abs).split(sep).join('/')] = `${st.size}:${st.mtimeMs}`;
    }
  };
  for (const input of inputs) visit(join(root, input));
  return files;
}

/**
 * { fresh: true } when the target's output exists and its stamp lists exactly the inputs found now;
 * otherwise { fresh: false, reason } naming what differs (for BERTH_CLI_DEBUG and the build log).
 */
export function buildState(root, name) {
  const target = TARGETS[name];
  if (!existsSync(join(root, target.output))) return { fresh: false, reason: `${target.output} is missing (not built yet)` };
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, target.stamp), 'utf8'));
  } catch {
    return { fresh: false, reason: `${target.stamp} is missing or unreadable (not built by scripts/build-if-stale.mjs)` };
  }
  const built = stamp?.inputs ?? {};
  const now = inputManifest(root, target.inputs);
  for (const [path, sig] of Object.entries(now)) {
    if (built[path] === undefined) return { fresh: false, reason: `${path} is new since the build` };
    if (built[path] !== sig) return { fresh: false, reason: `${path} changed since the build` };
  }
  for (const path of Object.keys(built)) {
    if (now[path] === undefined) return { fresh: false, reason: `${path} was removed since the build` };
  }
  return { fresh: true };
}
