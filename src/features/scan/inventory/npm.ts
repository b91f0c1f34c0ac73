// npm packages from lock files (package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2
// and 3) and from installed packages' own node_modules/**/package.json. Pure.
import type { RawPackage } from './types.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The malformed JSON or shape of a lock file / package.json. */
export class NpmParseError extends Error {
  constructor(message: string) {
    super(`npm: ${message}`);
    this.name = 'NpmParseError';
  }
}

function parseJson(data: Buffer | string, what: string): unknown {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new NpmParseError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/** license: "MIT" | {type: "MIT"}; legacy licenses: [{type}] or ["MIT"]. */
function licensesOf(p: Json): string[] | undefined {
  const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : isObject(v) && typeof v.type === 'string' ? v.type : undefined);
  const l = one(p.license);
  if (l) return [l];
  if (Array.isArray(p.licenses)) {
    const all = p.licenses.map(one).filter((x): x is string => !!x);
    return all.length ? all : undefined;
  }
  return undefined;
}

// Versions that name no registry release: local folders, links, tarballs, git and URLs.
const NOT_A_RELEASE = /^(?:file:|link:|git\+|git:|github:|gitlab:|bitbucket:|https?:|\.|\/)/;

/** An "npm:<name>@<version>" alias (v1 lock versions) into the real name and version. */
function unalias(name: string, version: string): [string, string] {
  if (!version.startsWith('npm:')) return [name, version];
  const spec = version.slice(4);
  const at = spec.lastIndexOf('@');
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [name, version];
}

const dirOf = (location: string): string => {
  const i = location.lastIndexOf('/');
  return i === -1 ? '' : location.slice(0, i + 1);
};

/**
 * The packages a lock file lists. The root project (key "") and `link: true` entries are
 * skipped, as are workspace folders (keys outside node_modules: local sources, not releases).
 * Each package records `installedAt`: the folder the lock puts it in, relative to the image root.
 */
export function parseNpmLock(data: Buffer | string, location: string): RawPackage[] {
  const lock = parseJson(data, location);
  if (!isObject(lock)) throw new NpmParseError(`${location} is not a JSON object`);
  const base = dirOf(location);
  const out: RawPackage[] = [];
  const push = (name: string, version: unknown, key: string, meta: Json): void => {
    if (typeof version !== 'string' || !version) return;
    const [realName, realVersion] = unalias(name, version);
    if (NOT_A_RELEASE.test(realVersion)) return;
    const licenses = licensesOf(meta);
    out.push({ name: realName, version: realVersion, type: 'npm', location, installedAt: base + key, ...(licenses ? { licenses } : {}) });
  };
  // v2 and v3: `packages`, keyed by install path. v2 also keeps v1's `dependencies` for old npm.
  if (isObject(lock.packages)) {
    for (const [key, value] of Object.entries(lock.packages)) {
      if (key === '' || !isObject(value) || value.link === true) continue;
      const at = key.lastIndexOf('node_modules/');
      if (at === -1) continue;
      const name = typeof value.name === 'string' ? value.name : key.slice(at + 'node_modules/'.length);
      push(name, value.version, key, value);
    }
    return out;
  }
  // v1: nested `dependencies`, each one installed in node_modules under its parent.
  const walk = (deps: unknown, parent: string): void => {
    if (!isObject(deps)) return;
    for (const [name, value] of Object.entries(deps)) {
      if (!isObject(value)) continue;
      const key = `${parent}node_modules/${name}`;
      push(name, value.version, key, value);
      walk(value.dependencies, `${key}/`);
    }
  };
  walk(lock.dependencies, '');
  return out;
}

/** An installed package's own package.json: its name and version (nothing when either is missing). */
export function parseNpmPackageJson(data: Buffer | string, location: string): RawPackage[] {
  const p = parseJson(data, location);
  if (!isObject(p)) return [];
  const { name, version } = p;
  if (typeof name !== 'string' || !name || typeof version !== 'string' || !version) return [];
  const licenses = licensesOf(p);
  return [{ name, version, type: 'npm', location, ...(licenses ? { licenses } : {}) }];
}
