// /api/v1/projects: organisation and personal projects, their visibility and settings.
// Anonymous callers see public projects only.
import { z } from 'zod';
import { projectStats } from '../../metadata/project-stats.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const Visibility = z.enum(['public', 'private']);
const Role = z.enum(['owner', 'maintainer', 'developer', 'guest']);

export const ProjectSchema = z.object({
  name: z.string(),
  visibility: Visibility,
  description: z.string(),
  createdAt: z.string().describe('ISO 8601'),
  verified: z.boolean().describe('Verified Publisher (administrators set it)'),
  sponsored: z.boolean().describe('Sponsored OSS (administrators set it)'),
  role: Role.optional().describe("the caller's role, when they are a member"),
  quota: z.object({
    limitBytes: z.number().int().nullable().describe('the storage quota in bytes; null: none'),
    usedBytes: z.number().int().describe('distinct blobs and manifests the project\'s repositories link, plus open uploads\' bytes'),
    percent: z.number().nullable().describe('usedBytes of limitBytes, in percent; null without a quota'),
    usage: z.object({ blobs: z.number().int(), manifests: z.number().int(), uploads: z.number().int() }),
    warnedAt: z.string().nullable().describe('when the 80% warning was sent (again only after usage went below 80%)'),
  }).optional().describe('storage quota and usage (members and administrators; not in the list)'),
  repositoryCount: z.number().int().optional().describe('in the list: how many repositories the project holds'),
  storageBytes: z.number().int().optional().describe('in the list: the distinct blobs and manifests its repositories link'),
});
const CreateProject = z.strictObject({
  name: z.string().min(1),
  visibility: Visibility.optional(),
  public: z.boolean().optional().describe('shorthand for visibility public'),
  description: z.string().max(1024).optional(),
});
const RemoveProjectQuery = z.object({
  repositories: z.enum(['delete']).optional().describe('delete the project\'s repositories (tags, manifests, blob links) with it'),
});
const UpdateProject = z.strictObject({
  visibility: Visibility.optional(),
  description: z.string().max(1024).optional(),
  verified: z.boolean().optional().describe('administrators only'),
  sponsored: z.boolean().optional().describe('administrators only'),
  quotaBytes: z.number().int().min(0).max(4 * 2 ** 50).nullable().optional().describe('storage quota in bytes, null for none (administrators only)'),
});

export function projectRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'projects';
  return [
    route({
      method: 'GET', path: '/projects', resource, auth: 'optional', summary: 'Projects the caller may see (anonymous: public ones)',
      status: 200, response: z.object({ projects: z.array(ProjectSchema) }), errors: [],
      handler: async ({ actor }) => {
        const [projects, stats] = await Promise.all([deps.projects.list(actor), projectStats(deps.db)]);
        return { projects: projects.map((p) => ({ ...p, repositoryCount: stats.get(p.name)?.repositories ?? 0, storageBytes: stats.get(p.name)?.storageBytes ?? 0 })) };
      },
    }),
    route({
      method: 'POST', path: '/projects', resource, auth: 'required', summary: 'Create a project; the caller becomes its owner',
      body: CreateProject, status: 201, response: ProjectSchema, errors: [403, 409],
      handler: async ({ actor, body }) =>
        deps.projects.create(actor, body.name, body.visibility ?? (body.public ? 'public' : 'private'), body.description ?? ''),
    }),
    route({
      method: 'GET', path: '/projects/{name}', resource, auth: 'optional', summary: 'One project (404 when the caller may not see it)',
      status: 200, response: ProjectSchema, errors: [404],
      handler: async ({ actor, params }) => deps.projects.get(actor, params.name!),
    }),
    route({
      method: 'PATCH', path: '/projects/{name}', resource, auth: 'required', summary: 'Change visibility or description (owners, administrators); verified, sponsored and the storage quota (administrators only)',
      body: UpdateProject, status: 200, response: ProjectSchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => deps.projects.update(actor, params.name!, body),
    }),
    route({
      method: 'DELETE', path: '/projects/{name}', resource, auth: 'required',
      summary: 'Remove an organisation project (owners, administrators); refused while it holds repositories, unless repositories=delete',
      query: RemoveProjectQuery, status: 204, errors: [403, 404, 409],
      handler: async ({ actor, params, query }) => {
        await deps.projects.remove(actor, params.name!, { withRepositories: query.repositories === 'delete' });
      },
    }),
  ];
}

export { Role as RoleSchema };
