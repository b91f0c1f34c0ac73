// RPM versions, [epoch:]version[-release], ordered as rpm's rpmvercmp orders each part: runs of
// ASCII letters or digits are compared pairwise (digits as numbers, letters as strings, a digit
// run beats a letter run), other characters only separate, '~' sorts before everything (the end
// included: 1.0~rc1 < 1.0) and '^' after the base version but before anything else that follows
// it (1.0 < 1.0^git1 < 1.0.1). As rpm's rpmverCmp (what rpm.vercmp runs): epochs default to 0,
// and a version without a release is older than the same version with one (1.0 < 1.0-0). rpm's
// dependency ranges ignore a missing release instead; package-to-package comparison does not.
import { type Ordering, type VersionComparator, compareDigits, compareStrings } from './types.ts';

export interface RpmVersion {
  /** undefined when absent (compares as "0"). */
  readonly epoch?: string;
  readonly version: string;
  readonly release?: string;
}

/** Splits an EVR as rpm's parseEVR: a leading run of digits ended by ':' is the epoch, the release follows the last '-'. */
export function parse(evr: string): RpmVersion {
  let i = 0;
  while (i < evr.length && isDigitAt(evr, i)) i++;
  let epoch: string | undefined;
  let rest = evr;
  if (evr[i] === ':') {
    epoch = i === 0 ? '0' : evr.slice(0, i);
    rest = evr.slice(i + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return { epoch, version: rest };
  return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

/** What rpm accepts in a package's EVR: a numeric epoch, a non-empty version and release without '-' or spaces. */
export function isValid(v: string): boolean {
  return /^(\d+:)?[^\s:-]+(-[^\s:-]+)?$/.test(v);
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function isAlphaAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlnumAt(s: string, i: number): boolean {
  return isDigitAt(s, i) || isAlphaAt(s, i);
}

/** rpmvercmp: compares one version or release string. */
export function vercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Skip separators: anything but letters, digits, '~' and '^'.
    while (i < a.length && !isAlnumAt(a, i) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnumAt(b, j) && b[j] !== '~' && b[j] !== '^') j++;

    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // '^' is like '~' except that the side that has ended (the base version) is the lower one.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    // One run of digits or of letters, of the kind a starts with.
    const numeric = isDigitAt(a, i);
    const test = numeric ? isDigitAt : isAlphaAt;
    let ei = i;
    let ej = j;
    while (ei < a.length && test(a, ei)) ei++;
    while (ej < b.length && test(b, ej)) ej++;
    // b has a run of the other kind here: a digit run is newer than a letter run.
    if (ej === j) return numeric ? 1 : -1;
    const ra = a.slice(i, ei);
    const rb = b.slice(j, ej);
    const c = numeric ? compareDigits(ra, rb) : compareStrings(ra, rb);
    if (c !== 0) return c;
    i = ei;
    j = ej;
  }
  // All runs equal: whichever still has characters left is newer (separators alone count too).
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Orders two EVRs: epoch, then version, then release (none before any). */
export function compare(a: string, b: string): Ordering {
  const pa = parse(a);
  const pb = parse(b);
  return vercmp(pa.epoch ?? '0', pb.epoch ?? '0') || vercmp(pa.version, pb.version) || compareRelease(pa.release, pb.release);
}

function compareRelease(a: string | undefined, b: string | undefined): Ordering {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  return vercmp(a, b);
}

export const rpm: VersionComparator = { name: 'rpm', compare, isValid };
