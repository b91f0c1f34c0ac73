// /api/v1/users: accounts (admins manage them; everyone may read themself and change their own password).
import { z } from 'zod';
import { isAdmin } from '../../auth/directory/actor.ts';
import { sessionIdHash } from '../../auth/sessions.ts';
import { RegistryError } from '../../core/errors.ts';
import { sessionSecret } from './auth.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

export const UserSchema = z.object({
  name: z.string(),
  admin: z.boolean(),
  disabled: z.boolean(),
  createdAt: z.string().describe('ISO 8601'),
});
export const UserDetailSchema = UserSchema.extend({
  projects: z.array(z.object({ name: z.string(), role: z.string() })),
});
const CreateUser = z.strictObject({
  name: z.string().min(1),
  password: z.string().min(1),
  admin: z.boolean().optional(),
});
const UpdateUser = z.strictObject({ admin: z.boolean().optional(), disabled: z.boolean().optional().describe('true also ends their sessions and tokens') });
const RemoveUserQuery = z.object({
  personalProject: z.enum(['delete', 'keep']).optional()
    .describe("when the user's personal project holds repositories: delete it with them, or keep it as an organisation project owned by you"),
});
const UserRemovalSchema = z.object({
  user: z.string(),
  personalProject: z.enum(['removed', 'kept', 'none']),
  repositories: z.array(z.string()).describe('the personal project\'s repositories, removed or kept'),
});
const SetPassword = z.strictObject({
  password: z.string().min(1),
  currentPassword: z.string().min(1).optional().describe('needed when a browser session changes its own password'),
});

export function userRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'users';
  return [
    route({
      method: 'GET', path: '/users', resource, auth: 'required', summary: 'List users (administrators)',
      status: 200, response: z.object({ users: z.array(UserSchema) }), errors: [403],
      handler: async ({ actor }) => ({ users: await deps.users.list(actor) }),
    }),
    route({
      method: 'POST', path: '/users', resource, auth: 'required', summary: 'Create a user with a personal project (administrators)',
      body: CreateUser, status: 201, response: UserSchema, errors: [403, 409],
      handler: async ({ actor, body }) => deps.users.create(actor, body.name, body.password, body.admin ?? false),
    }),
    route({
      method: 'GET', path: '/users/{name}', resource, auth: 'required', summary: 'A user and their projects (themself or administrators)',
      status: 200, response: UserDetailSchema, errors: [403, 404],
      handler: async ({ actor, params }) => {
        if (!(isAdmin(actor) || (actor.kind === 'user' && actor.name === params.name))) {
          throw new RegistryError('DENIED', undefined, { message: 'you may only read your own account' });
        }
        return deps.users.get(params.name!);
      },
    }),
    route({
      method: 'PATCH', path: '/users/{name}', resource, auth: 'required', summary: 'Make a user an administrator or disable them (administrators)',
      body: UpdateUser, status: 200, response: UserSchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => deps.users.update(actor, params.name!, body),
    }),
    route({
      method: 'DELETE', path: '/users/{name}', resource, auth: 'required',
      summary: 'Remove a user (administrators): their sessions and tokens end; an empty personal project goes with them, one with repositories needs personalProject',
      query: RemoveUserQuery, status: 200, response: UserRemovalSchema, errors: [403, 404, 409],
      handler: async ({ actor, params, query }) => deps.users.remove(actor, params.name!, query.personalProject ? { personalProject: query.personalProject } : {}),
    }),
    route({
      method: 'PUT', path: '/users/{name}/password', resource, auth: 'required', summary: 'Set a password (themself or administrators)',
      body: SetPassword, status: 204, errors: [403, 404, 429],
      handler: async ({ actor, params, body, request }) => {
        // A session cookie alone (a browser left signed in) must not be enough to take over the
        // account: changing one's own password then needs the current one, as on Docker Hub.
        const secret = request.headers.authorization ? undefined : sessionSecret(request);
        if (secret !== undefined && actor.kind === 'user' && actor.name === params.name) {
          await confirmCurrentPassword(deps, actor.name, body.currentPassword, request.ip);
        }
        // Every other session of the user ends; the browser session making the change goes on.
        return deps.users.setPassword(actor, params.name!, body.password, secret !== undefined && actor.name === params.name ? { keepSession: sessionIdHash(secret) } : {});
      },
    }),
  ];
}

async function confirmCurrentPassword(deps: ApiDeps, user: string, current: string | undefined, address: string): Promise<void> {
  if (current === undefined) {
    throw new RegistryError('INVALID_REQUEST', undefined, { message: 'changing your own password from a browser session needs currentPassword' });
  }
  const login = await deps.accounts.login(user, current, address);
  if (login.ok && login.principal.kind === 'user' && !login.principal.limit) return;
  if (!login.ok && login.retryAfterMs) {
    throw new RegistryError('TOOMANYREQUESTS', undefined, { message: login.reason, headers: { 'Retry-After': String(Math.ceil(login.retryAfterMs / 1000)) } });
  }
  deps.access?.onFailedLogin?.(user, address);
  throw new RegistryError('DENIED', undefined, { message: 'the current password is wrong' });
}
