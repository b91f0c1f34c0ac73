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
  cliSecret: z.object({
    exists: z.boolean(),
    createdAt: z.string().optional().describe('ISO 8601; absent when unknown (a secret made before Berth recorded it)'),
  }).optional().describe('OIDC users: whether they have a CLI secret (their docker/podman password), and since when'),
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
        const cliSecret = deps.external ? await deps.external.cliSecretOf(actor.id) : undefined;
        return {
          kind: 'user', name: actor.name, admin: actor.admin, via: actor.limit ? 'token' : 'password', projects: user.projects,
          oidc: cliSecret !== undefined,
          ...(cliSecret ? { cliSecret: { exists: cliSecret.exists, ...(cliSecret.createdAt !== undefined ? { createdAt: new Date(cliSecret.createdAt).toISOString() } : {}) } } : {}),
          ...(actor.limit ? { limit: { actions: [...actor.limit.actions], ...(actor.limit.projects ? { projects: [...actor.limit.projects] } : {}) } } : {}),
        };
      },
    }),
  ];
}
