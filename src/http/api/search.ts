// /api/v1/search and /api/v1/projects/{project}/repositories (docs/discovery.md): repositories
// by relevance, pulls, stars, recency or name, filtered and paged in SQL by what the caller may
// pull, so neither a page nor `total` ever counts a repository the caller may not see.
import { z } from 'zod';
import { RegistryError } from '../../core/errors.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, type SearchService, type SearchSort } from '../../features/search/index.ts';
import { RepositorySummarySchema, toRepositorySummary } from './discovery-schemas.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const BooleanParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const Sort = z.enum(['relevance', 'pulls', 'stars', 'updated', 'name']) satisfies z.ZodType<SearchSort>;

const Paging = {
  sort: Sort.optional().describe('relevance (default with q), pulls (default without q), stars, updated, name'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).describe('from 1'),
  n: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`page size, at most ${MAX_PAGE_SIZE}`),
};
const Q = z.string().max(MAX_QUERY_LENGTH).optional()
  .describe('words matched as prefixes against the name, project, labels and description (all must match)');

const SearchQuery = z.object({
  q: Q,
  official: BooleanParam.optional().describe('true: only library (Official Images); false: all but library'),
  verified: BooleanParam.optional().describe('projects marked Verified Publisher'),
  sponsored: BooleanParam.optional().describe('projects marked Sponsored OSS'),
  project: z.string().min(1).max(255).optional(),
  label: z.string().min(1).max(255).optional().describe('one label'),
  scanned: BooleanParam.optional().describe('true: only repositories with a tag whose image (or, for an index, one of its platforms) has a vulnerability scan report; false: only those without'),
  ...Paging,
});
const ProjectRepositoriesQuery = z.object({ q: Q, ...Paging });

const Page = { total: z.number().int().describe('all matches the caller may see'), page: z.number().int(), n: z.number().int() };

function service(deps: ApiDeps): SearchService {
  if (!deps.search) throw new RegistryError('NOT_FOUND', undefined, { message: 'search is not enabled on this server' });
  return deps.search;
}

export function searchRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    route({
      method: 'GET', path: '/search', resource: 'search', auth: 'optional',
      summary: 'Search repositories the caller may pull (anonymous: public projects)',
      query: SearchQuery, status: 200, errors: [],
      response: z.object({ ...Page, results: z.array(RepositorySummarySchema) }),
      handler: async ({ actor, query }) => {
        const found = await service(deps).search(actor, query);
        return { total: found.total, page: found.page, n: found.n, results: found.rows.map(toRepositorySummary) };
      },
    }),
    route({
      method: 'GET', path: '/projects/{project}/repositories', resource: 'search', auth: 'optional',
      summary: "A project's repositories (404 when the caller may not read the project); sort defaults as for search",
      query: ProjectRepositoriesQuery, status: 200, errors: [404],
      response: z.object({ ...Page, repositories: z.array(RepositorySummarySchema) }),
      handler: async ({ actor, params, query }) => {
        const found = await service(deps).projectRepositories(actor, params.project!, query);
        return { total: found.total, page: found.page, n: found.n, repositories: found.rows.map(toRepositorySummary) };
      },
    }),
  ];
}
