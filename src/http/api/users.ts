// /api/v1/users: accounts (admins manage them; everyone may read themself and change their own password).
import { z } from 'zod';
import { isAdmin } from '../../auth/directory/actor.ts';
import { RegistryError } from '../../core/errors.ts';
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
const UpdateUser = z.strictObject({ admin: z.boolean().optional(), disabled: z.boolean().optional() });
const SetPassword = z.strictObject({ password: z.string().min(1) });

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
      method: 'DELETE', path: '/users/{name}', resource, auth: 'required', summary: 'Remove a user (administrators)',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => deps.users.remove(actor, params.name!),
    }),
    route({
      method: 'PUT', path: '/users/{name}/password', resource, auth: 'required', summary: 'Set a password (themself or administrators)',
      body: SetPassword, status: 204, errors: [403, 404],
      handler: async ({ actor, params, body }) => deps.users.setPassword(actor, params.name!, body.password),
    }),
  ];
}
