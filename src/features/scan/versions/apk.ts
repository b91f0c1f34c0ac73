// Alpine package versions, as apk-tools (version.c) reads and orders them:
//   number{.number}...{letter}{_suffix{number}}...{~commit}{-r<revision>}
// Tokens compare pairwise while both sides have a token of the same kind. Numbers compare as
// numbers, except that a dotted number with a leading zero compares as a string (1.01 < 1.1, as
// Gentoo does). Suffixes order alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p. When
// one side runs out first, the longer version is newer unless what it has next is a pre-release
// suffix; a version with an invalid tail sorts below one without.
import { type Ordering, type VersionComparator, compareDigits, compareStrings } from './types.ts';

// Token kinds in apk-tools' order: which may follow which, and the tie-break when two versions
// diverge, depend on it.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Suffix ranks; NONE is where a version without a suffix sits. */
const SUFFIXES: Readonly<Record<string, number>> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };
const NONE = 5;

interface Token {
  kind: number;
  /** The token's text: digits, the letter, the suffix word, or the hash. */
  value: string;
  suffix: number;
}

class Tokenizer {
  private pos = 0;
  readonly token: Token = { kind: INITIAL_DIGIT, value: '', suffix: 0 };

  constructor(private readonly s: string) {
    this.digits();
  }

  private digits(): void {
    const start = this.pos;
    while (this.pos < this.s.length && isDigit(this.s.charCodeAt(this.pos))) this.pos++;
    this.token.value = this.s.slice(start, this.pos);
    if (this.token.value === '') this.token.kind = INVALID;
  }

  private run(test: (c: number) => boolean): string {
    const start = this.pos;
    while (this.pos < this.s.length && test(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** Moves to the next token, checking that it may follow the current one. */
  next(): void {
    const t = this.token;
    if (this.pos >= this.s.length) {
      t.kind = END;
      return;
    }
    const c = this.s[this.pos]!;
    if (c >= 'a' && c <= 'z') {
      if (t.kind > DIGIT) return this.invalid();
      t.value = c;
      t.kind = LETTER;
      this.pos++;
    } else if (c === '.' || (c >= '0' && c <= '9')) {
      if (c === '.') {
        if (t.kind > DIGIT) return this.invalid();
        this.pos++;
      }
      if (t.kind === INITIAL_DIGIT || t.kind === DIGIT) t.kind = DIGIT;
      else if (t.kind === SUFFIX) t.kind = SUFFIX_NO;
      else return this.invalid();
      this.digits();
    } else if (c === '_') {
      if (t.kind > SUFFIX_NO) return this.invalid();
      this.pos++;
      t.value = this.run((x) => x >= 97 && x <= 122);
      const rank = SUFFIXES[t.value];
      if (rank === undefined) return this.invalid();
      t.suffix = rank;
      t.kind = SUFFIX;
    } else if (c === '~') {
      if (t.kind >= COMMIT_HASH) return this.invalid();
      this.pos++;
      t.value = this.run((x) => isDigit(x) || (x >= 97 && x <= 102));
      if (t.value === '') return this.invalid();
      t.kind = COMMIT_HASH;
    } else if (c === '-') {
      if (t.kind >= REVISION_NO || this.s[this.pos + 1] !== 'r') return this.invalid();
      this.pos += 2;
      t.kind = REVISION_NO;
      this.digits();
    } else {
      this.invalid();
    }
  }

  private invalid(): void {
    this.token.kind = INVALID;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function compareTokens(a: Token, b: Token): Ordering {
  switch (a.kind) {
    case DIGIT:
      // A leading zero on either side: compare as strings.
      if (a.value[0] === '0' || b.value[0] === '0') return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigits(a.value, b.value);
    case LETTER:
      return compareStrings(a.value, b.value);
    case SUFFIX:
      return a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0;
    default:
      return compareStrings(a.value, b.value);
  }
}

export function isValid(v: string): boolean {
  const t = new Tokenizer(v);
  while (t.token.kind < END) t.next();
  return t.token.kind === END;
}

export function compare(a: string, b: string): Ordering {
  const ta = new Tokenizer(a);
  const tb = new Tokenizer(b);
  while (ta.token.kind === tb.token.kind && ta.token.kind < END) {
    const c = compareTokens(ta.token, tb.token);
    if (c !== 0) return c;
    ta.next();
    tb.next();
  }
  const ka = ta.token.kind;
  const kb = tb.token.kind;
  if (ka === kb) return 0;
  // The side that goes on is newer, unless it goes on with a pre-release suffix.
  if (ka === SUFFIX && ta.token.suffix < NONE) return -1;
  if (kb === SUFFIX && tb.token.suffix < NONE) return 1;
  return ka > kb ? -1 : 1;
}

export const apk: VersionComparator = { name: 'apk', compare, isValid };
