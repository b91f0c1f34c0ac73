// GET /v1/search?q=&n=&page=: the Docker Hub search API that `docker search` and `podman search
// HOST/term` call (docs/discovery.md, Docker-compatible search). It answers in every auth mode:
// in builtin mode Basic credentials (the same login as /api/v1) widen what is visible, and an
// anonymous call gets 401 while some repository is hidden from anonymous callers (loginWanted);
// in htpasswd mode, where nothing is readable without a login, it needs one; with auth none
// everything is visible. Bad parameters are 400 with a JSON error, never a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Accounts } from '../auth/accounts.ts';
import type { Principal } from '../auth/principal.ts';
import type { AuthProvider } from '../auth/provider.ts';
import { RegistryError } from '../core/errors.ts';
import { OFFICIAL_PROJECT, shortRepositoryName } from '../core/reference.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, type SearchRow, type SearchService } from '../features/search/index.ts';
import { resolveCaller } from './api/auth.ts';
import { sendError } from './errors.ts';

export interface DockerSearchDeps {
  readonly search: SearchService;
  readonly auth: AuthProvider;
  /** Built-in auth mode: Basic credentials are checked as /api/v1 checks them. */
  readonly accounts?: Accounts;
  readonly onFailedLogin?: (account: string, address: string) => void;
}

export interface DockerSearchResult {
  readonly name: string;
  readonly description: string;
  readonly star_count: number;
  readonly pull_count: number;
  readonly is_official: boolean;
  readonly is_automated: false;
  readonly is_trusted: boolean;
}

export interface DockerSearchAnswer {
  readonly num_results: number;
  readonly num_pages: number;
  readonly page: number;
  readonly page_size: number;
  readonly query: string;
  readonly results: DockerSearchResult[];
}

function invalid(message: string): RegistryError {
  return new RegistryError('INVALID_REQUEST', undefined, { message });
}

/** A positive integer parameter within [1, max], or the default when absent. */
function intParam(query: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^[0-9]{1,9}$/.test(raw)) throw invalid(`${name} must be a whole number from 1 to ${max}`);
  const value = Number(raw);
  if (value < 1 || value > max) throw invalid(`${name} must be a whole number from 1 to ${max}`);
  return value;
}

/** The name a client pulls: "nginx" for library/nginx, else the full name. */
export function pullName(name: string): string {
  return shortRepositoryName(name);
}

export function toDockerResult(row: SearchRow): DockerSearchResult {
  return {
    name: pullName(row.name),
    // One line: clients print results as a table. The short description when there is one (as
    // Docker Hub answers), else the README.
    description: (row.short_description || row.description).replace(/\s+/g, ' ').trim(),
    star_count: Number(row.star_count),
    pull_count: Number(row.pull_count),
    is_official: row.project === OFFICIAL_PROJECT,
    is_automated: false,
    is_trusted: Number(row.verified) === 1 || Number(row.sponsored) === 1,
  };
}

/**
 * Built-in mode, no credentials, and some repository is hidden from anonymous callers: 401, so a
 * signed-in client can search with its login. podman 4.3 never sends credentials to /v1/search;
 * on any answer but 200 it lists /v2/_catalog with its login instead (filtering names on its
 * side), which shows the user's private repositories. The decision is registry-wide, never per
 * query: a per-query 401 ("something private matches this") would let anyone spell out private
 * names a letter at a time. Anonymous callers still find public repositories: podman through the
 * catalog, others through /api/v1/search (docs/protocol.md).
 */
async function loginWanted(request: FastifyRequest, deps: DockerSearchDeps): Promise<RegistryError | undefined> {
  if (request.headers.authorization || !(await deps.search.hiddenFromAnonymous())) return undefined;
  return new RegistryError('UNAUTHORIZED', undefined, {
    message: 'some repositories here are visible only to signed-in users: send Basic credentials to search them too (public repositories: /api/v1/search or /v2/_catalog)',
    headers: { 'WWW-Authenticate': 'Basic realm="Berth Registry"' },
  });
}

async function caller(request: FastifyRequest, deps: DockerSearchDeps): Promise<Principal | undefined> {
  if (deps.accounts) {
    const principal = await resolveCaller(request, deps.accounts, deps.onFailedLogin);
    if (!principal) {
      const refusal = await loginWanted(request, deps);
      if (refusal) throw refusal;
    }
    return principal;
  }
  const authn = await deps.auth.authenticate(request.headers.authorization, request.ip);
  const challenge = () => ({ 'WWW-Authenticate': deps.auth.challenge({ baseUrl: `${request.protocol}://${request.host}` }) });
  if (!authn.ok) throw new RegistryError('UNAUTHORIZED', undefined, { message: authn.reason, headers: challenge() });
  if (!(await deps.auth.authorize(authn.identity, undefined, 'catalog'))) {
    throw new RegistryError('UNAUTHORIZED', undefined, { message: 'this registry needs a login to search', headers: challenge() });
  }
  return undefined;
}

export function registerDockerSearch(app: FastifyInstance, deps: DockerSearchDeps): void {
  app.get('/v1/search', async (request: FastifyRequest, reply: FastifyReply) => {
    request.routeKind = 'docker_search';
    try {
      const query = (request.query ?? {}) as Record<string, unknown>;
      const q = query.q ?? '';
      if (typeof q !== 'string') throw invalid('give q once');
      if (q.length > MAX_QUERY_LENGTH) throw invalid(`q is longer than ${MAX_QUERY_LENGTH} characters`);
      const n = intParam(query, 'n', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
      const page = intParam(query, 'page', 1, 1_000_000);
      const principal = await caller(request, deps);
      const found = await deps.search.search(principal, { q, n, page });
      const answer: DockerSearchAnswer = {
        num_results: found.total,
        num_pages: Math.ceil(found.total / n),
        page,
        page_size: n,
        query: q,
        results: found.rows.map(toDockerResult),
      };
      return reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send(answer);
    } catch (error) {
      return sendError(request, reply, error);
    }
  });
}
