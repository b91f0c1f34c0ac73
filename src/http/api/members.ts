// /api/v1/projects/{name}/members: who belongs to a project, with which role.
import { z } from 'zod';
import { RoleSchema } from './projects.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

export const MemberSchema = z.object({ user: z.string(), role: RoleSchema, since: z.string().describe('ISO 8601') });
const SetMember = z.strictObject({ role: RoleSchema });

export function memberRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'members';
  return [
    route({
      method: 'GET', path: '/projects/{name}/members', resource, auth: 'required', summary: 'Members of a project (members, administrators)',
      status: 200, response: z.object({ members: z.array(MemberSchema) }), errors: [403, 404],
      handler: async ({ actor, params }) => ({ members: await deps.projects.members(actor, params.name!) }),
    }),
    route({
      method: 'PUT', path: '/projects/{name}/members/{user}', resource, auth: 'required', summary: 'Add a member or change their role (owners, administrators)',
      body: SetMember, status: 200, response: z.object({ user: z.string(), role: RoleSchema }), errors: [403, 404],
      handler: async ({ actor, params, body }) => {
        await deps.projects.setMember(actor, params.name!, params.user!, body.role);
        return { user: params.user!, role: body.role };
      },
    }),
    route({
      method: 'DELETE', path: '/projects/{name}/members/{user}', resource, auth: 'required', summary: 'Remove a member (owners, administrators)',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => deps.projects.removeMember(actor, params.name!, params.user!),
    }),
  ];
}
