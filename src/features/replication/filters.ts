// Which repositories and tags a replication rule takes (pure). The repository filter is a glob
// over the full repository name (library/nginx, team/app/api), in the doublestar language of
// core/tag-rules.ts: "*" within one path segment, "**" across segments, "?", "[a-z]", "{a,b}".
// The tag filter is such a glob too, or a regular expression written between slashes: /^v\d+$/.
// Cosign's tags for what it attaches to an image (sha256-<hex>.sig, .att, .sbom) follow their
// image: they are copied with it whatever the tag filter says, and never listed on their own.
import { compileGlob, GlobError, isCosignTag, patternProblem } from '../../core/tag-rules.ts';

export { isCosignTag };

export interface RuleFilter {
  readonly repos: string;
  readonly tags: string;
}

/** A tag filter written as /regex/ (anchored as written, not implicitly). */
function regexOf(tags: string): RegExp | undefined {
  if (tags.length >= 2 && tags.startsWith('/') && tags.endsWith('/')) return new RegExp(tags.slice(1, -1));
  return undefined;
}

/** Why the filter cannot be used (undefined: it can). */
export function filterProblem(f: RuleFilter): string | undefined {
  const repos = patternProblem(f.repos);
  if (repos) return `--repos ${f.repos.slice(0, 100)}: ${repos}`;
  if (f.tags.startsWith('/') && f.tags.endsWith('/') && f.tags.length >= 2) {
    if (f.tags.length > 258) return '--tags: a regular expression is at most 256 characters';
    try {
      regexOf(f.tags);
    } catch (error) {
      return `--tags ${f.tags.slice(0, 100)}: not a regular expression (${(error as Error).message})`;
    }
    return undefined;
  }
  const tags = patternProblem(f.tags);
  return tags ? `--tags ${f.tags.slice(0, 100)}: ${tags}` : undefined;
}

export interface CompiledFilter {
  repository(name: string): boolean;
  tag(tag: string): boolean;
}

/** The filter as two predicates; throws GlobError (or SyntaxError for a bad regex) when malformed. */
export function compileFilter(f: RuleFilter): CompiledFilter {
  const repos = compileGlob(f.repos);
  const regex = regexOf(f.tags);
  const tags = regex ?? compileGlob(f.tags);
  return {
    repository: (name) => repos.test(name),
    // Cosign's attachment tags are never selected on their own: they go with their image.
    tag: (tag) => !isCosignTag(tag) && tags.test(tag),
  };
}

/** The digest a cosign attachment tag belongs to: sha256-<hex>.sig -> sha256:<hex>. */
export function cosignSubject(tag: string): string | undefined {
  if (!isCosignTag(tag)) return undefined;
  const base = tag.slice(0, tag.lastIndexOf('.'));
  const dash = base.indexOf('-');
  return `${base.slice(0, dash)}:${base.slice(dash + 1)}`;
}

/** The tag of the referrers tag schema (distribution-spec 1.1 fallback): sha256:<hex> -> sha256-<hex>. */
export function fallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

export { GlobError };

/** A tag of the referrers tag schema (sha256-<hex>): an index of referrers, not an image to select. */
export function isFallbackTag(tag: string): boolean {
  return /^sha(256-[0-9a-f]{64}|512-[0-9a-f]{128})$/.test(tag);
}
