// WWW-Authenticate challenges (RFC 7235, and the Docker token spec's Bearer parameters): pure,
// no I/O. `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="..."`
// and `Basic realm="Registry Realm"`; several challenges may share one header.

export interface Challenge {
  /** Lower-cased scheme: "bearer", "basic", ... */
  readonly scheme: string;
  /** Parameter names lower-cased, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

/** Parses a WWW-Authenticate value into its challenges, in order; malformed parts are skipped. */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  let i = 0;
  const s = header;
  const skipSpace = () => { while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++; };
  const token = () => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (i < s.length) {
    skipSpace();
    if (s[i] === ',') { i++; continue; }
    const start = i;
    const word = token();
    if (!word) { i++; continue; }
    skipSpace();
    if (s[i] === '=' && current) {
      // A parameter of the current challenge (unless "==" token68 padding; not used by registries).
      i++;
      skipSpace();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ') i++;
        value = s.slice(vs, i);
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    // A new scheme.
    void start;
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** The repository scope a pull needs, as the token endpoint expects it. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}
