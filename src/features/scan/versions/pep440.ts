// Python package versions as PEP 440 defines them (the "Version scheme" and its normalisation
// rules): [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]. Spellings the PEP allows are accepted and
// normalised (case, "alpha"/"c"/"pre"/"preview", "rev"/"r", "-1" as a post release, separators,
// implicit numbers, a leading "v", surrounding whitespace). The order is the PEP's: epoch, the
// release with trailing zeros ignored, then .devN < aN < bN < rcN < (final) < .postN, a dev
// release of a pre or post release just below it, and a local version above its public one.
import { type Ordering, type VersionComparator, InvalidVersionError, compareDigits, compareStrings } from './types.ts';

export interface Pep440Version {
  readonly epoch: string;
  readonly release: readonly string[];
  readonly pre?: { readonly label: 'a' | 'b' | 'rc'; readonly number: string };
  readonly post?: string;
  readonly dev?: string;
  /** Local segments, lower-cased, numeric ones without leading zeros. */
  readonly local?: readonly string[];
}

const SEP = '[-_.]?';
const PATTERN = new RegExp(
  '^\\s*v?' +
    '(?:(\\d+)!)?' + // epoch
    '(\\d+(?:\\.\\d+)*)' + // release
    `(?:${SEP}(alpha|a|beta|b|preview|pre|c|rc)${SEP}(\\d+)?)?` + // pre-release
    `(?:-(\\d+)|${SEP}(post|rev|r)${SEP}(\\d+)?)?` + // post release (or the implicit "-N")
    `(?:${SEP}(dev)${SEP}(\\d+)?)?` + // dev release
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' + // local version
    '\\s*$',
  'i',
);

const PRE_LABELS: Readonly<Record<string, 'a' | 'b' | 'rc'>> = { alpha: 'a', a: 'a', beta: 'b', b: 'b', preview: 'rc', pre: 'rc', c: 'rc', rc: 'rc' };

/** Drops leading zeros of a number, as the PEP's normal form prints integers. */
function int(s: string): string {
  return s.replace(/^0+(?=\d)/, '');
}

export function parse(v: string): Pep440Version | undefined {
  if (typeof v !== 'string') return undefined;
  const m = PATTERN.exec(v);
  if (!m) return undefined;
  const [, epoch, release, preL, preN, postImplicit, postL, postN, devL, devN, local] = m;
  return {
    epoch: int(epoch ?? '0'),
    release: release!.split('.').map(int),
    ...(preL !== undefined ? { pre: { label: PRE_LABELS[preL.toLowerCase()]!, number: int(preN ?? '0') } } : {}),
    ...(postImplicit !== undefined ? { post: int(postImplicit) } : postL !== undefined ? { post: int(postN ?? '0') } : {}),
    ...(devL !== undefined ? { dev: int(devN ?? '0') } : {}),
    // Numeric local segments are integers (packaging prints +01 as +1).
    ...(local !== undefined ? { local: local.toLowerCase().split(/[-_.]/).map((x) => (/^\d+$/.test(x) ? int(x) : x)) } : {}),
  };
}

export function isValid(v: string): boolean {
  return parse(v) !== undefined;
}

/** The PEP's normal form of a parsed version. */
export function format(v: Pep440Version): string {
  let s = v.epoch !== '0' ? `${v.epoch}!` : '';
  s += v.release.join('.');
  if (v.pre) s += `${v.pre.label}${v.pre.number}`;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  if (v.local) s += `+${v.local.join('.')}`;
  return s;
}

/** The normal form of a version string, or undefined when it is not a PEP 440 version. */
export function normalize(v: string): string | undefined {
  const p = parse(v);
  return p && format(p);
}

// Missing parts sort as -infinity or +infinity depending on the part; these keys say which.
const LOW = -1;
const HIGH = 1;
type Part = { readonly inf: typeof LOW | typeof HIGH } | { readonly value: readonly (string | number)[] };

/** The pre-release key: a dev release of a final release sorts before its pre-releases. */
function preKey(v: Pep440Version): Part {
  if (v.pre) return { value: [['a', 'b', 'rc'].indexOf(v.pre.label), v.pre.number] };
  if (v.post === undefined && v.dev !== undefined) return { inf: LOW };
  return { inf: HIGH };
}

function comparePart(a: Part, b: Part): Ordering {
  if ('inf' in a || 'inf' in b) {
    const ia = 'inf' in a ? a.inf * 2 : 0;
    const ib = 'inf' in b ? b.inf * 2 : 0;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  }
  for (let i = 0; i < Math.min(a.value.length, b.value.length); i++) {
    const x = a.value[i]!;
    const y = b.value[i]!;
    const c = typeof x === 'number' && typeof y === 'number' ? (x < y ? -1 : x > y ? 1 : 0) : compareDigits(String(x), String(y));
    if (c !== 0) return c;
  }
  return a.value.length < b.value.length ? -1 : a.value.length > b.value.length ? 1 : 0;
}

function compareRelease(a: readonly string[], b: readonly string[]): Ordering {
  // Trailing zeros do not count: 1.0 == 1.0.0.
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

/** Local segments: numeric ones compare as numbers and above alphanumeric ones; more segments win a tie. */
function compareLocal(a: readonly string[] | undefined, b: readonly string[] | undefined): Ordering {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    const c = xn && yn ? compareDigits(x, y) : xn ? 1 : yn ? -1 : compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export function compareParsed(a: Pep440Version, b: Pep440Version): Ordering {
  return (
    compareDigits(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    comparePart(preKey(a), preKey(b)) ||
    comparePart(a.post === undefined ? { inf: LOW } : { value: [a.post] }, b.post === undefined ? { inf: LOW } : { value: [b.post] }) ||
    comparePart(a.dev === undefined ? { inf: HIGH } : { value: [a.dev] }, b.dev === undefined ? { inf: HIGH } : { value: [b.dev] }) ||
    compareLocal(a.local, b.local)
  );
}

function must(v: string): Pep440Version {
  const p = parse(v);
  if (!p) throw new InvalidVersionError('PEP 440', v);
  return p;
}

/** Orders two versions; throws InvalidVersionError for a string that is not a PEP 440 version. */
export function compare(a: string, b: string): Ordering {
  return compareParsed(must(a), must(b));
}

/** PEP 503's normal form of a project name: lower case, runs of "-", "_" and "." as one "-". */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/[-_.]+/g, '-');
}

export const pep440: VersionComparator = { name: 'PEP 440', compare, isValid };
