// /v2/<name>/blobs/uploads/ — starting, appending to, checking, finishing and cancelling uploads,
// and cross-repository mounts.
import type { IncomingMessage } from 'node:http';
import { tryParseDigest } from '../../core/digest.ts';
import { RegistryError } from '../../core/errors.ts';
import { isValidRepositoryName, canonicalRepositoryName } from '../../core/reference.ts';
import { blobBody, contentLength, discardUnreadBody, hasBody } from '../body.ts';
import { insufficientScope, mayAccess, mountSourceScope, scopeOf } from './access.ts';
import type { OciCall } from './context.ts';
import { blobPathOf, location, uploadPath, uploadRange } from './locations.ts';
import { parseContentRange } from './ranges.ts';
import type { OciRoute } from './paths.ts';

/** The canonical source repository of a mount (`?mount=D&from=SRC`), or undefined when none is usable. */
export function mountSourceOf(query: URLSearchParams): string | undefined {
  const from = query.get('from');
  if (query.get('mount') === null || from === null || !isValidRepositoryName(from)) return undefined;
  return canonicalRepositoryName(from);
}

type StartCall = OciCall<Extract<OciRoute, { kind: 'upload_start' }>>;
type SessionCall = OciCall<Extract<OciRoute, { kind: 'upload' }>>;

export async function startUpload(call: StartCall): Promise<void> {
  const { reply, query, repository, deps, request } = call;
  const uploads = deps.registry.uploads;

  const mount = query.get('mount');
  if (mount !== null) {
    const digest = tryParseDigest(mount);
    if (!digest) throw new RegistryError('DIGEST_INVALID', { digest: mount.slice(0, 200) }, { message: 'invalid digest in mount' });
    // A mount needs pull rights on the source; without them (or without the blob) the spec's
    // answer is a normal upload session instead.
    const source = mountSourceOf(query);
    if (source !== undefined) {
      const identity = call.identity;
      if (await mayAccess(deps.auth, identity, source, 'pull')) {
        const blob = await deps.registry.blobs.mount(call.ctx, repository, digest.digest, source);
        if (blob) {
          reply.code(201).headers({
            Location: location(deps.publicUrl, blobPathOf(repository, blob.digest)),
            'Docker-Content-Digest': blob.digest,
          });
          return void reply.send();
        }
      } else if (identity?.grants && deps.auth.couldObtain && (await deps.auth.couldObtain(identity, source, 'pull'))) {
        // The token was asked for the target only, but its credential may pull the source: 401
        // insufficient_scope naming both, so the client fetches a token that allows the mount.
        // A caller who may not pull the source never gets here: it gets the upload session below,
        // the same answer as for a source that does not exist.
        throw insufficientScope(deps.auth, request, deps.publicUrl, [scopeOf(repository, 'push'), mountSourceScope(source)],
          [{ Type: 'repository', Name: source, Action: 'pull' }]);
      }
    }
  }

  const digest = query.get('digest');
  if (digest !== null) {
    // Monolithic upload: POST ?digest= with the whole blob as the body.
    const result = await afterUnreadBody(request.raw, () => uploads.putMonolithic(call.ctx, repository, digest, blobBody(request.raw)));
    request.bytesIn = result.size;
    reply.code(201).headers({
      Location: location(deps.publicUrl, blobPathOf(repository, result.digest)),
      'Docker-Content-Digest': result.digest,
    });
    return void reply.send();
  }

  const session = await uploads.start(repository);
  reply.code(202).headers({
    Location: location(deps.publicUrl, uploadPath(repository, session.id)),
    Range: '0-0',
    'Docker-Upload-UUID': session.id,
  });
  return void reply.send();
}

export async function patchUpload(call: SessionCall): Promise<void> {
  const { request, reply, repository, route, deps } = call;
  const range = parseContentRange(header(request.headers['content-range']));
  const before = await deps.registry.uploads.status(repository, route.id);
  const status = await afterUnreadBody(request.raw, () => deps.registry.uploads.append(repository, route.id, blobBody(request.raw), range, contentLength(request.raw)));
  request.bytesIn = status.size - before.size;
  reply.code(202).headers(progressHeaders(call, status.size));
  return void reply.send();
}

export async function putUpload(call: SessionCall): Promise<void> {
  const { request, reply, repository, route, deps, query } = call;
  const digest = query.get('digest');
  if (digest === null) throw new RegistryError('DIGEST_INVALID', undefined, { message: 'the digest query parameter is required to finish an upload' });
  const withBody = hasBody(request.raw);
  const range = withBody ? parseContentRange(header(request.headers['content-range'])) : undefined;
  const result = await afterUnreadBody(request.raw, () => deps.registry.uploads.complete(call.ctx, repository, route.id, digest, withBody ? blobBody(request.raw) : undefined, range, contentLength(request.raw)));
  reply.code(201).headers({
    Location: location(deps.publicUrl, blobPathOf(repository, result.digest)),
    'Docker-Content-Digest': result.digest,
  });
  return void reply.send();
}

export async function getUpload(call: SessionCall): Promise<void> {
  const status = await call.deps.registry.uploads.status(call.repository, call.route.id);
  call.reply.code(204).headers(progressHeaders(call, status.size));
  return void call.reply.send();
}

export async function cancelUpload(call: SessionCall): Promise<void> {
  await call.deps.registry.uploads.cancel(call.repository, call.route.id);
  call.reply.code(204);
  return void call.reply.send();
}

function progressHeaders(call: SessionCall, size: number): Record<string, string> {
  return {
    Location: location(call.deps.publicUrl, uploadPath(call.repository, call.route.id)),
    Range: uploadRange(size),
    'Docker-Upload-UUID': call.route.id,
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Runs an upload step; when it is refused before it read its body (a quota refusal, an unknown
 * session), the body is read and discarded first (bounded: body.ts), so the client reads the
 * refusal instead of failing its write.
 */
async function afterUnreadBody<T>(req: IncomingMessage, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    await discardUnreadBody(req);
    throw error;
  }
}
