// The user's search text, made safe: split into tokens the way SQLite's unicode61 tokenizer splits
// (runs of letters and digits; everything else separates), then rebuilt as a full-text query in
// which each token is a quoted prefix and all of them must match. Raw user text never reaches
// MATCH or to_tsquery syntax, so `"`, `*`, `AND`, `NEAR(` are just text (or nothing).

/** Longest search text accepted (the API refuses longer with 400). */
export const MAX_QUERY_LENGTH = 256;
/** Tokens beyond this many are ignored (each one more AND only narrows the result). */
export const MAX_TOKENS = 16;
/** A longer token is matched by its first this-many characters (as a prefix, so still correct). */
export const MAX_TOKEN_LENGTH = 64;

const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Lower-cased, de-duplicated word tokens of `text`, in order. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.normalize('NFC').split(SEPARATORS)) {
    if (raw === '') continue;
    const token = [...raw.toLowerCase()].slice(0, MAX_TOKEN_LENGTH).join('');
    if (!out.includes(token)) out.push(token);
    if (out.length === MAX_TOKENS) break;
  }
  return out;
}

/** SQLite FTS5: `"tok"* AND "tok2"*` (tokens hold letters and digits only; quotes doubled regardless). */
export function ftsMatchExpression(tokens: readonly string[]): string {
  return tokens.map((t) => `"${t.replace(/"/g, '""')}"*`).join(' AND ');
}

/** PostgreSQL to_tsquery: `tok:* & tok2:*` (tokens hold letters and digits only, so no operators). */
export function tsQueryExpression(tokens: readonly string[]): string {
  return tokens.map((t) => t.replace(/[^\p{L}\p{N}]/gu, '')).filter((t) => t !== '').map((t) => `${t}:*`).join(' & ');
}

/**
 * What an exact name match compares against: the text lower-cased, keeping only the characters a
 * repository name may hold (so `"nginx` still names nginx).
 */
export function exactName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._/-]/g, '');
}

/**
 * The text as a repository name, for a substring match of the whole (so "n-roo" finds
 * debian-rootfs): lower-cased and trimmed, or '' when it holds anything a name may not (a space,
 * a quote, an operator).
 */
export function nameText(text: string): string {
  const t = text.trim().toLowerCase();
  return /^[a-z0-9._/-]+$/.test(t) ? t : '';
}
