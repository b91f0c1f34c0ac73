// Maven versions, ordered as Maven's ComparableVersion (the Maven 3 algorithm): the version is
// lower-cased and split into items at '.', at '-' (which opens a sub-list) and where digits meet
// letters (which also opens a sub-list). Numbers compare as numbers; qualifiers in the order
// alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp, other
// qualifiers after those in string order; "a1", "b1", "m1" abbreviate alpha, beta, milestone.
// Trailing zeros and empty qualifiers do not count (1.0 = 1 = 1-ga), a number beats a qualifier
// and a sub-list (1.0.1 > 1.0-sp1 > 1.0 > 1.0-rc1). Every string is some Maven version.
import { type Ordering, type VersionComparator, compareDigits, compareStrings } from './types.ts';

type Item = { readonly kind: 'int'; readonly value: string } | { readonly kind: 'string'; readonly value: string } | { readonly kind: 'list'; readonly items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
/** The comparable form of the release qualifier "". */
const RELEASE = String(QUALIFIERS.indexOf(''));

function intItem(digits: string): Item {
  return { kind: 'int', value: digits.replace(/^0+(?=\d)/, '') };
}

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) v = v === 'a' ? 'alpha' : v === 'b' ? 'beta' : v === 'm' ? 'milestone' : v;
  return { kind: 'string', value: ALIASES[v] ?? v };
}

/** Known qualifiers by rank; unknown ones after all of them, in string order. */
function comparable(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i < 0 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function isNull(item: Item): boolean {
  if (item.kind === 'int') return item.value === '0';
  if (item.kind === 'string') return comparable(item.value) === RELEASE;
  return item.items.length === 0;
}

/** Drops trailing null items (0, "", empty lists), looking through trailing sub-lists. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i]!;
    if (isNull(item)) list.splice(i, 1);
    else if (item.kind !== 'list') break;
  }
}

export function parse(version: string): Item {
  const v = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const item = (digit: boolean, s: string): Item => (digit ? intItem(s) : stringItem(s, false));
  const open = (): void => {
    const sub: Item[] = [];
    list.push({ kind: 'list', items: sub });
    list = sub;
    stack.push(sub);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '.') {
      list.push(i === start ? intItem('0') : item(isDigit, v.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.push(i === start ? intItem('0') : item(isDigit, v.slice(start, i)));
      start = i + 1;
      open();
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(stringItem(v.slice(start, i), true));
        start = i;
        open();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(intItem(v.slice(start, i)));
        start = i;
        open();
      }
      isDigit = false;
    }
  }
  if (v.length > start) list.push(item(isDigit, v.slice(start)));
  // Innermost lists first, so that a parent sees its emptied sub-lists.
  while (stack.length > 0) normalize(stack.pop()!);
  return { kind: 'list', items: root };
}

/** a.compareTo(b) of ComparableVersion's items; b undefined stands for a missing item. */
function compareItem(a: Item, b: Item | undefined): Ordering {
  switch (a.kind) {
    case 'int':
      if (!b) return a.value === '0' ? 0 : 1;
      return b.kind === 'int' ? compareDigits(a.value, b.value) : 1;
    case 'string':
      if (!b) return compareStrings(comparable(a.value), RELEASE);
      if (b.kind === 'int' || b.kind === 'list') return -1;
      return compareStrings(comparable(a.value), comparable(b.value));
    case 'list': {
      if (!b) return a.items.length === 0 ? 0 : compareItem(a.items[0]!, undefined);
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') return 1;
      for (let i = 0; i < Math.max(a.items.length, b.items.length); i++) {
        const l = a.items[i];
        const r = b.items[i];
        const c = l === undefined ? (r === undefined ? 0 : ((0 - compareItem(r, undefined)) as Ordering)) : compareItem(l, r);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

export function compare(a: string, b: string): Ordering {
  return compareItem(parse(a), parse(b));
}

/** Any non-empty string without whitespace is a Maven version. */
export function isValid(v: string): boolean {
  return typeof v === 'string' && v.length > 0 && !/\s/.test(v);
}

/** The canonical form (ComparableVersion.getCanonical()), handy to show that two spellings are equal. */
export function canonical(v: string): string {
  const show = (item: Item): string => {
    if (item.kind !== 'list') return item.value;
    let s = '';
    item.items.forEach((it, i) => {
      if (i > 0) s += it.kind === 'list' ? '-' : '.';
      s += show(it);
    });
    return s;
  };
  return show(parse(v));
}

export const maven: VersionComparator = { name: 'Maven', compare, isValid };
