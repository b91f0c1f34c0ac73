// /api/v1/users/{name}/tokens: personal access tokens (bpat_...), a user's own credential for CI
// and `docker login`. The secret appears only in the create answer.
import { z } from 'zod';
import { RegistryError } from '../../core/errors.ts';
import { Actions, actionList } from './robots.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

export const TokenSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  actions: z.array(z.string()),
  projects: z.array(z.string()).describe('empty: every project the user may use'),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
});
const CreateToken = z.strictObject({
  name: z.string().min(1).max(100),
  permissions: Actions,
  projects: z.array(z.string().min(1)).optional(),
  expiresIn: z.string().optional().describe('e.g. 30d; omitted means no expiry'),
});

export function tokenRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'tokens';
  return [
    route({
      method: 'GET', path: '/users/{name}/tokens', resource, auth: 'required', summary: "A user's access tokens, without secrets (themself or administrators)",
      status: 200, response: z.object({ tokens: z.array(TokenSchema) }), errors: [403, 404],
      handler: async ({ actor, params }) => ({ tokens: await deps.accessTokens.list(actor, params.name!) }),
    }),
    route({
      method: 'POST', path: '/users/{name}/tokens', resource, auth: 'required', summary: 'Create an access token; returns the secret once',
      body: CreateToken, status: 201, response: z.object({ token: TokenSchema, secret: z.string().describe('bpat_...; shown once') }), errors: [403, 404],
      handler: async ({ actor, params, body }) => deps.accessTokens.create(actor, params.name!, {
        name: body.name,
        actions: actionList(body.permissions),
        ...(body.projects ? { projects: body.projects } : {}),
        ...(body.expiresIn !== undefined ? { expiresIn: body.expiresIn } : {}),
      }),
    }),
    route({
      method: 'DELETE', path: '/users/{name}/tokens/{id}', resource, auth: 'required', summary: 'Revoke an access token',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => {
        const id = Number(params.id);
        if (!Number.isSafeInteger(id) || id < 1) throw new RegistryError('NOT_FOUND', { id: params.id }, { message: `no token ${params.id}` });
        return deps.accessTokens.revoke(actor, params.name!, id);
      },
    }),
  ];
}
