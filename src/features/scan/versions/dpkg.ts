// Debian package versions, [epoch:]upstream_version[-debian_revision], ordered as Debian Policy
// 5.6.12 says and dpkg's own verrevcmp does: epochs numerically, then upstream and revision by
// alternating non-digit and digit runs, where '~' sorts before everything (even the end of the
// string), letters before non-letters, and digit runs compare as numbers.
import { type Ordering, type VersionComparator, sign } from './types.ts';

export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** '' when the version has no revision (dpkg treats it as equal to "0"). */
  readonly revision: string;
}

/**
 * Splits a version the way dpkg's parseversion does: the epoch ends at the first ':', the
 * revision starts after the last '-'. Returns undefined for what dpkg rejects with an error
 * (empty parts, a non-numeric or too large epoch, characters outside the allowed sets, spaces).
 * A version that does not start with a digit is accepted, as dpkg only warns about it.
 */
export function parse(v: string): DpkgVersion | undefined {
  const s = v.trim();
  if (s === '' || /\s/.test(s)) return undefined;
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    // dpkg parses the epoch with strtol and rejects anything above INT_MAX.
    if (!/^\d+$/.test(e) || Number(e) > 2147483647) return undefined;
    epoch = Number(e);
    rest = s.slice(colon + 1);
  }
  let upstream = rest;
  let revision = '';
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    upstream = rest.slice(0, dash);
    revision = rest.slice(dash + 1);
    if (revision === '') return undefined;
  }
  if (upstream === '') return undefined;
  if (!/^[A-Za-z0-9.+~:-]+$/.test(upstream)) return undefined;
  if (revision !== '' && !/^[A-Za-z0-9.+~]+$/.test(revision)) return undefined;
  return { epoch, upstream, revision };
}

export function isValid(v: string): boolean {
  return parse(v) !== undefined;
}

/** The weight of one character in a non-digit run (dpkg's order()). */
function weight(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return 0; // digit: ends the run
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c; // letters first
  if (c === 126) return -1; // '~' before everything, the end included
  return c + 256; // every other character after the letters
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Compares an upstream version or a revision (dpkg's verrevcmp). */
export function compareFragment(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // The non-digit run, character by character.
    while ((i < a.length && !isDigit(a, i)) || (j < b.length && !isDigit(b, j))) {
      const wa = weight(a, i);
      const wb = weight(b, j);
      if (wa !== wb) return sign(wa - wb);
      i++;
      j++;
    }
    // The digit run, as a number: skip leading zeros, then the longer run wins, else the first
    // differing digit decides.
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (i < a.length && j < b.length && isDigit(a, i) && isDigit(b, j)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a, i)) return 1;
    if (j < b.length && isDigit(b, j)) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

/**
 * Orders two Debian versions. Total on any strings: a version dpkg would reject is split the
 * same lenient way (first ':' and last '-') and compared, so bad data never throws.
 */
export function compare(a: string, b: string): Ordering {
  const pa = parsed(a);
  const pb = parsed(b);
  if (pa.epoch !== pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  return compareFragment(pa.upstream, pb.upstream) || compareFragment(pa.revision, pb.revision);
}

// Matching compares the same few thousand versions millions of times (a re-match of every stored
// image): each is split once. Bounded; cleared when full.
const PARSED = new Map<string, DpkgVersion>();
const PARSED_MAX = 100_000;

function parsed(v: string): DpkgVersion {
  let p = PARSED.get(v);
  if (!p) {
    p = parse(v) ?? lenient(v);
    if (PARSED.size >= PARSED_MAX) PARSED.clear();
    PARSED.set(v, p);
  }
  return p;
}

function lenient(v: string): DpkgVersion {
  const s = v.trim();
  const colon = s.indexOf(':');
  const e = colon >= 0 ? Number.parseInt(s.slice(0, colon), 10) : 0;
  const rest = colon >= 0 ? s.slice(colon + 1) : s;
  const dash = rest.lastIndexOf('-');
  return {
    epoch: Number.isFinite(e) ? e : 0,
    upstream: dash >= 0 ? rest.slice(0, dash) : rest,
    revision: dash >= 0 ? rest.slice(dash + 1) : '',
  };
}

export const dpkg: VersionComparator = { name: 'dpkg', compare, isValid };
