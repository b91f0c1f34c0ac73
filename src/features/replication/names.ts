// Names on the target (pure). Without a destination prefix a push keeps Berth's name and a pull
// takes the peer's in its canonical form (app -> library/app). With one, the first path component
// of the canonical name is replaced by the prefix, as Harbor's destination namespace does with its
// default flattening ("flatten 1 level"): team/app -> prod/app, team/app/api -> prod/app/api,
// nginx (library/nginx) -> prod/nginx. A prefix may have several components (mirror/team).
import { RegistryError } from '../../core/errors.ts';
import { canonicalRepositoryName, isValidRepositoryName } from '../../core/reference.ts';

/** Why `prefix` cannot be a destination prefix (undefined: it can). */
export function prefixProblem(prefix: string): string | undefined {
  if (!prefix) return '--dest-prefix is empty';
  if (prefix.startsWith('/') || prefix.endsWith('/')) return `--dest-prefix ${prefix.slice(0, 100)}: no leading or trailing "/"`;
  if (!isValidRepositoryName(prefix)) return `--dest-prefix ${prefix.slice(0, 100)}: not a repository path (lower-case components of a-z, 0-9 and . _ - separated by "/")`;
  return undefined;
}

/**
 * The target's name for the source's `name`. Throws NAME_INVALID when the mapped name breaks the
 * naming rules (too long, say), so that artifact fails alone.
 */
export function targetRepository(name: string, direction: 'push' | 'pull', prefix?: string): string {
  if (prefix === undefined) return direction === 'pull' ? canonicalRepositoryName(name) : name;
  const canonical = canonicalRepositoryName(name);
  const rest = canonical.slice(canonical.indexOf('/') + 1);
  const mapped = `${prefix}/${rest}`;
  if (!isValidRepositoryName(mapped)) {
    throw new RegistryError('NAME_INVALID', { name: mapped.slice(0, 300) }, { message: `${name} maps to ${mapped.slice(0, 300)} with the destination prefix ${prefix}, which is not a valid repository name` });
  }
  return direction === 'pull' ? canonicalRepositoryName(mapped) : mapped;
}
