// Vulnerability advisories as Berth stores and matches them, whatever feed they came from (OSV
// records, the Debian security tracker's JSON). Pure types.
import type { PackageType } from '../inventory/types.ts';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'unknown'];

/** A version interval of an affected package, in the ecosystem's own order. */
export interface AffectedRange {
  /** Affected from this version on ('0' or undefined: from the beginning). */
  readonly introduced?: string;
  /** Fixed in this version (not affected from it on). */
  readonly fixed?: string;
  /** Affected up to and including this version (OSV last_affected). */
  readonly lastAffected?: string;
  /** Only versions below this one can be affected (OSV limit events; rare outside GIT ranges). */
  readonly limit?: string;
}

/** One (advisory, package) pair: what matching needs, one row per affected package. */
export interface AffectedPackage {
  /** The advisory id: CVE-2024-1234, DSA-5678-1, GHSA-xxxx-xxxx-xxxx, ... */
  readonly advisory: string;
  /** Other ids of the same issue (OSV aliases). */
  readonly aliases: readonly string[];
  /**
   * The advisories this one is derived from (OSV upstream), e.g. the CVEs a DSA fixes. The
   * matcher folds a finding into the findings of its upstream ids when all of them are there.
   */
  readonly upstream?: readonly string[];
  readonly type: PackageType;
  /**
   * The package name as the ecosystem names it (for deb and apk: the *source* package). npm
   * names include their scope; PyPI names are normalised (PEP 503).
   */
  readonly name: string;
  /**
   * For OS packages, the release the entry is for, as "<os id>:<version>" (debian:12,
   * alpine:3.19); undefined for language ecosystems.
   */
  readonly release?: string;
  /** Affected ranges; an empty list with no `versions` means every version is affected. */
  readonly ranges: readonly AffectedRange[];
  /** Exact affected versions listed besides the ranges (OSV versions[]). */
  readonly versions: readonly string[];
  readonly severity: Severity;
  /** The CVSS base score, when the record gives one. */
  readonly cvss?: number;
  readonly summary?: string;
  /** Links: the advisory page, references. */
  readonly links: readonly string[];
}

/** A finding: an advisory that affects a package of an image. */
export interface Finding {
  readonly advisory: string;
  readonly aliases: readonly string[];
  readonly package: string;
  readonly type: PackageType;
  readonly installedVersion: string;
  /** The first fixed version after the installed one, when there is a fix. */
  readonly fixedVersion?: string;
  readonly severity: Severity;
  readonly cvss?: number;
  readonly summary?: string;
  readonly links: readonly string[];
  readonly purl: string;
  /** The source package and version that matched, when it is not the package itself (OS packages). */
  readonly source?: { readonly name: string; readonly version: string };
}
