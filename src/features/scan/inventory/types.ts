// What is inside an image: the packages an inventory finds, and the per-layer index it is built
// from (features/scan, hardening of DESIGN.md's "index once per layer, re-match when advisories
// change"). Pure types, shared by the parsers, the layer reader and the scan feature.

/** Package ecosystems Berth inventories; also the purl type (pkg:<type>/...). */
export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang' | 'maven';

export interface Package {
  readonly name: string;
  readonly version: string;
  readonly type: PackageType;
  /** The Package URL (purl spec), with the distro qualifier for OS packages. */
  readonly purl: string;
  /**
   * OS packages: the source package and its version, which Debian and Alpine advisories name
   * (dpkg Source:, apk origin, rpm SOURCERPM). Absent when the source is the package itself.
   */
  readonly source?: { readonly name: string; readonly version: string };
  readonly arch?: string;
  /** Licenses, when the package database says (SBOMs show them). */
  readonly licenses?: readonly string[];
  /** The file it was found in, e.g. var/lib/dpkg/status (no leading slash). */
  readonly location: string;
  /**
   * Packages listed by a lock file (npm): the folder the lock says the package is installed in,
   * e.g. app/node_modules/lodash, so the installed copy found there is not listed twice.
   */
  readonly installedAt?: string;
}

/** etc/os-release (or usr/lib/os-release): which distribution and release the image is. */
export interface OsRelease {
  /** ID, e.g. debian, alpine, rhel, ubuntu. */
  readonly id: string;
  /** VERSION_ID, e.g. 12, 3.19.1, 9.4. */
  readonly versionId: string;
  readonly codename?: string;
  readonly prettyName?: string;
}

/** The kinds of files that hold package facts. */
export type FileKind =
  | 'os-release'
  | 'dpkg-status'
  | 'dpkg-status-d'
  | 'apk-installed'
  | 'rpmdb-sqlite'
  | 'npm-lock'
  | 'npm-package'
  | 'python-metadata'
  | 'go-binary'
  | 'jar';

/** A package as a file states it, before the image's distribution is known (no purl yet). */
export type RawPackage = Omit<Package, 'purl'>;

/** What one file of a layer says. */
export interface FileFinding {
  readonly kind: FileKind;
  readonly packages: readonly RawPackage[];
  /** For os-release. */
  readonly os?: OsRelease;
  /**
   * Set when the file could not be read for packages: a format Berth does not read (BerkeleyDB
   * rpmdb, pre-1.18 Go build info), a file over its size limit, or a malformed one. `packages`
   * is then empty; the file still hides what lower layers had at its path.
   */
  readonly unread?: string;
}

/**
 * One layer's facts, computed once per layer digest and shared by every image that has the
 * layer: the interesting files it adds or replaces, and what it deletes from the layers below
 * (OCI whiteouts). Paths are relative, '/'-separated, without a leading slash or "./".
 */
export interface LayerIndex {
  /** Files of interest this layer holds, by path. */
  readonly files: Readonly<Record<string, FileFinding>>;
  /** Paths this layer deletes (".wh.<name>" entries), files or whole folders. */
  readonly whiteouts: readonly string[];
  /** Folders this layer makes opaque (".wh..wh..opq"): everything below them from lower layers goes. */
  readonly opaqueDirs: readonly string[];
  /** Bytes of the uncompressed tar read (for reports and the benchmark). */
  readonly bytesRead: number;
  /**
   * Paths this layer writes with nothing to report (a symlink over a package database, a program
   * that is not a Go binary): they hide findings of lower layers at the same path.
   */
  readonly masked?: readonly string[];
}

/** An image's inventory: its layers folded in order. */
export interface Inventory {
  readonly os?: OsRelease;
  readonly packages: readonly Package[];
  /** Files that hold packages Berth did not read, and why (FileFinding.unread), so a report can say so. */
  readonly unread?: readonly { readonly location: string; readonly kind: FileKind; readonly reason: string }[];
}
