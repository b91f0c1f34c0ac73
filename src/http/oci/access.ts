// Authentication and authorization for /v2, with the statuses clients expect: 401 with a
// challenge for anonymous callers (they then log in), 403 DENIED for logged-in callers.
import type { Action, AuthProvider, Identity } from '../../auth/provider.ts';
import { RegistryError } from '../../core/errors.ts';

export async function authenticate(auth: AuthProvider, authorization: string | undefined): Promise<Identity | undefined> {
  const result = await auth.authenticate(authorization);
  if (!result.ok) {
    throw new RegistryError('UNAUTHORIZED', undefined, { message: result.reason, headers: { 'WWW-Authenticate': auth.challenge() } });
  }
  return result.identity;
}

export async function requireAccess(auth: AuthProvider, identity: Identity | undefined, repository: string | undefined, action: Action): Promise<void> {
  if (await auth.authorize(identity, repository, action)) return;
  if (!identity) {
    // Anonymous: 401 with a challenge, so the client logs in and retries.
    throw new RegistryError('UNAUTHORIZED', repository ? [{ Type: 'repository', Name: repository, Action: action }] : undefined, {
      message: 'requested access to the resource is denied',
      headers: { 'WWW-Authenticate': auth.challenge() },
    });
  }
  throw new RegistryError('DENIED', repository ? [{ Type: 'repository', Name: repository, Action: action }] : undefined);
}

/** Whether the caller may do `action` on `repository`, without throwing. */
export async function mayAccess(auth: AuthProvider, identity: Identity | undefined, repository: string, action: Action): Promise<boolean> {
  return auth.authorize(identity, repository, action);
}
