// Which files of a layer matter, and how much of each may be read (pure). Everything not
// selected is skipped as it streams past. Paths are normalised tar paths (no leading slash).
import type { FileKind } from './types.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** How much of each kind of file is buffered at most; larger ones are recorded as too large. */
export const READ_LIMITS = {
  'os-release': 64 * KiB,
  'dpkg-status': 64 * MiB,
  'dpkg-status-d': 4 * MiB,
  'apk-installed': 64 * MiB,
  // A Fedora or UBI rpmdb.sqlite is 5 to 40 MiB; the limit leaves room for big images.
  'rpmdb-sqlite': 128 * MiB,
  // Lock files of large monorepos reach tens of MiB.
  'npm-lock': 64 * MiB,
  'npm-package': 1 * MiB,
  'python-metadata': 4 * MiB,
  // Jars are read whole (their index is at the end); fat jars beyond this are reported unread.
  jar: 64 * MiB,
} as const satisfies Partial<Record<FileKind, number>>;

export type ReadKind = keyof typeof READ_LIMITS;

export type Selection =
  /** Buffer the whole file (at most `max` bytes) and parse it. */
  | { readonly action: 'read'; readonly kind: ReadKind; readonly max: number }
  /** Let the bytes stream past a scanner (Go build info) without keeping them. */
  | { readonly action: 'stream-scan'; readonly kind: 'go-binary' }
  /** A format Berth knows and does not read: recorded, so a report can say what it missed. */
  | { readonly action: 'unsupported'; readonly kind: FileKind; readonly reason: string };

export interface SelectableEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  readonly mode: number;
  readonly size: number;
}

const read = (kind: ReadKind): Selection => ({ action: 'read', kind, max: READ_LIMITS[kind] });

// A package's own package.json: the folder right under node_modules (or node_modules/@scope).
const NODE_PACKAGE_JSON = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/;
const BIN_DIR = /(?:^|\/)s?bin\/[^/]+$/;

/**
 * BerkeleyDB (var/lib/rpm/Packages, RHEL/CentOS 7 and 8) and NDB (Packages.db, SUSE) rpm
 * databases are not read: only the SQLite rpmdb of rpm >= 4.16 is.
 */
const RPM_BDB_REASON = 'BerkeleyDB and NDB rpm databases are not supported (only rpmdb.sqlite is): packages not inventoried';

/** What to do with a regular file; undefined: skip it. */
export function selectFile(entry: SelectableEntry): Selection | undefined {
  if (entry.type !== 'file') return undefined;
  const p = entry.path;
  switch (p) {
    case 'etc/os-release':
    case 'usr/lib/os-release':
      return read('os-release');
    case 'var/lib/dpkg/status':
      return read('dpkg-status');
    case 'lib/apk/db/installed':
      return read('apk-installed');
    case 'var/lib/rpm/rpmdb.sqlite':
    case 'usr/lib/sysimage/rpm/rpmdb.sqlite':
      return read('rpmdb-sqlite');
    case 'var/lib/rpm/Packages':
    case 'var/lib/rpm/Packages.db':
    case 'usr/lib/sysimage/rpm/Packages':
    case 'usr/lib/sysimage/rpm/Packages.db':
      return entry.size > 0 ? { action: 'unsupported', kind: 'rpmdb-sqlite', reason: RPM_BDB_REASON } : undefined;
  }
  if (p.startsWith('var/lib/dpkg/status.d/')) {
    const name = p.slice('var/lib/dpkg/status.d/'.length);
    // One file per package (distroless); its .md5sums sibling lists file hashes, not packages.
    if (name && !name.includes('/') && !name.endsWith('.md5sums') && !name.startsWith('.')) return read('dpkg-status-d');
    return undefined;
  }
  const slash = p.lastIndexOf('/');
  const base = p.slice(slash + 1);
  if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') {
    // Lock files inside node_modules belong to dependencies' sources, not to what is installed.
    return p.includes('node_modules/') ? undefined : read('npm-lock');
  }
  if (base === 'package.json') return NODE_PACKAGE_JSON.test(p) ? read('npm-package') : undefined;
  if (base === 'METADATA' && p.endsWith('.dist-info/METADATA')) return read('python-metadata');
  if (base === 'PKG-INFO' && (p.endsWith('.egg-info/PKG-INFO') || p.endsWith('.egg/EGG-INFO/PKG-INFO'))) return read('python-metadata');
  // distutils (and Debian's python3 packages) install a single-file egg-info.
  if (base.endsWith('.egg-info')) return read('python-metadata');
  if (/\.(?:jar|war|ear)$/i.test(base)) return read('jar');
  // Go binaries are recognised by content, so every executable is a candidate. Tiny files
  // cannot hold an ELF image with build info; skip them without looking.
  if (entry.size >= 1024 && ((entry.mode & 0o111) !== 0 || BIN_DIR.test(p))) return { action: 'stream-scan', kind: 'go-binary' };
  return undefined;
}

/**
 * Whether a lower layer could have a finding at this path (a package database by name, or a
 * program in a bin folder): a symlink or device written here by an upper layer hides it.
 */
export function couldHoldFinding(path: string): boolean {
  return BIN_DIR.test(path) || selectFile({ path, type: 'file', mode: 0, size: 1 }) !== undefined;
}
