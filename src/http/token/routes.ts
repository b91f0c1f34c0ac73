// The Docker token-auth endpoint: GET /auth/token (Basic credentials or anonymous) and the OAuth2
// POST /auth/token form (grant_type password or refresh_token) that docker and podman use.
// A token holds the intersection of the scopes asked for and the account's rights.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Accounts } from '../../auth/accounts.ts';
import type { Authorizer } from '../../auth/authorizer.ts';
import { parseBasic } from '../../auth/basic-credentials.ts';
import type { CredentialRef } from '../../auth/credential.ts';
import type { Principal } from '../../auth/principal.ts';
import type { Grant } from '../../auth/provider.ts';
import type { TokenService } from '../../auth/token-service.ts';
import { RegistryError } from '../../core/errors.ts';
import { canonicalRepositoryName, isValidRepositoryName } from '../../core/reference.ts';
import { parseScopes } from '../../core/scope.ts';
import { readLimited } from '../body.ts';
import { sendError } from '../errors.ts';

export interface TokenDeps {
  readonly accounts: Accounts;
  readonly authorizer: Authorizer;
  readonly tokens: TokenService;
  /** Reports logins for the audit log. */
  readonly onLogin?: (event: { account: string; address: string; ok: boolean; via: string }) => void;
}

export function registerTokenRoutes(app: FastifyInstance, deps: TokenDeps): void {
  app.get('/auth/token', (request, reply) => handle(request, reply, deps, 'get'));
  app.post('/auth/token', (request, reply) => handle(request, reply, deps, 'post'));
}

async function handle(request: FastifyRequest, reply: FastifyReply, deps: TokenDeps, kind: 'get' | 'post'): Promise<FastifyReply> {
  request.routeKind = `token_${kind}`;
  try {
    const params = kind === 'get' ? new URLSearchParams(request.raw.url?.split('?')[1] ?? '') : await formBody(request);
    const service = params.get('service');
    if (service !== null && service !== deps.tokens.options.service) {
      throw new RegistryError('INVALID_REQUEST', { service }, { message: `this registry's service is ${deps.tokens.options.service}` });
    }
    const { principal, credential } = await whoIsAsking(request, params, deps, kind);
    const grants = await grantsFor(deps.authorizer, principal, params.getAll('scope'));
    const issued = await deps.tokens.issue(principal?.name ?? '', grants, credential);
    const body: Record<string, unknown> = {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt.toISOString(),
    };
    if (principal && credential && params.get('access_type') === 'offline') {
      body.refresh_token = await deps.tokens.issueRefresh(principal.name, credential);
    }
    return reply.code(200).header('Cache-Control', 'no-store').send(body);
  } catch (error) {
    return sendError(request, reply, error);
  }
}

async function formBody(request: FastifyRequest): Promise<URLSearchParams> {
  const body = await readLimited(request.raw, 64 * 1024, 'SIZE_INVALID');
  return new URLSearchParams(body.toString('utf8'));
}

/**
 * The caller and the credential they presented (none for anonymous). A refresh token stands for
 * the credential it was issued for: it is honoured only while that credential is, and with its
 * rights, never the whole account's.
 */
async function whoIsAsking(request: FastifyRequest, params: URLSearchParams, deps: TokenDeps, kind: 'get' | 'post'): Promise<{ principal?: Principal; credential?: CredentialRef }> {
  const address = request.ip;
  const unauthorized = (reason: string, retryAfterMs?: number) => retryAfterMs
    ? new RegistryError('TOOMANYREQUESTS', undefined, { message: reason, headers: { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) } })
    : new RegistryError('UNAUTHORIZED', undefined, { message: reason, headers: { 'WWW-Authenticate': 'Basic realm="Berth Registry"' } });

  let username: string | undefined;
  let password: string | undefined;
  if (kind === 'post') {
    const grant = params.get('grant_type');
    if (grant === 'refresh_token') {
      const refresh = await deps.tokens.verifyRefresh(params.get('refresh_token') ?? '');
      const principal = refresh ? await deps.accounts.principalOf(refresh.credential) : undefined;
      if (!refresh || !principal || principal.name !== refresh.subject) {
        throw unauthorized('invalid or expired refresh token, or the credential it was issued for was revoked or changed; log in again');
      }
      return { principal, credential: refresh.credential };
    }
    if (grant !== 'password') throw new RegistryError('INVALID_REQUEST', { grant_type: grant }, { message: 'grant_type must be password or refresh_token' });
    username = params.get('username') ?? undefined;
    password = params.get('password') ?? undefined;
    if (!username || password === undefined) throw unauthorized('username and password are required');
  } else if (request.headers.authorization) {
    const creds = parseBasic(request.headers.authorization);
    if (!creds) throw unauthorized('unsupported or malformed Authorization header');
    username = creds.username;
    password = creds.password;
  }
  if (username === undefined || password === undefined) return {};
  const login = await deps.accounts.login(username, password, address);
  deps.onLogin?.({ account: username, address, ok: login.ok, via: login.ok ? login.via : 'password' });
  if (!login.ok) throw unauthorized(login.reason, login.retryAfterMs);
  return { principal: login.principal, credential: login.credential };
}

/** The intersection of what was asked for and what the account may do. */
async function grantsFor(authorizer: Authorizer, principal: Principal | undefined, scopes: string[]): Promise<Grant[]> {
  const grants: Grant[] = [];
  for (const scope of parseScopes(scopes)) {
    if (scope.type === 'registry') {
      grants.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      continue;
    }
    if (!isValidRepositoryName(scope.name)) continue;
    let name: string;
    try {
      name = canonicalRepositoryName(scope.name);
    } catch {
      continue;
    }
    const actions = await authorizer.allowed(principal, name, scope.actions);
    // Granted under the canonical name (library/ added), which is what /v2 checks.
    if (actions.length) grants.push({ type: 'repository', name, actions });
  }
  return grants;
}
