// Who is calling /api/v1: Basic credentials (a user's password or access token bpat_..., or a
// robot's name and secret) checked by Accounts.login, else the web UI's session cookie, or nobody.
// Failed logins are refused with 401 (429 while the account is locked); routes that need a login
// refuse anonymous callers. A cookie-authenticated request that changes state must carry
// X-Berth-CSRF (docs/discovery.md, Cookie sessions and CSRF).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Accounts } from '../../auth/accounts.ts';
import { parseBasic } from '../../auth/basic-credentials.ts';
import type { Principal } from '../../auth/principal.ts';
import { SESSION_TTL_MS, type SessionService } from '../../auth/sessions.ts';
import { RegistryError } from '../../core/errors.ts';

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="Berth API"' };

export function unauthorized(message: string): RegistryError {
  return new RegistryError('UNAUTHORIZED', undefined, { message, headers: CHALLENGE });
}

export const LOGIN_REQUIRED = 'this needs a login: send Basic credentials (user and password or access token, or robot name and secret)';

/** The caller, or undefined for an anonymous request; throws on bad credentials. */
export async function resolveCaller(request: FastifyRequest, accounts: Accounts, onFailedLogin?: (account: string, address: string) => void, sessions?: SessionService): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (!header) return sessions ? sessionCaller(request, sessions) : undefined;
  const creds = parseBasic(header);
  if (!creds) throw unauthorized('the API accepts Basic credentials only (user and password, access token, or robot secret)');
  const login = await accounts.login(creds.username, creds.password, request.ip);
  if (login.ok) return login.principal;
  onFailedLogin?.(creds.username, request.ip);
  if (login.retryAfterMs) {
    throw new RegistryError('TOOMANYREQUESTS', undefined, { message: login.reason, headers: { 'Retry-After': String(Math.ceil(login.retryAfterMs / 1000)) } });
  }
  throw unauthorized(login.reason);
}

export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-berth-csrf';

/** What the response to a request must do with the session cookie (see browserHooks). */
const cookieActions = new WeakMap<FastifyRequest, { set: string } | { clear: true }>();

/** The berth_session cookie's value, if the request carries one. */
export function sessionSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The cookie's user; unknown, expired or forged cookies and disabled users are anonymous (and the cookie is cleared). */
async function sessionCaller(request: FastifyRequest, sessions: SessionService): Promise<Principal | undefined> {
  const secret = sessionSecret(request);
  if (secret === undefined) return undefined;
  const found = await sessions.resolve(secret);
  if (!found) {
    cookieActions.set(request, { clear: true });
    return undefined;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD' && request.headers[CSRF_HEADER] !== '1') {
    throw new RegistryError('DENIED', undefined, { message: `a request signed in by the session cookie that changes state needs the header X-Berth-CSRF: 1` });
  }
  if (found.refreshed) cookieActions.set(request, { set: secret });
  return found.principal;
}

/** The answer to this request sets the session cookie (a sign-in). */
export function answerWithSession(request: FastifyRequest, secret: string): void {
  cookieActions.set(request, { set: secret });
}

/** The answer to this request clears the session cookie (a sign-out). */
export function answerClearingSession(request: FastifyRequest): void {
  cookieActions.set(request, { clear: true });
}

/** Set-Cookie for a new (or refreshed) session. */
export function sessionCookie(secret: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${secret}; Max-Age=${SESSION_TTL_MS / 1000}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** Set-Cookie that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** Cookies go out with Secure when Berth's public URL is https. */
export function secureCookies(publicUrl: string | undefined): boolean {
  return (publicUrl ?? '').toLowerCase().startsWith('https:');
}

/**
 * Response hooks for browsers: a 401 to a request carrying X-Berth-CSRF has no
 * WWW-Authenticate (no password dialog), a slid session gets its cookie re-sent with a fresh
 * lifetime, and a dead session cookie is cleared.
 */
export function browserHooks(api: FastifyInstance, publicUrl: string | undefined): void {
  const secure = secureCookies(publicUrl);
  api.addHook('onSend', async (request, reply, payload) => {
    if (request.headers[CSRF_HEADER] !== undefined) reply.removeHeader('WWW-Authenticate');
    const action = cookieActions.get(request);
    if (action && !reply.hasHeader('Set-Cookie')) reply.header('Set-Cookie', 'set' in action ? sessionCookie(action.set, secure) : clearedSessionCookie(secure));
    return payload;
  });
}
