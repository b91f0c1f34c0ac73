// Docker token-auth scopes (pure): "repository:<name>:<actions>" and "registry:catalog:*".
// Parsing is strict: anything odd is dropped, so a scope can never grant more than it names.
export type ScopeAction = 'pull' | 'push' | 'delete';
export const SCOPE_ACTIONS: readonly ScopeAction[] = ['pull', 'push', 'delete'];

export interface RepositoryScope {
  readonly type: 'repository';
  readonly name: string;
  readonly actions: ScopeAction[];
}

export interface CatalogScope {
  readonly type: 'registry';
  readonly name: 'catalog';
  readonly actions: ['*'];
}

export type Scope = RepositoryScope | CatalogScope;

/** Parses one scope string; returns undefined for anything malformed or unknown. */
export function parseScope(value: string): Scope | undefined {
  if (value.length > 1024 || /[\s"\\]/.test(value)) return undefined;
  const first = value.indexOf(':');
  const last = value.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = value.slice(0, first).replace(/\(.*\)$/, ''); // "repository(plugin)" is a resource class
  const name = value.slice(first + 1, last);
  const actions = value.slice(last + 1).split(',').filter(Boolean);
  if (type === 'registry') {
    return name === 'catalog' && actions.includes('*') ? { type: 'registry', name: 'catalog', actions: ['*'] } : undefined;
  }
  if (type !== 'repository' || !name) return undefined;
  const wanted = new Set<ScopeAction>();
  for (const a of actions) {
    if (a === '*') SCOPE_ACTIONS.forEach((x) => wanted.add(x));
    else if ((SCOPE_ACTIONS as readonly string[]).includes(a)) wanted.add(a as ScopeAction);
  }
  if (!wanted.size) return undefined;
  return { type: 'repository', name, actions: SCOPE_ACTIONS.filter((a) => wanted.has(a)) };
}

/** Parses every scope parameter (each may hold several scopes separated by spaces). */
export function parseScopes(values: readonly string[]): Scope[] {
  const out: Scope[] = [];
  for (const v of values) for (const part of v.split(' ')) {
    const s = parseScope(part);
    if (s) out.push(s);
  }
  return out;
}

export function formatScope(s: Scope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}
