// Go module versions, as the Go module reference and golang.org/x/mod/semver define them:
// semantic versions with a leading "v" (v1.2.3, v1.2.3-pre, shorthands v1 and v1.2 for v1.0.0
// and v1.2.0), pseudo-versions (v0.0.0-20191109021931-daa7c04131f5 and the two forms based on a
// tag, which are ordinary pre-releases and sort as such) and "+incompatible" (build metadata,
// ignored by the order). OSV's Go records write versions without the "v", and Go binaries
// report the toolchain as "go1.21.3" or "go1.21rc2": all of these are accepted and mapped onto
// the same order.
import { type Ordering, type VersionComparator, InvalidVersionError } from './types.ts';
import { type SemVer, compareParsed, parse as parseSemver } from './semver.ts';

/**
 * The version in Go's canonical form (vMAJOR.MINOR.PATCH[-pre][+incompatible]), or undefined when
 * it is not a Go version. Other build metadata is dropped, as semver.Canonical does; the
 * "+incompatible" that module versions carry is kept.
 */
export function canonical(v: string): string | undefined {
  const p = parse(v);
  if (!p) return undefined;
  let s = `v${p.major}.${p.minor}.${p.patch}`;
  if (p.prerelease.length > 0) s += `-${p.prerelease.join('.')}`;
  if (p.build.length === 1 && p.build[0] === 'incompatible') s += '+incompatible';
  return s;
}

/** Go toolchain names: go1.21.3, go1.21 (1.21.0), go1.21rc2 (1.21.0-rc.2), go1.9beta1. */
const TOOLCHAIN = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?$/;
/** Shorthands that x/mod/semver accepts: v1, v1.2 (no pre-release or build allowed). */
const SHORT = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$/;

export function parse(v: string): SemVer | undefined {
  // Go allows no surrounding whitespace (parseSemver would trim it).
  if (typeof v !== 'string' || /\s/.test(v)) return undefined;
  const tc = TOOLCHAIN.exec(v);
  if (tc) {
    const [, major, minor, patch, kind, n] = tc;
    const pre = kind ? `-${kind}.${n}` : '';
    return parseSemver(`${major}.${minor ?? '0'}.${patch ?? '0'}${pre}`);
  }
  const short = SHORT.exec(v);
  if (short) return parseSemver(`${short[1]}.${short[2] ?? '0'}.0`);
  // parseSemver accepts an optional "v", which Go's OSV data leaves out.
  return parseSemver(v);
}

export function isValid(v: string): boolean {
  return parse(v) !== undefined;
}

/**
 * Whether a version is a pseudo-version (a commit, not a tag): vX.0.0-TIME-REV with no tag
 * before it, or vX.Y.Z-pre.0.TIME-REV and vX.Y.Z-0.TIME-REV after a tag, where TIME is 14 digits
 * (yyyymmddhhmmss) and REV the commit's hash prefix.
 */
export function isPseudoVersion(v: string): boolean {
  const c = canonical(v);
  return c !== undefined && /^v\d+\.(?:0\.0-|\d+\.\d+-(?:[^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(?:\+incompatible)?$/.test(c);
}

/** Orders two Go versions; throws InvalidVersionError for an invalid one. */
export function compare(a: string, b: string): Ordering {
  const pa = parse(a);
  if (!pa) throw new InvalidVersionError('Go', a);
  const pb = parse(b);
  if (!pb) throw new InvalidVersionError('Go', b);
  return compareParsed(pa, pb);
}

export const gomod: VersionComparator = { name: 'Go', compare, isValid };
