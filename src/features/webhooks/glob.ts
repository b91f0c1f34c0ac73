// Repository filters: "*" matches within one path segment, "**" across segments, "?" one
// character. A filter with ":" matches "repository:tag", otherwise the repository name.
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') {
      out += '[^/:]*';
    } else if (c === '?') {
      out += '[^/:]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

const cache = new Map<string, RegExp>();

export function matchesFilter(filter: string, repository: string, tag: string | undefined): boolean {
  if (!filter) return true;
  let re = cache.get(filter);
  if (!re) {
    re = globToRegExp(filter);
    if (cache.size > 1000) cache.clear(); // bounded: filters are few, but a long-running server sees edits
    cache.set(filter, re);
  }
  if (filter.includes(':')) return tag !== undefined && re.test(`${repository}:${tag}`);
  return re.test(repository);
}
