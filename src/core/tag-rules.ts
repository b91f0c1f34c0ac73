// Glob rules over repositories and tags (pure), shared by tag immutability and retention
// (docs/immutability.md, "What the patterns match"). A rule names a repository pattern, matched
// against the repository's path inside its project (team/app/api -> "app/api"; nginx, which is
// library/nginx -> "nginx"), and a tag pattern, matched against the whole tag.
//
// The pattern language is doublestar's, as Harbor's rules use it:
//   *        any run of characters within one path segment (never "/")
//   **       any run of characters across segments; as a whole segment ("**/x", "x/**/y",
//            "x/**") it also matches no segment at all, so "**/app" matches "app" and "x/**"
//            matches "x" itself
//   ?        one character, not "/"
//   [abc]    one of these characters; [a-z] a range; [!abc] or [^abc] any other character
//   {a,b}    either alternative (alternatives may hold patterns, and nest)
//   \c       the character c itself
// Tags have no "/", so in a tag pattern * and ** are the same. Matching is case-sensitive, as
// repository names and tags are.

export interface TagRule {
  readonly id: number;
  /** Pattern over the repository path inside the project. */
  readonly repos: string;
  /** Pattern over the tag. */
  readonly tags: string;
}

export const MAX_PATTERN_LENGTH = 256;

export class GlobError extends Error {}

class Parser {
  private i = 0;
  constructor(private readonly glob: string) {}

  /** The regular expression source of the whole pattern. */
  parse(): string {
    const out = this.sequence(false);
    if (this.i < this.glob.length) throw new GlobError(`unexpected "${this.glob[this.i]}" at position ${this.i + 1}`);
    return out;
  }

  /** Whether position j ends a piece: the end of the pattern, or of an alternative. */
  private endsPiece(j: number, inBraces: boolean): boolean {
    return j >= this.glob.length || (inBraces && (this.glob[j] === ',' || this.glob[j] === '}'));
  }

  /** Whether position j starts a path segment (of the pattern, or of an alternative). */
  private startsSegment(j: number, inBraces: boolean): boolean {
    return j === 0 || this.glob[j - 1] === '/' || (inBraces && (this.glob[j - 1] === '{' || this.glob[j - 1] === ','));
  }

  /** A run of pattern pieces, up to the end (or, inside braces, up to "," or "}"). */
  private sequence(inBraces: boolean): string {
    let out = '';
    const g = this.glob;
    while (this.i < g.length) {
      const c = g[this.i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      if (c === '/' && g.startsWith('**', this.i + 1) && this.endsPiece(this.i + 3, inBraces)) {
        // "x/**" at the end: "x" itself, or anything below it.
        out += '(?:/.*)?';
        this.i += 3;
      } else if (c === '*' && g[this.i + 1] === '*') {
        const start = this.i;
        while (g[this.i] === '*') this.i++;
        if (this.startsSegment(start, inBraces) && g[this.i] === '/') {
          // "**/": no segment, or any segments each followed by "/".
          this.i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else if (c === '*') {
        out += '[^/]*';
        this.i++;
      } else if (c === '?') {
        out += '[^/]';
        this.i++;
      } else if (c === '[') {
        out += this.charClass();
      } else if (c === '{') {
        out += this.alternatives();
      } else if (c === '\\') {
        if (this.i + 1 >= g.length) throw new GlobError('a pattern cannot end with "\\"');
        out += escape(g[this.i + 1]!);
        this.i += 2;
      } else {
        // Outside braces "," and "}" are plain characters too.
        out += escape(c);
        this.i++;
      }
    }
    if (inBraces) throw new GlobError('"{" is never closed by "}"');
    return out;
  }

  private charClass(): string {
    const g = this.glob;
    const open = this.i;
    let j = open + 1;
    let negate = false;
    if (g[j] === '!' || g[j] === '^') {
      negate = true;
      j++;
    }
    let body = '';
    let first = true;
    for (; j < g.length; j++) {
      const c = g[j]!;
      if (c === ']' && !first) break;
      first = false;
      if (c === '\\' && j + 1 < g.length) body += `\\${g[++j]}`;
      else body += c === '-' ? '-' : c.replace(/[\\\]^[]/g, '\\$&');
    }
    if (j >= g.length) throw new GlobError('"[" is never closed by "]"');
    this.i = j + 1;
    try {
      new RegExp(`[${body}]`);
    } catch {
      throw new GlobError(`the character class ${g.slice(open, j + 1)} is not valid`);
    }
    return negate ? `[^/${body}]` : `(?:(?!/)[${body}])`;
  }

  private alternatives(): string {
    this.i++; // "{"
    const options: string[] = [];
    for (;;) {
      options.push(this.sequence(true));
      // sequence() stopped at "," or "}" (it throws when the pattern ends first).
      const c = this.glob[this.i++];
      if (c === '}') break;
    }
    return `(?:${options.join('|')})`;
  }
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The pattern as an anchored regular expression; throws GlobError when it is malformed. */
export function compileGlob(glob: string): RegExp {
  const problem = patternProblem(glob, false);
  if (problem) throw new GlobError(problem);
  return new RegExp(`^${new Parser(glob).parse()}$`);
}

/** Why the pattern cannot be used (undefined: it can). `parse` also tries to compile it. */
export function patternProblem(glob: string, parse = true): string | undefined {
  if (typeof glob !== 'string' || glob.length === 0) return 'a pattern cannot be empty';
  if (glob.length > MAX_PATTERN_LENGTH) return `a pattern is at most ${MAX_PATTERN_LENGTH} characters`;
  if ([...glob].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'a pattern cannot hold control characters';
  if (!parse) return undefined;
  try {
    compileGlob(glob);
  } catch (error) {
    if (error instanceof GlobError) return error.message;
    throw error;
  }
  return undefined;
}

const compiled = new Map<string, RegExp>();

/** Whether `value` matches the pattern (a malformed pattern matches nothing). */
export function matchesGlob(glob: string, value: string): boolean {
  let re = compiled.get(glob);
  if (!re) {
    try {
      re = compileGlob(glob);
    } catch {
      re = /$^/;
    }
    if (compiled.size > 2000) compiled.clear(); // bounded: rules are few, but edits accumulate
    compiled.set(glob, re);
  }
  return re.test(value);
}

/** The repository's path inside its project: team/app/api -> app/api; library/nginx -> nginx. */
export function repositoryPathOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? repository : repository.slice(slash + 1);
}

/** Cosign's tags for what it attaches to an image: sha256-<hex>.sig, .att and .sbom. */
export function isCosignTag(tag: string): boolean {
  return /^sha(256-[0-9a-f]{64}|512-[0-9a-f]{128})\.(sig|att|sbom)$/.test(tag);
}

/** Whether the rule covers this tag of this repository (full name, project/path). */
export function ruleMatches(rule: Pick<TagRule, 'repos' | 'tags'>, repository: string, tag: string): boolean {
  return matchesGlob(rule.repos, repositoryPathOf(repository)) && matchesGlob(rule.tags, tag);
}

/**
 * The first rule (lowest id) that makes this tag immutable, or undefined. Cosign's signature,
 * attestation and SBOM tags are never immutable: signing an image again must be able to move them.
 */
export function immutableRuleFor<R extends TagRule>(rules: readonly R[], repository: string, tag: string): R | undefined {
  if (isCosignTag(tag)) return undefined;
  let found: R | undefined;
  for (const r of rules) if (ruleMatches(r, repository, tag) && (!found || r.id < found.id)) found = r;
  return found;
}

/** "rule 3: repos ** tags v*", as messages name a rule. */
export function describeRule(rule: TagRule): string {
  return `rule ${rule.id}: repos ${rule.repos} tags ${rule.tags}`;
}
