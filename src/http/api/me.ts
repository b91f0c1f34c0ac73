// /api/v1/me: who the credentials belong to (the CLI and the web UI ask after a login).
import { z } from 'zod';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const MeSchema = z.object({
  kind: z.enum(['user', 'robot']),
  name: z.string(),
  admin: z.boolean(),
  via: z.enum(['password', 'token', 'robot']).optional(),
  projects: z.array(z.object({ name: z.string(), role: z.string() })).optional().describe('users: their memberships'),
  limit: z.object({ actions: z.array(z.string()), projects: z.array(z.string()).optional() }).optional().describe('set when signed in with an access token'),
  permissions: z.array(z.object({ project: z.string(), actions: z.array(z.string()) })).optional().describe('robots: what they may do'),
  oidc: z.boolean().optional().describe('users: whether they sign in through an OpenID Connect provider (and so may make a CLI secret)'),
});

export function meRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    route({
      method: 'GET', path: '/me', resource: 'me', auth: 'required', summary: 'The signed-in account',
      status: 200, response: MeSchema, errors: [],
      handler: async ({ actor }) => {
        if (actor.kind === 'robot') {
          return {
            kind: 'robot', name: actor.name, admin: false, via: 'robot',
            permissions: [...actor.permissions].map(([project, actions]) => ({ project, actions: [...actions] })),
          };
        }
        const user = await deps.users.get(actor.name);
        return {
          kind: 'user', name: actor.name, admin: actor.admin, via: actor.limit ? 'token' : 'password', projects: user.projects,
          oidc: deps.external ? await deps.external.isOidcUser(actor.id) : false,
          ...(actor.limit ? { limit: { actions: [...actor.limit.actions], ...(actor.limit.projects ? { projects: [...actor.limit.projects] } : {}) } } : {}),
        };
      },
    }),
  ];
}
