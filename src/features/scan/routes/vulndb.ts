// /api/v1/vulndb: the vulnerability feed (administrators). Its status for everyone signed in; an
// import uploaded as the body (an osv.dev zip, a JSON or NDJSON file of OSV records, the Debian
// tracker's JSON, a tar of JSON files) or pulled from an OCI artifact in a registry; and the
// restore of the previous feed. Each switch queues a re-match of every stored inventory.
import { Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import { RegistryError } from '../../../core/errors.ts';
import type { Principal } from '../../../auth/principal.ts';
import { route, type ApiRoute } from '../../../http/api/route.ts';
import { FeedImportError, importOci, importStream, type ImportResult } from '../feed/import.ts';
import { OciClientError } from '../feed/oci-client.ts';
import { FeedRestoreError } from '../feed/store.ts';
import { FeedStatusSchema, ImportResultSchema } from '../views.ts';
import { requireAdministrator } from './access.ts';
import type { ScanRouteDeps } from './deps.ts';

/** The largest feed upload taken (osv.dev's biggest all.zip is well under this). */
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;


const OciImport = z.strictObject({
  reference: z.string().min(1).max(1000).describe('oci://HOST/REPOSITORY:TAG or @DIGEST'),
  username: z.string().max(255).optional(),
  password: z.string().max(4096).optional().describe('password or token for the registry holding the feed'),
  plainHttp: z.boolean().optional().describe('http:// for a host that is not loopback'),
});

function importFailure(error: unknown): never {
  if (error instanceof FeedImportError || error instanceof OciClientError) throw new RegistryError('INVALID_REQUEST', undefined, { message: error.message });
  throw error;
}

/** Counts the bytes of an upload and refuses one over the limit. */
class UploadLimit extends Transform {
  private seen = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > MAX_UPLOAD_BYTES) return done(new RegistryError('BODY_TOO_LARGE', { limit: MAX_UPLOAD_BYTES }, { headers: { Connection: 'close' } }));
    done(null, chunk);
  }
}

export function vulndbRoutes(deps: ScanRouteDeps): ApiRoute[] {
  const resource = 'vulndb';
  const afterImport = async (actor: Principal, result: ImportResult, from: string) => {
    await deps.record({ action: 'vulndb.import', actor, detail: { from, source: result.source, records: result.records, digest: result.digest } });
    return { ...result, rematchJob: await deps.onFeedSwitched(result.feedId) };
  };
  return [
    route({
      method: 'GET', path: '/vulndb', resource, auth: 'optional', summary: 'The active vulnerability feed: its digest, its imports, its age, and whether it is stale',
      status: 200, response: FeedStatusSchema, errors: [],
      handler: async () => deps.services.views.feed(deps.config.maxFeedAgeHours),
    }),
    route({
      method: 'POST', path: '/vulndb/imports', resource, auth: 'required', rawBody: true, progress: true,
      summary: 'Import vulnerability data sent as the body (administrators): an OSV zip, JSON or NDJSON, the Debian security tracker JSON, or a tar of JSON files. It replaces the data of the same source, is loaded in one go and switched to atomically',
      status: 201, response: ImportResultSchema, errors: [403, 413],
      handler: async ({ actor, request, progress }) => {
        requireAdministrator(actor);
        const type = String(request.headers['content-type'] ?? '');
        const limited = request.raw.pipe(new UploadLimit());
        request.raw.on('error', (e) => limited.destroy(e));
        const result = await importStream(deps.services.feeds, limited, type, `upload by ${actor.name}`, { progress }).catch(importFailure);
        return afterImport(actor, result, 'upload');
      },
    }),
    route({
      method: 'POST', path: '/vulndb/imports/oci', resource, auth: 'required', body: OciImport, progress: true,
      summary: 'Import vulnerability data from an OCI artifact in a registry (administrators), so an air-gapped site mirrors the feed like any image',
      status: 201, response: ImportResultSchema, errors: [403],
      handler: async ({ actor, body, progress }) => {
        requireAdministrator(actor);
        const result = await importOci(deps.services.feeds, body.reference, {
          progress,
          oci: { ...(body.username !== undefined ? { username: body.username } : {}), ...(body.password !== undefined ? { password: body.password } : {}), ...(body.plainHttp ? { plainHttp: true } : {}) },
        }).catch(importFailure);
        return afterImport(actor, result, body.reference);
      },
    }),
    route({
      method: 'POST', path: '/vulndb/restore', resource, auth: 'required', summary: 'Switch back to the feed the active one replaced (administrators)',
      status: 200, response: FeedStatusSchema.extend({ rematchJob: z.number().int() }), errors: [403, 409],
      handler: async ({ actor }) => {
        requireAdministrator(actor);
        const restored = await deps.services.feeds.restore().catch((error: unknown) => {
          if (error instanceof FeedRestoreError) throw new RegistryError('CONFLICT', undefined, { message: error.message });
          throw error;
        });
        await deps.record({ action: 'vulndb.restore', actor, detail: { feed: restored.id, digest: restored.digest } });
        const rematchJob = await deps.onFeedSwitched(restored.id);
        return { ...(await deps.services.views.feed(deps.config.maxFeedAgeHours)), rematchJob };
      },
    }),
  ];
}
