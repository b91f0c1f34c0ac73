// /api/v1/group-mappings and /api/v1/projects/{name}/group-mappings: a provider's group mapped to
// a project role or to system administrator (docs/access.md, Group mappings); and
// /api/v1/identity-providers, the sign-in choices the web UI offers.
import { z } from 'zod';
import { RegistryError } from '../../core/errors.ts';
import type { GroupMappingService } from '../../auth/external/group-mappings.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const MappingSchema = z.object({
  provider: z.string(),
  group: z.string(),
  project: z.string().nullable().describe('null: the group makes system administrators'),
  role: z.enum(['owner', 'maintainer', 'developer', 'guest', 'admin']),
  createdAt: z.string().describe('ISO 8601'),
  createdBy: z.string(),
});
const SetProjectMapping = z.strictObject({
  provider: z.string().min(1).max(40),
  group: z.string().min(1).max(256),
  role: z.enum(['owner', 'maintainer', 'developer', 'guest']),
});
const SetAdminMapping = z.strictObject({ provider: z.string().min(1).max(40), group: z.string().min(1).max(256) });
const Which = z.strictObject({ provider: z.string().min(1).max(40), group: z.string().min(1).max(256) });
const ProviderSchema = z.object({ name: z.string(), type: z.enum(['builtin', 'ldap', 'oidc']), displayName: z.string() });

export function groupMappingRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'group_mappings';
  const service = (): GroupMappingService => {
    if (!deps.groupMappings) throw new RegistryError('NOT_FOUND', undefined, { message: 'group mappings need auth.mode builtin' });
    return deps.groupMappings;
  };
  return [
    route({
      method: 'GET', path: '/identity-providers', resource: 'identity_providers', auth: 'optional',
      summary: 'Where users sign in: the local accounts and each provider of auth.providers, by name (the web UI shows them)',
      status: 200, response: z.object({ providers: z.array(ProviderSchema) }), errors: [],
      handler: async () => ({ providers: deps.identityProviders ?? [{ name: 'builtin', type: 'builtin' as const, displayName: 'builtin' }] }),
    }),
    route({
      method: 'GET', path: '/group-mappings', resource, auth: 'required', summary: 'Every group mapping (administrators)',
      status: 200, response: z.object({ mappings: z.array(MappingSchema) }), errors: [403],
      handler: async ({ actor }) => ({ mappings: await service().list(actor) }),
    }),
    route({
      method: 'PUT', path: '/group-mappings/admins', resource, auth: 'required', summary: "Map a provider's group to system administrator (administrators)",
      body: SetAdminMapping, status: 200, response: MappingSchema, errors: [403],
      handler: async ({ actor, body }) => service().set(actor, { provider: body.provider, group: body.group }, 'admin'),
    }),
    route({
      method: 'DELETE', path: '/group-mappings/admins', resource, auth: 'required', summary: 'Remove a mapping to system administrator (administrators)',
      query: Which, status: 204, errors: [403, 404],
      handler: async ({ actor, query }) => service().remove(actor, { provider: query.provider, group: query.group }),
    }),
    route({
      method: 'GET', path: '/projects/{name}/group-mappings', resource, auth: 'required', summary: "A project's group mappings (owners, administrators)",
      status: 200, response: z.object({ mappings: z.array(MappingSchema) }), errors: [403, 404],
      handler: async ({ actor, params }) => ({ mappings: await service().list(actor, params.name!) }),
    }),
    route({
      method: 'PUT', path: '/projects/{name}/group-mappings', resource, auth: 'required',
      summary: "Map a provider's group to a role in the project, or change its role (owners, administrators); applied at each member's next sign-in",
      body: SetProjectMapping, status: 200, response: MappingSchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => service().set(actor, { provider: body.provider, group: body.group, project: params.name! }, body.role),
    }),
    route({
      method: 'DELETE', path: '/projects/{name}/group-mappings', resource, auth: 'required',
      summary: 'Remove a group mapping of the project (owners, administrators); the memberships it made end at the next sign-in',
      query: Which, status: 204, errors: [403, 404],
      handler: async ({ actor, params, query }) => service().remove(actor, { provider: query.provider, group: query.group, project: params.name! }),
    }),
  ];
}
