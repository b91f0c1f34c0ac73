// Content discovery over /v2: tag lists, the catalog (both paged with n/last and a Link
// header) and the referrers API.
import { RegistryError } from '../../core/errors.ts';
import { MediaType } from '../../core/mediatypes.ts';
import { shortRepositoryName } from '../../core/reference.ts';
import type { Page } from '../../registry/discovery.ts';
import type { OciCall } from './context.ts';
import type { OciRoute } from './paths.ts';

/** `n` as the spec gives it: a non-negative integer, or absent. */
function pageSize(query: URLSearchParams): number | undefined {
  const n = query.get('n');
  if (n === null || n === '') return undefined;
  if (!/^\d{1,9}$/.test(n)) throw new RegistryError('PAGINATION_NUMBER_INVALID', { n: n.slice(0, 50) });
  return Number(n);
}

function linkHeader(path: string, n: number, page: Page<string>): Record<string, string> {
  if (page.next === undefined) return {};
  return { Link: `<${path}?n=${n}&last=${encodeURIComponent(page.next)}>; rel="next"` };
}

export async function listTags(call: OciCall<Extract<OciRoute, { kind: 'tags' }>>): Promise<void> {
  const { query, deps, reply, route } = call;
  const n = pageSize(query);
  const discovery = deps.registry.discovery;
  const page = await discovery.tags(call.repository, n, query.get('last') ?? undefined);
  reply.code(200).headers(linkHeader(`/v2/${route.name}/tags/list`, discovery.pageSize(n), page)).type('application/json');
  return void reply.send(JSON.stringify({ name: route.name, tags: page.items }));
}

export async function catalog(call: OciCall): Promise<void> {
  const { query, deps, reply } = call;
  const n = pageSize(query);
  const discovery = deps.registry.discovery;
  const page = await discovery.catalog(n, query.get('last') ?? undefined);
  // The catalog lists only what the caller may see. Filtering after paging keeps pages cheap;
  // a page may then hold fewer than n names, and the Link header still leads on.
  const visible = deps.auth.visibleRepositories ? await deps.auth.visibleRepositories(call.identity, page.items) : page.items;
  reply.code(200).headers(linkHeader('/v2/_catalog', discovery.pageSize(n), page)).type('application/json');
  // Names as they were pushed and are pulled here: "tiny", not "library/tiny" (docs/protocol.md).
  return void reply.send(JSON.stringify({ repositories: visible.map(shortRepositoryName) }));
}

export async function referrers(call: OciCall<Extract<OciRoute, { kind: 'referrers' }>>): Promise<void> {
  const { query, deps, reply, route } = call;
  const artifactType = query.get('artifactType') ?? undefined;
  // A proxy project's referrers come from its upstream too (registry/pull-through.ts).
  if (deps.registry.pullThrough?.covers(call.repository)) await deps.registry.pullThrough.syncReferrers?.(call.ctx, call.repository, route.digest);
  const index = await deps.registry.discovery.referrers(call.repository, route.digest, artifactType);
  if (artifactType !== undefined) reply.header('OCI-Filters-Applied', 'artifactType');
  // The spec fixes this Content-Type exactly. Fastify appends "; charset=utf-8" to a string body
  // whose type names json; a Buffer is sent as it is, with the header untouched.
  reply.code(200).type(MediaType.OciIndex);
  return void reply.send(Buffer.from(JSON.stringify(index)));
}
