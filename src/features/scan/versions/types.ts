// The contract every ecosystem's version comparator meets. Pure types.

/** The sign of a comparison: a < b, a = b, a > b. */
export type Ordering = -1 | 0 | 1;

export interface VersionComparator {
  /** The ecosystem's name for the order, for messages ("dpkg", "PEP 440", ...). */
  readonly name: string;
  /**
   * Compares two versions in the ecosystem's order. Comparators of ecosystems with a grammar
   * (semver, PEP 440, Go, Maven is total) throw InvalidVersionError for a version that is not
   * valid; dpkg, rpm and apk order any string the way their tools do.
   */
  compare(a: string, b: string): Ordering;
  /** Whether the ecosystem's tools accept the version. */
  isValid(v: string): boolean;
}

/** A version that the ecosystem's grammar rejects, given to a comparator that needs one. */
export class InvalidVersionError extends Error {
  constructor(
    readonly ecosystem: string,
    readonly version: string,
  ) {
    super(`invalid ${ecosystem} version: ${JSON.stringify(version)}`);
    this.name = 'InvalidVersionError';
  }
}

/** Maps any number to an Ordering. */
export function sign(n: number): Ordering {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * Compares two strings of decimal digits as unbounded integers (leading zeros ignored), so that
 * no ecosystem loses precision on long numeric fields (dates, build numbers).
 */
export function compareDigits(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a[i] === '0') i++;
  while (j < b.length - 1 && b[j] === '0') j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    if (a[i] !== b[j]) return a[i]! < b[j]! ? -1 : 1;
  }
  return 0;
}

/** Byte-wise (code unit) string order, as C's strcmp on ASCII. */
export function compareStrings(a: string, b: string): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}
