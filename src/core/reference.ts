// Image references and repository names (DESIGN.md, Naming rules). Pure code, no I/O.
//
// The grammar is Docker's (distribution/reference), which the OCI tools share:
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [ domain "/" ] path
//   domain           := host [ ":" port ]
//   host             := domain-name | "[" ipv6 "]"
//   domain-name      := domain-component ( "." domain-component )*
//   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//   port             := [0-9]+
//   path             := path-component ( "/" path-component )*     (at most 255 characters)
//   path-component   := [a-z0-9]+ ( separator [a-z0-9]+ )*
//   separator        := "." | "_" | "__" | "-"+
//   tag              := [\w][\w.-]{0,127}
//   digest           := sha256:<64 lowercase hex> | sha512:<128 lowercase hex>   (what Berth stores)
//
// Whether the first component is a domain follows Docker's rule, not the regexp: it is a domain when
// it contains "." or ":", is "localhost", or has an uppercase letter (paths are lowercase only).
// So "user/app" is a path on the default domain, while "example.com/app" names another registry.
import { RegistryError } from './errors.ts';
import { tryParseDigest } from './digest.ts';

export const DEFAULT_DOMAIN = 'docker.io';
export const OFFICIAL_PROJECT = 'library';
export const DEFAULT_TAG = 'latest';

/** Docker Hub's legacy name; normalization rewrites it to DEFAULT_DOMAIN. */
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
/** Longest repository path (the name after /v2/), as in distribution/reference and the OCI spec. */
export const MAX_REPOSITORY_NAME_LENGTH = 255;

export interface Reference {
  /** Registry host with optional port; '' when the reference names none (strict parse only). */
  domain: string;
  /** Repository path, e.g. 'library/nginx'. */
  path: string;
  tag?: string;
  digest?: string;
}

/** Thrown for a string that is not a valid image reference. Note: shadows the global ReferenceError where imported. */
export class ReferenceError extends Error {
  /** The rejected input (cut to 300 characters). */
  readonly input: string;

  constructor(input: string, reason: string) {
    super(`invalid reference ${JSON.stringify(clip(input))}: ${reason}`);
    this.name = 'ReferenceError';
    this.input = clip(input);
  }
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
const REPOSITORY_NAME_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^\w[\w.-]{0,127}$/;
/** A bare 64-hex string looks like an image ID; Docker refuses it as a repository name when normalizing. */
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

function clip(s: string): string {
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

/** Docker's heuristic: is this first path component a registry host rather than a namespace? */
function looksLikeDomain(component: string): boolean {
  return component === 'localhost' || component.includes('.') || component.includes(':') || component !== component.toLowerCase();
}

/** Returns why `path` is not a valid repository path, or undefined when it is valid. */
function pathProblem(path: string): string | undefined {
  if (path === '') return 'missing repository name';
  if (path.length > MAX_REPOSITORY_NAME_LENGTH) return `repository name must not be longer than ${MAX_REPOSITORY_NAME_LENGTH} characters`;
  if (/[A-Z]/.test(path)) return 'repository name must be lowercase';
  for (const component of path.split('/')) {
    if (component === '') return 'repository name has an empty path component';
    if (!PATH_COMPONENT_RE.test(component)) {
      return `invalid path component ${JSON.stringify(clip(component))}: use lowercase letters and digits, separated by '.', '_', '__' or '-'`;
    }
  }
  return undefined;
}

/** Strict parse: the grammar only, no defaults. `domain` is '' when the reference names no registry. */
export function parseReference(s: string): Reference {
  if (s === '') throw new ReferenceError(s, 'empty reference');

  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest === '') throw new ReferenceError(s, "missing digest after '@'");
    if (!tryParseDigest(digest)) {
      throw new ReferenceError(s, `invalid digest ${JSON.stringify(clip(digest))}: expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`);
    }
  }

  // The tag separator is the first ':' after the last '/', so "host:5000/repo" keeps its port.
  let tag: string | undefined;
  const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1);
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag === '') throw new ReferenceError(s, "missing tag after ':'");
    if (!isValidTag(tag)) {
      throw new ReferenceError(s, `invalid tag ${JSON.stringify(clip(tag))}: use up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'`);
    }
  }

  if (rest === '') throw new ReferenceError(s, 'missing repository name');

  let domain = '';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1 && looksLikeDomain(rest.slice(0, slash))) {
    domain = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    if (!DOMAIN_RE.test(domain)) throw new ReferenceError(s, `invalid registry domain ${JSON.stringify(clip(domain))}`);
  }
  const problem = pathProblem(path);
  if (problem) throw new ReferenceError(s, problem);

  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Adds Docker's defaults for the domain and the official-image namespace, but not the tag. */
function normalizeName(s: string): Reference {
  if (IDENTIFIER_RE.test(s)) throw new ReferenceError(s, 'a 64-character hexadecimal string is an image ID, not a repository name');
  const ref = parseReference(s);
  if (ref.domain === '' || ref.domain === LEGACY_DEFAULT_DOMAIN) ref.domain = DEFAULT_DOMAIN;
  if (ref.domain === DEFAULT_DOMAIN && !ref.path.includes('/')) ref.path = `${OFFICIAL_PROJECT}/${ref.path}`;
  if (ref.path.length > MAX_REPOSITORY_NAME_LENGTH) {
    throw new ReferenceError(s, `repository name must not be longer than ${MAX_REPOSITORY_NAME_LENGTH} characters once normalized (${ref.path.length})`);
  }
  return ref;
}

/** Parses and fills in defaults: docker.io, library/ for single names there, and tag latest when there is neither tag nor digest. */
export function parseNormalizedReference(s: string): Reference {
  const ref = normalizeName(s);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** 'nginx' -> 'docker.io/library/nginx:latest'. A reference with both tag and digest keeps both. */
export function normalize(s: string): string {
  return formatReference(parseNormalizedReference(s));
}

/** The short form Docker shows: drops docker.io and, for single names, library/. Tag and digest are kept as given. */
export function familiarName(s: string): string {
  const ref = normalizeName(s);
  if (ref.domain === DEFAULT_DOMAIN) {
    ref.domain = '';
    const prefix = `${OFFICIAL_PROJECT}/`;
    if (ref.path.startsWith(prefix) && !ref.path.slice(prefix.length).includes('/')) ref.path = ref.path.slice(prefix.length);
  }
  return formatReference(ref);
}

/** Renders a reference as `[domain/]path[:tag][@digest]`. It does not validate. */
export function formatReference(r: Reference): string {
  let out = r.domain ? `${r.domain}/${r.path}` : r.path;
  if (r.tag) out += `:${r.tag}`;
  if (r.digest) out += `@${r.digest}`;
  return out;
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** A repository name as it appears after /v2/ (no domain), per the OCI distribution-spec. */
export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_REPOSITORY_NAME_LENGTH && REPOSITORY_NAME_RE.test(name);
}

/**
 * Validates a repository name and returns its canonical form inside Berth: a single-component
 * name belongs to the official project ('nginx' -> 'library/nginx'). Throws NAME_INVALID.
 */
export function canonicalRepositoryName(name: string): string {
  const invalid = (reason: string): RegistryError =>
    new RegistryError('NAME_INVALID', { name: clip(name) }, { message: `invalid repository name: ${reason}` });
  if (!isValidRepositoryName(name)) throw invalid(pathProblem(name) ?? 'does not match the repository name grammar');
  const canonical = name.includes('/') ? name : `${OFFICIAL_PROJECT}/${name}`;
  if (canonical.length > MAX_REPOSITORY_NAME_LENGTH) {
    throw invalid(`${canonical.length} characters once prefixed with '${OFFICIAL_PROJECT}/', more than ${MAX_REPOSITORY_NAME_LENGTH}`);
  }
  return canonical;
}

/**
 * The short form of a canonical repository name, as clients address it on this registry and as
 * the catalog lists it: 'library/nginx' -> 'nginx' (the name that was pushed; Distribution lists
 * it so), anything else unchanged ('library/a/b' keeps its prefix: 'a/b' would be project a).
 * canonicalRepositoryName(shortRepositoryName(x)) === x.
 */
export function shortRepositoryName(canonicalName: string): string {
  const prefix = `${OFFICIAL_PROJECT}/`;
  return canonicalName.startsWith(prefix) && !canonicalName.slice(prefix.length).includes('/') ? canonicalName.slice(prefix.length) : canonicalName;
}

/** The project of a repository: its first path component ('library' for a single-component name). */
export function projectOf(canonicalName: string): string {
  const slash = canonicalName.indexOf('/');
  return slash === -1 ? OFFICIAL_PROJECT : canonicalName.slice(0, slash);
}
