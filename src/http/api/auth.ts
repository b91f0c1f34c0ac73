// Who is calling /api/v1: Basic credentials (a user's password or access token bpat_..., or a
// robot's name and secret) checked by Accounts.login, or nobody. Failed logins are refused with
// 401 (429 while the account is locked); routes that need a login refuse anonymous callers.
import type { FastifyRequest } from 'fastify';
import type { Accounts } from '../../auth/accounts.ts';
import { parseBasic } from '../../auth/basic-credentials.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="Berth API"' };

export function unauthorized(message: string): RegistryError {
  return new RegistryError('UNAUTHORIZED', undefined, { message, headers: CHALLENGE });
}

export const LOGIN_REQUIRED = 'this needs a login: send Basic credentials (user and password or access token, or robot name and secret)';

/** The caller, or undefined for an anonymous request; throws on bad credentials. */
export async function resolveCaller(request: FastifyRequest, accounts: Accounts, onFailedLogin?: (account: string, address: string) => void): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (!header) return undefined;
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
