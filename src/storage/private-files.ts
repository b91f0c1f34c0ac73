// The data directory holds secrets (the token signing key in the DB, private projects' blobs), so
// it is owner-only whatever the umask: folders 0700, files 0600. Modes passed at creation can
// only lose bits to the umask, never gain them; what an older version created looser is
// tightened at start.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) as 0700, and tightens it when it exists with more. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `file` empty as 0600 if it is missing, and tightens it (and `companions` that exist,
 * such as SQLite's -wal and -shm files) when they allow more.
 */
export function ensurePrivateFile(file: string, companions: readonly string[] = []): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  tighten(file, PRIVATE_FILE_MODE);
  for (const c of companions) if (existsSync(c)) tighten(c, PRIVATE_FILE_MODE);
}

function tighten(path: string, mode: number): void {
  if ((statSync(path).mode & 0o777 & ~mode) !== 0) chmodSync(path, mode);
}
