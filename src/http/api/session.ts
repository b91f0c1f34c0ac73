// /api/v1/session: the web UI signs in with a user's password and gets the berth_session cookie
// (HttpOnly, SameSite=Strict, Path=/, Secure behind https; 12 h, sliding), and signs out.
// Only users sign in here: robot accounts and personal access tokens are refused with 403, since
// they are meant for clients that send Basic credentials. Failed sign-ins are rate-limited per
// account and address (Accounts.login, as for Basic) and audited as login_failed.
import { z } from 'zod';
import { ROBOT_PREFIX } from '../../auth/accounts.ts';
import { RegistryError } from '../../core/errors.ts';
import { answerClearingSession, answerWithSession, sessionSecret, unauthorized } from './auth.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const SignIn = z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(4096) });

/** The /me shape for a user (see me.ts). */
const SessionUserSchema = z.object({
  kind: z.literal('user'),
  name: z.string(),
  admin: z.boolean(),
  via: z.literal('password'),
  projects: z.array(z.object({ name: z.string(), role: z.string() })),
});

export function sessionRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'session';
  const sessions = () => {
    if (!deps.sessions) throw new RegistryError('NOT_FOUND', undefined, { message: 'web UI sessions are not enabled' });
    return deps.sessions;
  };
  return [
    route({
      method: 'POST', path: '/session', resource, auth: 'optional',
      summary: 'Sign in to the web UI with a user name and password: sets the berth_session cookie (robots and access tokens are refused with 403)',
      body: SignIn, status: 200, response: SessionUserSchema, errors: [401, 403, 429],
      handler: async ({ body, request }) => {
        const service = sessions();
        const address = request.ip;
        if (body.username.startsWith(ROBOT_PREFIX)) {
          throw new RegistryError('DENIED', undefined, { message: 'robot accounts cannot sign in to the web UI; they send Basic credentials' });
        }
        const login = await deps.accounts.login(body.username, body.password, address);
        if (!login.ok) {
          if (deps.onLogin) deps.onLogin({ account: body.username, address, ok: false, via: 'session' });
          else deps.access?.onFailedLogin?.(body.username, address);
          if (login.retryAfterMs) {
            throw new RegistryError('TOOMANYREQUESTS', undefined, { message: login.reason, headers: { 'Retry-After': String(Math.ceil(login.retryAfterMs / 1000)) } });
          }
          throw unauthorized(login.reason);
        }
        const principal = login.principal;
        if (login.via !== 'password' || principal.kind !== 'user') {
          throw new RegistryError('DENIED', undefined, { message: 'sign in to the web UI with your password; access tokens are for docker and API clients' });
        }
        const { secret } = await service.create(principal.id);
        answerWithSession(request, secret);
        deps.onLogin?.({ account: principal.name, address, ok: true, via: 'session' });
        const user = await deps.users.get(principal.name);
        return { kind: 'user', name: principal.name, admin: principal.admin, via: 'password', projects: user.projects };
      },
    }),
    route({
      method: 'GET', path: '/session', resource, auth: 'optional',
      summary: 'Who the web UI is signed in as ({ user: null } when nobody is: not a 401, so a signed-out page load logs no error)',
      status: 200, response: z.object({ user: SessionUserSchema.nullable() }), errors: [],
      handler: async ({ actor }) => {
        if (!actor || actor.kind !== 'user' || actor.limit) return { user: null };
        const user = await deps.users.get(actor.name);
        return { user: { kind: 'user', name: actor.name, admin: actor.admin, via: 'password', projects: user.projects } };
      },
    }),
    route({
      method: 'DELETE', path: '/session', resource, auth: 'optional', summary: 'Sign out of the web UI: ends the session and clears the cookie',
      status: 204, errors: [],
      handler: async ({ request }) => {
        const secret = sessionSecret(request);
        if (secret !== undefined) await sessions().destroy(secret);
        answerClearingSession(request);
      },
    }),
  ];
}
