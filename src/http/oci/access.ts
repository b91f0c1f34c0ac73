// Authentication and authorization for /v2, with the statuses clients expect:
// - no or anonymous credentials: 401 with a challenge, so the client logs in and retries;
// - a bearer token that lacks a grant its account could get: 401 (error="insufficient_scope"),
//   so the client fetches a new token;
// - a logged-in account without the right: 403 DENIED, "requested access to the resource is denied".
import type { FastifyRequest } from 'fastify';
import type { Action, AuthProvider, Identity } from '../../auth/provider.ts';
import { RegistryError } from '../../core/errors.ts';

/**
 * The scheme and host the client used, for the token realm: server.publicUrl when set, else the
 * request's. Fastify's request.protocol and request.host follow X-Forwarded-Proto and -Host only
 * from the proxies in server.trustProxy; from anyone else those headers are ignored.
 */
export function baseUrlOf(request: FastifyRequest, publicUrl: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const proto = request.protocol === 'https' ? 'https' : 'http';
  const given = request.host;
  const host = given && /^[A-Za-z0-9.:[\]-]+$/.test(given) ? given : request.hostname;
  return `${proto}://${host}`;
}

export async function authenticate(auth: AuthProvider, request: FastifyRequest, publicUrl: string): Promise<Identity | undefined> {
  const result = await auth.authenticate(request.headers.authorization, request.ip);
  if (!result.ok) {
    if (result.retryAfterSeconds) {
      throw new RegistryError('TOOMANYREQUESTS', undefined, { message: result.reason, headers: { 'Retry-After': String(result.retryAfterSeconds) } });
    }
    throw new RegistryError('UNAUTHORIZED', undefined, {
      message: result.reason,
      headers: { 'WWW-Authenticate': auth.challenge({ baseUrl: baseUrlOf(request, publicUrl) }) },
    });
  }
  return result.identity;
}

/**
 * The scope a challenge names for an action. A push asks for pull,push, as Distribution's
 * challenge does: a push also reads (HEAD on blobs, the manifest), so a client that asks for
 * exactly the challenged scope gets a token that serves the whole push.
 */
export function scopeOf(repository: string | undefined, action: Action): string {
  if (!repository) return 'registry:catalog:*';
  return `repository:${repository}:${action === 'push' ? 'pull,push' : action}`;
}

/** The pull scope of a mount's source repository, named in the challenge beside the target's. */
export function mountSourceScope(source: string): string {
  return `repository:${source}:pull`;
}

/**
 * 401 insufficient_scope for a bearer token: its account could get what the request needs, the
 * token does not hold it. `scopes` go into one scope="..." parameter, separated by spaces (the
 * Docker token spec's form for several scopes).
 */
export function insufficientScope(auth: AuthProvider, request: FastifyRequest, publicUrl: string, scopes: readonly string[], detail?: unknown): RegistryError {
  return new RegistryError('UNAUTHORIZED', detail, {
    message: 'the token does not grant this access; request a new one',
    headers: { 'WWW-Authenticate': auth.challenge({ baseUrl: baseUrlOf(request, publicUrl), scope: scopes.join(' '), error: 'insufficient_scope' }) },
  });
}

/** Told about each 403 refusal (for the audit log). */
export type DeniedListener = (denial: { identity: Identity; repository: string | undefined; action: Action; address: string }) => void;

/**
 * Throws unless the caller may do `action` on `repository`. `alsoScopes` are named in a 401's
 * challenge beside the needed scope, for what the request will use if it is granted (a mount's
 * source: repository:SRC:pull), so that a client asking for exactly the challenged scopes gets a
 * token that serves the whole request.
 */
export async function requireAccess(auth: AuthProvider, request: FastifyRequest, publicUrl: string, identity: Identity | undefined, repository: string | undefined, action: Action, onDenied?: DeniedListener, alsoScopes: readonly string[] = []): Promise<void> {
  if (await auth.authorize(identity, repository, action)) return;
  const detail = repository ? [{ Type: 'repository', Name: repository, Action: action }] : undefined;
  const scope = [scopeOf(repository, action), ...alsoScopes].join(' ');
  const baseUrl = baseUrlOf(request, publicUrl);
  const anonymous = !identity || !identity.name;
  // A bearer token (an anonymous one too) that lacks a grant its holder could get: 401
  // insufficient_scope, so the client fetches a token for the challenged scope. containers/image
  // asks for a token without a scope before it lists the catalog, and retries only on that error.
  const insufficient = Boolean(identity?.grants && auth.couldObtain && (await auth.couldObtain(identity, repository, action)));
  if (anonymous || insufficient) {
    throw new RegistryError('UNAUTHORIZED', detail, {
      message: anonymous && !insufficient ? 'requested access to the resource is denied' : 'the token does not grant this access; request a new one',
      headers: { 'WWW-Authenticate': auth.challenge({ baseUrl, scope, ...(insufficient ? { error: 'insufficient_scope' as const } : {}) }) },
    });
  }
  onDenied?.({ identity, repository, action, address: request.ip });
  // The reason goes in the detail: clients print "denied: requested access to the resource is
  // denied", and the detail says why (a missing project, a role, a token's limits).
  const reason = repository && auth.explainDenial ? await auth.explainDenial(identity, repository, action) : undefined;
  throw new RegistryError('DENIED', detail && reason ? detail.map((d) => ({ ...d, Reason: reason })) : detail);
}

/** Whether the caller may do `action` on `repository`, without throwing. */
export async function mayAccess(auth: AuthProvider, identity: Identity | undefined, repository: string, action: Action): Promise<boolean> {
  return auth.authorize(identity, repository, action);
}
