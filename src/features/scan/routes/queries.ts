// /api/v1/scan/...: registry-wide questions answered from the stored inventories and reports,
// without reading a blob: which images contain a package (optionally in a version range), and
// which images an advisory affects. Callers see the images of projects they may pull from.
import { z } from 'zod';
import { RegistryError } from '../../../core/errors.ts';
import { route, type ApiRoute } from '../../../http/api/route.ts';
import { VersionRangeError } from '../query/version-range.ts';
import { projectFilter } from './access.ts';
import type { ScanRouteDeps } from './deps.ts';
import { AdvisoryAnswerSchema, PackageAnswerSchema, affectedView } from '../views.ts';

const MAX_IMAGES = 1000;
const PackageQuery = z.object({
  name: z.string().min(1).max(256).describe('the package name, or its source package (openssl, lodash, jinja2)'),
  type: z.enum(['deb', 'apk', 'rpm', 'npm', 'pypi', 'golang', 'maven']).optional(),
  versions: z.string().max(500).optional().describe('conditions that must all hold, in the package\'s own version order: "<3.0.13", ">=1.2,<2"'),
});
export function queryRoutes(deps: ScanRouteDeps): ApiRoute[] {
  const resource = 'scan_queries';
  return [
    route({
      method: 'GET', path: '/scan/packages', resource, auth: 'optional', query: PackageQuery,
      summary: 'Which images contain a package, optionally in a version range (from the stored inventories)',
      status: 200, response: PackageAnswerSchema, errors: [],
      handler: async ({ actor, query }) => {
        const started = performance.now();
        let hits;
        try {
          hits = await deps.services.queries.imagesWithPackage(query.name, { ...(query.type ? { type: query.type } : {}), ...(query.versions ? { range: query.versions } : {}) });
        } catch (error) {
          if (error instanceof VersionRangeError) throw new RegistryError('INVALID_REQUEST', undefined, { message: error.message });
          throw error;
        }
        const visible = projectFilter(deps.authorizer, actor);
        const images = [];
        for (const h of hits) if (await visible(h)) images.push({ repository: h.repository, tags: [...h.tags], digest: h.digest, package: h.package });
        return { total: images.length, truncated: images.length > MAX_IMAGES, tookMs: Math.round((performance.now() - started) * 10) / 10, images: images.slice(0, MAX_IMAGES) };
      },
    }),
    route({
      method: 'GET', path: '/scan/advisories/{id}', resource, auth: 'optional',
      summary: 'Which images an advisory (CVE, GHSA, DSA, ... or an alias) affects now, and what the feed says about it',
      status: 200, response: AdvisoryAnswerSchema, errors: [],
      handler: async ({ actor, params }) => {
        const started = performance.now();
        const id = params.id!.slice(0, 200);
        const answer = await deps.services.queries.imagesWithAdvisory(id);
        const visible = projectFilter(deps.authorizer, actor);
        const images = [];
        for (const i of answer.images) if (await visible(i)) images.push({ repository: i.repository, tags: [...i.tags], digest: i.digest, findings: [...i.findings] });
        return {
          id, total: images.length, truncated: images.length > MAX_IMAGES, tookMs: Math.round((performance.now() - started) * 10) / 10,
          advisory: answer.affected.map(affectedView),
          images: images.slice(0, MAX_IMAGES),
        };
      },
    }),
  ];
}
