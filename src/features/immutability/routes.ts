// /api/v1 routes of tag immutability: a project's rules (members read them; owners, maintainers
// and administrators add and remove them, audited), and which tags of a repository are immutable
// (whoever may pull it; the tags view marks them).
import { z } from 'zod';
import type { Authorizer } from '../../auth/authorizer.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import { isValidRepositoryName, isValidTag } from '../../core/reference.ts';
import { route, type ApiRoute } from '../../http/api/route.ts';
import type { Registry } from '../../registry/registry.ts';
import type { ImmutabilityRules } from './rules.ts';
import { ImmutableRuleSchema, ImmutableRulesSchema, ImmutableTagsSchema } from './views.ts';

export interface ImmutabilityRouteDeps {
  readonly rules: ImmutabilityRules;
  readonly registry: Registry;
  readonly authorizer: Authorizer;
}

const NewRule = z.strictObject({
  repos: z.string().min(1).max(256).describe('pattern over the repository path inside the project ("**": every repository)'),
  tags: z.string().min(1).max(256).describe('pattern over tag names ("v*")'),
});
const TagsQuery = z.object({ tags: z.string().max(100 * 130).describe('comma-separated tag names (at most 100)') });

async function readable(authorizer: Authorizer, actor: Principal | undefined, params: Record<string, string>): Promise<string> {
  const name = `${params.project}/${params.repository}`;
  if (!isValidRepositoryName(name) || !(await authorizer.allows(actor, name, 'pull'))) {
    throw new RegistryError('NOT_FOUND', { repository: name.slice(0, 300) }, { message: `no repository ${name.slice(0, 300)}` });
  }
  return name;
}

export function immutabilityRoutes(deps: ImmutabilityRouteDeps): ApiRoute[] {
  const { rules, registry, authorizer } = deps;
  const resource = 'immutable_rules';
  return [
    route({
      method: 'GET', path: '/projects/{name}/immutable-rules', resource, auth: 'required',
      summary: "A project's tag immutability rules (members read them)",
      status: 200, response: ImmutableRulesSchema, errors: [403, 404],
      handler: async ({ actor, params }) => rules.list(actor, params.name!),
    }),
    route({
      method: 'POST', path: '/projects/{name}/immutable-rules', resource, auth: 'required', body: NewRule,
      summary: 'Make the tags matching both patterns immutable: they can no longer be moved or deleted (owners, maintainers and administrators)',
      status: 201, response: ImmutableRuleSchema, errors: [403, 404, 409],
      handler: async ({ actor, params, body }) => rules.add(actor, params.name!, body),
    }),
    route({
      method: 'DELETE', path: '/projects/{name}/immutable-rules/{id}', resource, auth: 'required',
      summary: 'Remove an immutability rule (owners, maintainers and administrators); the tags it covered can move again',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => {
        const id = /^\d{1,15}$/.test(params.id!) ? Number(params.id) : -1;
        await rules.remove(actor, params.name!, id, params.id!.slice(0, 40));
      },
    }),
    route({
      method: 'GET', path: '/repositories/{project}/{repository}/immutable', resource, query: TagsQuery, auth: 'optional',
      summary: 'Which of these tags are immutable, and by which rule (the tags view); untagged digests are never immutable',
      status: 200, response: ImmutableTagsSchema, errors: [404],
      handler: async ({ actor, params, query }) => {
        const name = await readable(authorizer, actor, params);
        const tags = [...new Set(query.tags.split(',').map((t) => t.trim()).filter(Boolean))];
        if (tags.length > 100) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'at most 100 tags at once' });
        const valid = tags.filter(isValidTag);
        const repo = await registry.repositories.find(name);
        const found = await rules.tagsOf(registry.deps.db, name, repo?.id, valid);
        return {
          repository: name,
          tags: Object.fromEntries([...found].map(([tag, rule]) => [tag, { immutable: rule !== undefined, rule: rule ? { id: rule.id, repos: rule.repos, tags: rule.tags } : null }])),
        };
      },
    }),
  ];
}
