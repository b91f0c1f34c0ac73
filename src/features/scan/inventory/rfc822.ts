// Debian control-file style stanzas ("Field: value", continuation lines starting with a space
// or tab, stanzas separated by blank lines), shared by the dpkg parser. Pure.

/** One stanza: field names lower-cased, values with continuation lines joined by '\n'. */
export type Stanza = Map<string, string>;

/** Splits text into stanzas; lines that are neither fields nor continuations are ignored. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let current: Stanza | undefined;
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    // Policy 5.1: lines of only spaces and tabs may separate paragraphs too.
    if (line.trim() === '') {
      current = undefined;
      last = undefined;
      continue;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      if (current && last !== undefined) current.set(last, `${current.get(last)}\n${line.slice(1)}`);
      continue;
    }
    if (line[0] === '#') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!current) {
      current = new Map();
      out.push(current);
    }
    last = line.slice(0, colon).toLowerCase();
    current.set(last, line.slice(colon + 1).trim());
  }
  return out;
}
