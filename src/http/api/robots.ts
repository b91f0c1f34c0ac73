// /api/v1/robots: robot accounts for CI. The secret appears only in the create and rotate
// answers. Robot names carry "$" and "+": send them URL-encoded in paths (robot%24proj%2Bci).
import { z } from 'zod';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

export const Actions = z.union([
  z.array(z.enum(['pull', 'push', 'delete'])).min(1),
  z.string().min(1).describe('comma-separated, e.g. "pull,push"'),
]);
export function actionList(a: z.output<typeof Actions>): string {
  return Array.isArray(a) ? a.join(',') : a;
}

export const RobotSchema = z.object({
  name: z.string().describe('robot$<project>+<name>, or robot$<name> for several projects'),
  description: z.string(),
  permissions: z.array(z.object({ project: z.string(), actions: z.array(z.string()) })),
  expiresAt: z.string().nullable(),
  disabled: z.boolean(),
  expired: z.boolean(),
  createdBy: z.string(),
  createdAt: z.string(),
});
const WithSecret = z.object({ robot: RobotSchema, secret: z.string().describe('shown once; use it as the password of the robot name') });
const RobotCommon = {
  name: z.string().min(1).describe('the name part after "+"'),
  description: z.string().max(1024).optional(),
  expiresIn: z.string().optional().describe('e.g. 30d, 12h, 3600s; omitted means no expiry'),
};
const CreateProjectRobot = z.strictObject({ ...RobotCommon, permissions: Actions });
const CreateRobot = z.strictObject({
  ...RobotCommon,
  permissions: z.array(z.strictObject({ project: z.string().min(1), actions: Actions })).min(1),
});
const UpdateRobot = z.strictObject({ disabled: z.boolean() });

export function robotRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'robots';
  const common = (b: { name: string; description?: string | undefined; expiresIn?: string | undefined }) => ({
    name: b.name,
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.expiresIn !== undefined ? { expiresIn: b.expiresIn } : {}),
  });
  return [
    route({
      method: 'GET', path: '/robots', resource, auth: 'required', summary: 'Every robot (administrators)',
      status: 200, response: z.object({ robots: z.array(RobotSchema) }), errors: [403],
      handler: async ({ actor }) => ({ robots: await deps.robots.list(actor) }),
    }),
    route({
      method: 'POST', path: '/robots', resource, auth: 'required',
      summary: 'Create a robot with permissions on one project (owners) or several (administrators); returns the secret once',
      body: CreateRobot, status: 201, response: WithSecret, errors: [403, 404, 409],
      handler: async ({ actor, body }) => deps.robots.create(actor, {
        ...common(body),
        permissions: body.permissions.map((p) => ({ project: p.project, actions: actionList(p.actions) })),
      }),
    }),
    route({
      method: 'GET', path: '/projects/{name}/robots', resource, auth: 'required', summary: "A project's robots (owners, administrators)",
      status: 200, response: z.object({ robots: z.array(RobotSchema) }), errors: [403, 404],
      handler: async ({ actor, params }) => ({ robots: await deps.robots.list(actor, params.name!) }),
    }),
    route({
      method: 'POST', path: '/projects/{name}/robots', resource, auth: 'required', summary: 'Create robot$<project>+<name>; returns the secret once',
      body: CreateProjectRobot, status: 201, response: WithSecret, errors: [403, 404, 409],
      handler: async ({ actor, params, body }) => deps.robots.create(actor, {
        ...common(body),
        permissions: [{ project: params.name!, actions: actionList(body.permissions) }],
      }),
    }),
    route({
      method: 'POST', path: '/robots/{name}/rotate', resource, auth: 'required', summary: 'A new secret (returned once); the old one stops working',
      status: 200, response: WithSecret, errors: [403, 404],
      handler: async ({ actor, params }) => deps.robots.rotate(actor, params.name!),
    }),
    route({
      method: 'PATCH', path: '/robots/{name}', resource, auth: 'required', summary: 'Disable or enable a robot',
      body: UpdateRobot, status: 200, response: RobotSchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => deps.robots.setDisabled(actor, params.name!, body.disabled),
    }),
    route({
      method: 'DELETE', path: '/robots/{name}', resource, auth: 'required', summary: 'Remove a robot',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => deps.robots.remove(actor, params.name!),
    }),
  ];
}
