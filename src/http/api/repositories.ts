// /api/v1/repositories/{project}/{repository}: the repository page (docs/discovery.md): detail
// with badges, counts, the caller's star and permissions and a pull command; description and
// labels; stars; the tags view with platforms; retag, untag and manifest deletes (through the
// registry, so push, tag, untag and delete events and webhooks fire as for a client); and
// deleting the whole repository: every manifest through the registry (its events, webhooks,
// audit entries and immutability rules as for a client's deletes), then the row (issue 17).
// {repository} is the rest of the name with "/" percent-encoded (acme/team%2Fapp).
// A caller who may not read the repository gets 404, as for a missing one; a reader who may not
// do the action gets 403.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authorizer } from '../../auth/authorizer.ts';
import type { Principal } from '../../auth/principal.ts';
import type { Action } from '../../auth/provider.ts';
import { RegistryError } from '../../core/errors.ts';
import { OFFICIAL_PROJECT, isValidRepositoryName, isValidTag } from '../../core/reference.ts';
import { describeRule, immutableRuleFor } from '../../core/tag-rules.ts';
import { insertAudit } from '../../metadata/identity/audit.ts';
import { immutableRulesOfProject } from '../../metadata/immutable-rules.ts';
import { deleteRepository, manifestDigestsOfRepository } from '../../metadata/repositories.ts';
import {
  findRepositoryPage, findTagPageRow, isStarred, listTagPage, pullCommandTag, setStar, updateRepositoryInfo, type RepositoryPageRow,
} from '../../metadata/repository-pages.ts';
import { transact } from '../../metadata/transactions.ts';
import type { RequestContext } from '../../registry/context.ts';
import type { Registry } from '../../registry/registry.ts';
import { RepositoryDetailSchema, TagViewSchema, iso, toRepositorySummary, type RepositoryDetail } from './discovery-schemas.ts';
import { ImageDetailsSchema, imageDetails } from './image-details.ts';
import { TagViews } from './platforms.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const DESCRIPTION_MAX_BYTES = 100 * 1024;
/** Docker Hub's limit for the short description. */
export const SHORT_DESCRIPTION_MAX = 100;
const LABEL = /^[a-z0-9][a-z0-9-]{0,31}$/;
const MAX_LABELS = 20;

const Labels = z.array(z.string().regex(LABEL, 'a label is a lower-case word: a-z, 0-9 and "-", 1 to 32 characters, not starting with "-"'))
  .max(MAX_LABELS, `at most ${MAX_LABELS} labels`);
const UpdateRepository = z.strictObject({
  description: z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= DESCRIPTION_MAX_BYTES, `the description is at most ${DESCRIPTION_MAX_BYTES} bytes (100 KiB)`).optional().describe('the README: markdown, at most 100 KiB'),
  shortDescription: z.string()
    .refine((s) => [...s].length <= SHORT_DESCRIPTION_MAX, `the short description is at most ${SHORT_DESCRIPTION_MAX} characters`)
    .refine((s) => !/[\r\n]/.test(s), 'the short description is one line')
    .optional().describe(`one line under the name, at most ${SHORT_DESCRIPTION_MAX} characters (trimmed)`),
  labels: Labels.optional().describe('lower-case words; replaces the list'),
});
const StarSchema = z.object({ starred: z.boolean(), starCount: z.number().int() });
const TagsQuery = z.object({
  q: z.string().max(128).optional().describe('substring of the tag name (case-insensitive)'),
  sort: z.enum(['name', 'pushed', 'pulled']).default('pushed'),
  order: z.enum(['asc', 'desc']).optional().describe('default: desc, except asc for sort=name'),
  page: z.coerce.number().int().min(1).default(1),
  n: z.coerce.number().int().min(1).max(100).default(25),
});
const TagPageSchema = z.object({ total: z.number().int(), page: z.number().int(), n: z.number().int(), tags: z.array(TagViewSchema) });
const Retag = z.strictObject({
  name: z.string().min(1).max(128).describe('the new tag'),
  from: z.string().min(1).max(256).describe('a tag or digest in the same repository'),
});

const notFound = (name: string) => new RegistryError('NOT_FOUND', { repository: name.slice(0, 300) }, { message: `no repository ${name.slice(0, 300)}` });

export function repositoryRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'repositories';
  const base = '/repositories/{project}/{repository}';
  let views: TagViews | undefined;

  const needs = (): { registry: Registry; authorizer: Authorizer } => {
    if (!deps.registry || !deps.authorizer) throw new RegistryError('NOT_FOUND', undefined, { message: 'repository pages are not enabled' });
    return { registry: deps.registry, authorizer: deps.authorizer };
  };

  /** The repository, if the caller may read it (else 404, as for a missing one). */
  const readable = async (actor: Principal | undefined, params: Record<string, string>): Promise<RepositoryPageRow> => {
    const { authorizer } = needs();
    const name = `${params.project}/${params.repository}`;
    if (!isValidRepositoryName(name)) throw notFound(name);
    const row = await findRepositoryPage(deps.db, name);
    if (!row || !(await authorizer.allows(actor, name, 'pull'))) throw notFound(name);
    return row;
  };

  const requireAction = async (actor: Principal, name: string, action: Action, what: string): Promise<void> => {
    if (!(await needs().authorizer.allows(actor, name, action))) throw new RegistryError('DENIED', undefined, { message: `you may not ${what} in ${name}` });
  };

  const context = (actor: Principal, request: FastifyRequest): RequestContext => ({ actor: { name: actor.name, address: request.ip }, requestId: request.id });

  const detail = async (actor: Principal | undefined, row: RepositoryPageRow, request: FastifyRequest): Promise<RepositoryDetail> => {
    const { authorizer } = needs();
    const [push, del, starred, tag] = await Promise.all([
      authorizer.allows(actor, row.name, 'push'),
      authorizer.allows(actor, row.name, 'delete'),
      actor?.kind === 'user' ? isStarred(deps.db, actor.id, row.id) : Promise.resolve(false),
      pullCommandTag(deps.db, row.id),
    ]);
    const host = registryHost(deps.publicUrl, request);
    const repository = row.name.slice(row.project.length + 1);
    return {
      ...toRepositorySummary(row),
      starred,
      lastPushedAt: iso(row.last_pushed_at),
      pullCommand: `docker pull ${host}/${row.name}:${tag ?? 'latest'}`,
      ...(row.project === OFFICIAL_PROJECT ? { shortPullCommand: `docker pull ${host}/${repository}:${tag ?? 'latest'}` } : {}),
      permissions: { push, delete: del, edit: actor?.kind === 'user' && del },
    };
  };

  const tagViews = (): TagViews => (views ??= new TagViews(deps.db, needs().registry));

  const star = async (actor: Principal, params: Record<string, string>, on: boolean) => {
    const row = await readable(actor, params);
    if (actor.kind !== 'user') throw new RegistryError('DENIED', undefined, { message: 'only users star repositories' });
    const starCount = await setStar(deps.db, actor.id, row.id, on, Date.now());
    return { starred: on, starCount };
  };

  return [
    route({
      method: 'GET', path: base, resource, auth: 'optional', summary: 'A repository page: description, labels, badges, counts, pull command, and what the caller may do (404 when the caller may not read it)',
      status: 200, response: RepositoryDetailSchema, errors: [404],
      handler: async ({ actor, params, request }) => detail(actor, await readable(actor, params), request),
    }),
    route({
      method: 'PATCH', path: base, resource, auth: 'required', summary: 'Change the short description, the README (markdown description) or labels (maintainers, owners, administrators)',
      body: UpdateRepository, status: 200, response: RepositoryDetailSchema, errors: [403, 404],
      handler: async ({ actor, params, body, request }) => {
        const row = await readable(actor, params);
        if (actor.kind !== 'user' || !(await needs().authorizer.allows(actor, row.name, 'delete'))) {
          throw new RegistryError('DENIED', undefined, { message: `only maintainers, owners and administrators edit ${row.name}` });
        }
        const changes = {
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.shortDescription !== undefined ? { short_description: body.shortDescription.trim() } : {}),
          ...(body.labels !== undefined ? { labels: [...new Set(body.labels)].join(' ') } : {}),
        };
        await updateRepositoryInfo(deps.db, row.id, changes);
        if (Object.keys(changes).length) {
          await insertAudit(deps.db, [{
            at: Date.now(), actor: actor.name, action: 'repository.update', project: row.project, repository: row.name, address: request.ip, outcome: 'success',
            detail: JSON.stringify({ changed: Object.keys(body).filter((k) => body[k as keyof typeof body] !== undefined).sort() }),
          }]);
        }
        return detail(actor, (await findRepositoryPage(deps.db, row.name)) ?? row, request);
      },
    }),
    route({
      method: 'DELETE', path: base, resource, auth: 'required',
      summary: 'Delete the repository: every tag and manifest through the registry (untag and delete events, webhooks and audit entries as for a client; refused with 409 TAG_IMMUTABLE, before anything goes, while an immutability rule holds one of its tags), then the repository itself; GC reclaims the bytes (maintainers, owners, administrators)',
      status: 204, errors: [403, 404, 409],
      handler: async ({ actor, params, request }) => {
        const row = await readable(actor, params);
        if (actor.kind !== 'user' || !(await needs().authorizer.allows(actor, row.name, 'delete'))) {
          throw new RegistryError('DENIED', undefined, { message: `only maintainers, owners and administrators delete ${row.name}` });
        }
        const { registry } = needs();
        // Nothing goes while an immutable tag would stop the deletes halfway; the registry still
        // enforces the rules in each delete's transaction (a rule added meanwhile stops the rest).
        const rules = await immutableRulesOfProject(deps.db, row.project);
        if (rules.length) {
          for (const { name: tag } of await deps.db.selectFrom('tags').select('name').where('repository_id', '=', row.id).orderBy('name').execute()) {
            const rule = immutableRuleFor(rules, row.name, tag);
            if (rule) {
              throw new RegistryError('TAG_IMMUTABLE', { repository: row.name, tag, action: 'delete', rule: { id: rule.id, repos: rule.repos, tags: rule.tags } }, {
                message: `tag ${tag} of ${row.name} is immutable (${describeRule(rule)}): the repository cannot be deleted while it holds that tag`,
              });
            }
          }
        }
        const ctx = context(actor, request);
        const digests = await manifestDigestsOfRepository(deps.db, row.id);
        let manifests = 0;
        for (const digest of digests) {
          try {
            await registry.manifests.delete(ctx, row.name, digest);
            manifests++;
          } catch (error) {
            // Gone already: a follower (signature, referrer) of one deleted before it.
            if (!(error instanceof RegistryError && error.code === 'MANIFEST_UNKNOWN')) throw error;
          }
        }
        await transact(deps.db, (trx) => deleteRepository(trx, row.id));
        registry.repositories.forget(row.name);
        await insertAudit(deps.db, [{
          at: Date.now(), actor: actor.name, action: 'repository.delete', project: row.project, repository: row.name, address: request.ip, outcome: 'success',
          detail: JSON.stringify({ manifests, tags: row.tag_count }),
        }]);
      },
    }),
    route({
      method: 'PUT', path: `${base}/star`, resource, auth: 'required', summary: 'Star the repository (idempotent; signed-in users who can read it)',
      status: 200, response: StarSchema, errors: [403, 404],
      handler: async ({ actor, params }) => star(actor, params, true),
    }),
    route({
      method: 'DELETE', path: `${base}/star`, resource, auth: 'required', summary: 'Unstar the repository (idempotent)',
      status: 200, response: StarSchema, errors: [403, 404],
      handler: async ({ actor, params }) => star(actor, params, false),
    }),
    route({
      method: 'GET', path: `${base}/tags`, resource, auth: 'optional', summary: 'Tags with their platforms, sizes and pull counts, filtered, sorted and paged',
      query: TagsQuery, status: 200, response: TagPageSchema, errors: [404],
      handler: async ({ actor, params, query }) => {
        const row = await readable(actor, params);
        const order = query.order ?? (query.sort === 'name' ? 'asc' : 'desc');
        const page = await listTagPage(deps.db, row.id, { q: query.q, sort: query.sort, order, offset: (query.page - 1) * query.n, limit: query.n });
        return { total: page.total, page: query.page, n: query.n, tags: await tagViews().views(row.name, page.rows) };
      },
    }),
    route({
      method: 'POST', path: `${base}/tags`, resource, auth: 'required', summary: 'Tag an existing manifest (from: a tag or digest in this repository); emits the push and tag events of a client push',
      body: Retag, status: 201, response: TagViewSchema, errors: [403, 404],
      handler: async ({ actor, params, body, request }) => {
        const row = await readable(actor, params);
        await requireAction(actor, row.name, 'push', 'push');
        if (!isValidTag(body.name)) throw new RegistryError('INVALID_REQUEST', undefined, { message: `invalid tag ${JSON.stringify(body.name.slice(0, 130))}: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"` });
        const { registry } = needs();
        const info = await registry.manifests.resolve(row.name, body.from).catch((error: unknown) => {
          if (error instanceof RegistryError && (error.code === 'MANIFEST_UNKNOWN' || error.code === 'DIGEST_INVALID')) {
            throw new RegistryError('NOT_FOUND', undefined, { message: `no tag or manifest ${body.from.slice(0, 200)} in ${row.name}` });
          }
          throw error;
        });
        const bytes = await registry.manifests.bytes(info.digest);
        await registry.manifests.put(context(actor, request), row.name, body.name, bytes, info.mediaType);
        const tag = await findTagPageRow(deps.db, row.id, body.name);
        if (!tag) throw new RegistryError('NOT_FOUND', undefined, { message: `tag ${body.name} vanished` });
        return (await tagViews().views(row.name, [tag]))[0];
      },
    }),
    route({
      method: 'DELETE', path: `${base}/tags/{tag}`, resource, auth: 'required', summary: 'Remove a tag; the manifest stays (maintainers, owners, administrators)',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params, request }) => {
        const row = await readable(actor, params);
        await requireAction(actor, row.name, 'delete', 'delete');
        const tag = params.tag!;
        if (!isValidTag(tag)) throw new RegistryError('NOT_FOUND', undefined, { message: `no tag ${tag.slice(0, 130)}` });
        await registryCall(() => needs().registry.manifests.delete(context(actor, request), row.name, tag), `no tag ${tag} in ${row.name}`);
      },
    }),
    route({
      method: 'GET', path: `${base}/manifests/{digest}/details`, resource, auth: 'optional', summary: 'The image page of a digest: platforms with layers, history and config, sizes per platform, tags, referrers by artifactType, first pusher',
      status: 200, response: ImageDetailsSchema, errors: [400, 404],
      handler: async ({ actor, params, request }) => {
        const row = await readable(actor, params);
        return imageDetails(deps.db, needs().registry, { id: row.id, name: row.name }, params.digest!, registryHost(deps.publicUrl, request));
      },
    }),
    route({
      method: 'DELETE', path: `${base}/manifests/{digest}`, resource, auth: 'required', summary: 'Delete a manifest by digest and every tag on it (maintainers, owners, administrators)',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params, request }) => {
        const row = await readable(actor, params);
        await requireAction(actor, row.name, 'delete', 'delete');
        const digest = params.digest!;
        if (!digest.includes(':')) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'give the manifest by digest (algorithm:hex); remove tags with DELETE .../tags/{tag}' });
        await registryCall(() => needs().registry.manifests.delete(context(actor, request), row.name, digest), `no manifest ${digest.slice(0, 200)} in ${row.name}`);
      },
    }),
  ];
}

/** MANIFEST_UNKNOWN from the registry is this API's NOT_FOUND. */
async function registryCall(fn: () => Promise<void>, missing: string): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'MANIFEST_UNKNOWN') throw new RegistryError('NOT_FOUND', undefined, { message: missing });
    throw error;
  }
}

/** host[:port] clients pull from: server.publicUrl's host when set, else the request's Host header. */
function registryHost(publicUrl: string | undefined, request: FastifyRequest): string {
  if (publicUrl) {
    try {
      return new URL(publicUrl).host;
    } catch { /* fall back to the Host header */ }
  }
  return request.headers.host ?? 'localhost:5000';
}
