// /api/v1/repositories/{project}/{repository}/...: scanning an image on request, its report (per
// platform for an index), its SBOM (CycloneDX 1.6 or SPDX 2.3), and the severity counts the tags
// view shows. Readers of the repository see reports; scanning takes push (developers and up).
import { z } from 'zod';
import { RegistryError } from '../../../core/errors.ts';
import { isIndexMediaType } from '../../../core/mediatypes.ts';
import { route, type ApiRoute } from '../../../http/api/route.ts';
import { platformOf } from '../engine.ts';
import { SCAN_IMAGE, scanImageKey, type ScanImagePayload } from '../jobs.ts';
import { CYCLONEDX_MEDIA_TYPE, SPDX_MEDIA_TYPE, cyclonedx, spdx } from '../sbom/generate.ts';
import { SCANNER } from '../services.ts';
import { ReportSchema, ScanSummarySchema } from '../views.ts';
import { readableRepository, resolveReference } from './access.ts';
import type { ScanRouteDeps } from './deps.ts';

const BooleanParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const ScanRequest = z.strictObject({
  reference: z.string().min(1).max(200).describe('a tag or digest'),
  reindex: z.boolean().optional().describe('read the layers again even though their index is stored'),
});
const ScanQueued = z.object({
  job: z.number().int().describe('GET /jobs/{id} follows it'),
  deduplicated: z.boolean().describe('a scan of this image was already queued: this is that one'),
  digest: z.string(),
});
const ReportQuery = z.object({
  severity: z.enum(['critical', 'high', 'medium', 'low', 'unknown']).optional().describe('only findings at or above it'),
  fixable: BooleanParam.optional().describe('true: only findings with a fix; false: only those without'),
  package: z.string().max(256).optional().describe('only this package (its name or its source package)'),
});
const SbomQuery = z.object({
  format: z.enum(['cyclonedx', 'spdx']).default('cyclonedx'),
  platform: z.string().max(64).optional().describe('for an index: which platform, e.g. linux/arm64'),
});
const SummaryQuery = z.object({ digests: z.string().max(100 * 80).describe('comma-separated manifest digests (at most 100)') });
const SummarySchema = z.object({ summaries: z.record(z.string(), ScanSummarySchema) });

export function reportRoutes(deps: ScanRouteDeps): ApiRoute[] {
  const resource = 'scans';
  const base = '/repositories/{project}/{repository}';
  const { services, registry, authorizer } = deps;

  return [
    route({
      method: 'POST', path: `${base}/scans`, resource, auth: 'required', body: ScanRequest,
      summary: 'Queue a scan of an image (each platform of an index); follow it with GET /jobs/{id}',
      status: 201, response: ScanQueued, errors: [403, 404],
      handler: async ({ actor, params, body }) => {
        const name = await readableRepository(authorizer, actor, params);
        if (!(await authorizer.allows(actor, name, 'push'))) throw new RegistryError('DENIED', undefined, { message: `you may not scan images in ${name}: it takes the push permission (developers and up)` });
        const info = await resolveReference(registry, name, body.reference);
        const payload: ScanImagePayload = { repository: name, digest: info.digest, reason: 'request', ...(body.reindex ? { reindex: true } : {}) };
        // Lower runs first: a scan someone asked for goes before the push scans queued before it.
        const queued = await deps.jobs.enqueue(SCAN_IMAGE, payload, { key: scanImageKey(info.digest), priority: -10 });
        await deps.record({ action: 'scan.request', actor, project: params.project!, target: `${name}@${info.digest}`, detail: { job: queued.id, ...(body.reindex ? { reindex: true } : {}) } });
        return { job: queued.id, deduplicated: queued.deduplicated, digest: info.digest };
      },
    }),
    route({
      method: 'GET', path: `${base}/reports/{reference}`, resource, query: ReportQuery, auth: 'optional',
      summary: "An image's scan report: packages, findings (filterable) and counts by severity; for an index, each platform's",
      status: 200, response: ReportSchema, errors: [404],
      handler: async ({ actor, params, query }) => {
        const name = await readableRepository(authorizer, actor, params);
        const info = await resolveReference(registry, name, params.reference!);
        return services.views.report(name, params.reference!, info.digest, info.mediaType, {
          ...(query.severity ? { severity: query.severity } : {}), ...(query.fixable !== undefined ? { fixable: query.fixable } : {}), ...(query.package ? { package: query.package } : {}),
        });
      },
    }),
    route({
      method: 'GET', path: `${base}/sbom/{reference}`, resource, query: SbomQuery, auth: 'optional',
      summary: "An image's SBOM, from its stored inventory: CycloneDX 1.6 JSON (the referrer Berth attached) or SPDX 2.3 JSON",
      status: 200, response: z.record(z.string(), z.unknown()), errors: [404],
      handler: async ({ actor, params, query, reply }) => {
        const name = await readableRepository(authorizer, actor, params);
        const info = await resolveReference(registry, name, params.reference!);
        let digest = info.digest;
        let platform: string | undefined;
        if (isIndexMediaType(info.mediaType)) {
          const children = (await services.engine.facts(info.digest)).manifests.map((m) => ({ digest: m.digest, platform: platformOf(m) })).filter((c) => c.platform);
          const chosen = children.find((c) => c.platform === query.platform);
          if (!chosen) {
            throw new RegistryError('INVALID_REQUEST', undefined, { message: `${name}:${params.reference} is an index: choose a platform with ?platform= (${children.map((c) => c.platform).join(', ') || 'it has none'})` });
          }
          digest = chosen.digest;
          platform = chosen.platform;
        }
        const inventory = await services.inventories.get(digest);
        if (!inventory) throw new RegistryError('NOT_FOUND', undefined, { message: `${name}@${digest} has not been scanned yet, so it has no SBOM: scan it first` });
        const subject = { repository: name, digest, ...(platform ? { platform } : {}) };
        if (query.format === 'spdx') {
          reply.type(SPDX_MEDIA_TYPE);
          return spdx(subject, inventory, { tool: SCANNER, created: new Date(inventory.createdAt) });
        }
        reply.type(CYCLONEDX_MEDIA_TYPE);
        const stored = inventory.source === 'layers' ? await services.engine.generatedSbom(name, digest) : undefined;
        return stored ? stored.toString('utf8') : cyclonedx(subject, inventory, { tool: SCANNER, created: new Date(inventory.createdAt) });
      },
    }),
    route({
      method: 'GET', path: `${base}/scan-summaries`, resource, query: SummaryQuery, auth: 'optional',
      summary: 'Counts by severity for several images at once (the tags view); an index sums its platforms',
      status: 200, response: SummarySchema, errors: [404],
      handler: async ({ actor, params, query }) => {
        const name = await readableRepository(authorizer, actor, params);
        const digests = [...new Set(query.digests.split(',').map((d) => d.trim()).filter(Boolean))];
        if (digests.length > 100) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'at most 100 digests at once' });
        return { summaries: await services.views.summaries(name, digests) };
      },
    }),
  ];
}
