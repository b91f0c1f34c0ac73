// Semantic versions as npm orders them (semver.org 2.0.0 section 11, as node-semver implements
// it): MAJOR.MINOR.PATCH compared numerically, then a version with a pre-release sorts before
// the same version without one, pre-release identifiers compare one by one (numeric ones as
// numbers and below alphanumeric ones, alphanumeric ones in ASCII order, a longer list wins a
// tie) and build metadata is ignored. Like node-semver's strict mode, surrounding whitespace and
// one leading "v" are accepted.
import { type Ordering, type VersionComparator, InvalidVersionError, compareDigits, compareStrings } from './types.ts';

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release identifiers; numeric ones as numbers. */
  readonly prerelease: readonly (string | number)[];
  readonly build: readonly string[];
}

// node-semver's limits: longer strings and components beyond Number.MAX_SAFE_INTEGER are invalid.
const MAX_LENGTH = 256;
const NUM = '(0|[1-9]\\d*)';
const PRE_ID = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const BUILD_ID = '[0-9A-Za-z-]+';
const PATTERN = new RegExp(`^v?${NUM}\\.${NUM}\\.${NUM}(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`);

export function parse(v: string): SemVer | undefined {
  if (typeof v !== 'string' || v.length > MAX_LENGTH) return undefined;
  const m = PATTERN.exec(v.trim());
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major > Number.MAX_SAFE_INTEGER || minor > Number.MAX_SAFE_INTEGER || patch > Number.MAX_SAFE_INTEGER) return undefined;
  const prerelease = m[4] === undefined ? [] : m[4].split('.').map((id) => (/^\d+$/.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER ? Number(id) : id));
  const build = m[5] === undefined ? [] : m[5].split('.');
  return { major, minor, patch, prerelease, build };
}

export function isValid(v: string): boolean {
  return parse(v) !== undefined;
}

/** The canonical form: no "v", no whitespace, build metadata kept. */
export function format(v: SemVer): string {
  let s = `${v.major}.${v.minor}.${v.patch}`;
  if (v.prerelease.length > 0) s += `-${v.prerelease.join('.')}`;
  if (v.build.length > 0) s += `+${v.build.join('.')}`;
  return s;
}

function num(a: number, b: number): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifier(a: string | number, b: string | number): Ordering {
  const an = typeof a === 'number' || /^\d+$/.test(a);
  const bn = typeof b === 'number' || /^\d+$/.test(b);
  if (an && bn) return compareDigits(String(a), String(b));
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(String(a), String(b));
}

/** Orders two parsed versions by semver precedence (build metadata ignored). */
export function compareParsed(a: SemVer, b: SemVer): Ordering {
  const main = num(a.major, b.major) || num(a.minor, b.minor) || num(a.patch, b.patch);
  if (main !== 0) return main;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length === 0 || pb.length === 0) return pa.length === pb.length ? 0 : pa.length === 0 ? 1 : -1;
  for (let i = 0; ; i++) {
    if (i >= pa.length || i >= pb.length) return num(pa.length, pb.length);
    const c = compareIdentifier(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
}

function must(v: string): SemVer {
  const p = parse(v);
  if (!p) throw new InvalidVersionError('semver', v);
  return p;
}

/** Orders two versions; throws InvalidVersionError for an invalid one. */
export function compare(a: string, b: string): Ordering {
  return compareParsed(must(a), must(b));
}

/** node-semver's compareBuild: precedence, then build identifiers as a tie-break (for stable sorting). */
export function compareBuild(a: string, b: string): Ordering {
  const pa = must(a);
  const pb = must(b);
  const c = compareParsed(pa, pb);
  if (c !== 0) return c;
  for (let i = 0; ; i++) {
    if (i >= pa.build.length || i >= pb.build.length) return num(pa.build.length, pb.build.length);
    const d = compareIdentifier(pa.build[i]!, pb.build[i]!);
    if (d !== 0) return d;
  }
}

export const semver: VersionComparator = { name: 'semver', compare, isValid };
