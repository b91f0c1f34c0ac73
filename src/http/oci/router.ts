// The /v2 wire protocol: one catch-all route that parses the path, authenticates, checks access
// and dispatches to the handler for (route kind, method).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Action } from '../../auth/provider.ts';
import { RegistryError } from '../../core/errors.ts';
import { canonicalRepositoryName } from '../../core/reference.ts';
import { sendError } from '../errors.ts';
import { authenticate, baseUrlOf, mountSourceScope, requireAccess } from './access.ts';
import { deleteBlob, getBlob, headBlob } from './blobs.ts';
import type { OciCall, OciDeps } from './context.ts';
import { catalog, listTags, referrers } from './listing.ts';
import { deleteManifest, getManifest, putManifest } from './manifests.ts';
import { getSignatures, putSignature } from './signatures.ts';
import { parseOciPath, splitUrl, type OciRoute } from './paths.ts';
import { cancelUpload, getUpload, mountSourceOf, patchUpload, putUpload, startUpload } from './uploads.ts';

type Handler = (call: OciCall) => Promise<void>;
interface Endpoint {
  readonly action: Action | 'login';
  readonly handle: Handler;
}

const base: Handler = async ({ reply }) => void reply.code(200).type('application/json').send('{}');

// What each (route kind, method) does and which right it needs. HEAD is listed wherever GET is.
const ENDPOINTS: Record<OciRoute['kind'], Partial<Record<string, Endpoint>>> = {
  base: { GET: { action: 'login', handle: base }, HEAD: { action: 'login', handle: base } },
  catalog: { GET: { action: 'catalog', handle: catalog }, HEAD: { action: 'catalog', handle: catalog } },
  upload_start: { POST: { action: 'push', handle: startUpload as Handler } },
  upload: {
    GET: { action: 'push', handle: getUpload as Handler },
    HEAD: { action: 'push', handle: getUpload as Handler },
    PATCH: { action: 'push', handle: patchUpload as Handler },
    PUT: { action: 'push', handle: putUpload as Handler },
    DELETE: { action: 'push', handle: cancelUpload as Handler },
  },
  blob: {
    GET: { action: 'pull', handle: getBlob as Handler },
    HEAD: { action: 'pull', handle: headBlob as Handler },
    DELETE: { action: 'delete', handle: deleteBlob as Handler },
  },
  manifest: {
    GET: { action: 'pull', handle: ((c) => getManifest(c as never, false)) as Handler },
    HEAD: { action: 'pull', handle: ((c) => getManifest(c as never, true)) as Handler },
    PUT: { action: 'push', handle: putManifest as Handler },
    DELETE: { action: 'delete', handle: deleteManifest as Handler },
  },
  tags: { GET: { action: 'pull', handle: listTags as Handler }, HEAD: { action: 'pull', handle: listTags as Handler } },
  referrers: { GET: { action: 'pull', handle: referrers as Handler }, HEAD: { action: 'pull', handle: referrers as Handler } },
  // Reading signatures needs pull, adding one push (as for the image itself).
  signatures: { GET: { action: 'pull', handle: getSignatures as Handler }, PUT: { action: 'push', handle: putSignature as Handler } },
};

/** The answers to a pull that transparent mirror mode retries through the mirror proxy project. */
const MIRRORED_MISSES: ReadonlySet<string> = new Set(['MANIFEST_UNKNOWN', 'BLOB_UNKNOWN', 'NAME_UNKNOWN']);
/** The reads retried through the mirror (blobs too, but only GET). The signature extension: containers/image reads it after the manifest. */
const MIRRORED_KINDS: ReadonlySet<OciRoute['kind']> = new Set(['manifest', 'tags', 'referrers', 'signatures']);

export function registerOciRoutes(app: FastifyInstance, deps: OciDeps): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => dispatch(request, reply, deps);
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/v2', handler });
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/v2/*', handler });
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/extensions/v2/*', handler });
}

// Returns the reply: an async fastify handler that resolves to undefined after reply.send(stream)
// makes fastify send an empty body.
async function dispatch(request: FastifyRequest, reply: FastifyReply, deps: OciDeps): Promise<FastifyReply> {
  try {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
    // containers/image (skopeo, podman, buildah) reads this on its ping of /v2/: signatures made
    // with --sign-by are then stored and read through /extensions/v2/.../signatures/.
    reply.header('X-Registry-Supports-Signatures', '1');
    const { path, query } = splitUrl(request.raw.url ?? '');
    const route = parseOciPath(path);
    if (!route) throw new RegistryError('NOT_FOUND', undefined, { message: 'no such endpoint in the distribution API' });
    request.routeKind = `${route.kind}_${request.method.toLowerCase()}`;
    const endpoint = ENDPOINTS[route.kind][request.method];
    if (!endpoint) throw new RegistryError('UNSUPPORTED', { method: request.method }, { message: `${request.method} is not supported on this endpoint` });

    // The name is validated before anything else touches it (NAME_INVALID, 400).
    const repository = 'name' in route ? canonicalRepositoryName(route.name) : '';
    const identity = await authenticate(deps.auth, request, deps.publicUrl);
    if (endpoint.action === 'login') {
      if (deps.auth.loginRequired && !identity) {
        throw new RegistryError('UNAUTHORIZED', undefined, { headers: { 'WWW-Authenticate': deps.auth.challenge({ baseUrl: baseUrlOf(request, deps.publicUrl) }) } });
      }
    } else {
      try {
        const source = route.kind === 'upload_start' ? mountSourceOf(query) : undefined;
        await requireAccess(deps.auth, request, deps.publicUrl, identity, repository || undefined, endpoint.action, deps.onDenied, source ? [mountSourceScope(source)] : []);
      } catch (error) {
        // A push checks whether each blob exists with HEAD first. To a signed-in caller who may
        // not read the repository, the blob is simply not there (as Distribution and Docker Hub
        // answer), so the client goes on to the upload and reports that refusal, with its reason,
        // instead of stopping at "403 trying to reuse blob".
        if (route.kind === 'blob' && request.method === 'HEAD' && error instanceof RegistryError && error.code === 'DENIED') {
          throw new RegistryError('BLOB_UNKNOWN', { digest: route.digest });
        }
        throw error;
      }
    }
    // A proxy project holds what its upstream has: nobody pushes into it (registry/pull-through.ts).
    if (endpoint.action === 'push' && repository && deps.registry.pullThrough?.covers(repository)) {
      throw new RegistryError('DENIED', [{ Type: 'repository', Name: repository, Action: 'push' }], { message: 'this is a proxy project (a pull-through cache of an upstream registry): it cannot be pushed to' });
    }
    const call: OciCall = {
      request,
      reply,
      route,
      repository,
      query,
      identity,
      ctx: { actor: { name: identity?.name, address: request.ip }, requestId: request.id },
      deps,
    };
    try {
      await endpoint.handle(call);
    } catch (error) {
      // Transparent mirror mode: a pull that found nothing here (docker's registry-mirrors asks for
      // /v2/library/nginx/...) is answered by the mirror proxy project, with its access rules.
      const mirrored = MIRRORED_MISSES.has(error instanceof RegistryError ? error.code : '') && (request.method === 'GET' || request.method === 'HEAD')
        // Not a blob HEAD: a pusher asks that before it uploads, and must not learn of the upstream's blobs.
        && (MIRRORED_KINDS.has(route.kind) || (route.kind === 'blob' && request.method === 'GET')) ? deps.registry.pullThrough?.mirrorOf?.(repository) : undefined;
      if (!mirrored || reply.sent) throw error;
      await requireAccess(deps.auth, request, deps.publicUrl, identity, mirrored, 'pull', deps.onDenied);
      await endpoint.handle({ ...call, repository: mirrored });
    }
    return reply;
  } catch (error) {
    return sendError(request, reply, error);
  }
}
