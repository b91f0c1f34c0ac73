// Names of users, projects and robots (pure). A user's name is also their personal project,
// so both follow one path component of the OCI repository grammar.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const RESERVED = new Set(['library', 'robot', 'admin-api', 'v2', 'api', 'auth']);

/** Why `name` cannot be a project (or user) name, or undefined when it can. */
export function projectNameProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > 64) return 'must be 2 to 64 characters';
  if (!COMPONENT.test(name)) return 'must be lowercase letters and digits, separated by ".", "_", "__" or "-"';
  return undefined;
}

export function userNameProblem(name: string): string | undefined {
  const p = projectNameProblem(name);
  if (p) return p;
  if (RESERVED.has(name) || name.startsWith('robot')) return 'is reserved';
  return undefined;
}

/** A robot's own name part (after the "+"). */
export function robotNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 64) return 'must be 1 to 64 characters';
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) return 'must be lowercase letters, digits, ".", "_" or "-"';
  return undefined;
}

export function robotAccountName(project: string | undefined, name: string): string {
  return project ? `robot$${project}+${name}` : `robot$${name}`;
}

/** Parses durations like 30d, 12h, 45m, 3600s (and plain seconds). */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d{1,9})([smhdw]?)$/.exec(value.trim());
  if (!m) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit * 1000;
}
