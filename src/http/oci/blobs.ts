// /v2/<name>/blobs/<digest> — GET (with Range), HEAD and DELETE.
import { RegistryError } from '../../core/errors.ts';
import type { OciCall } from './context.ts';
import type { OciRoute } from './paths.ts';
import { sendPooled } from './pooled-send.ts';
import { parseRangeHeader } from './ranges.ts';

type BlobCall = OciCall<Extract<OciRoute, { kind: 'blob' }>>;

/** A proxy project's blob that is not cached yet (registry/pull-through.ts): undefined otherwise. */
function uncached<T>(call: BlobCall, read: Promise<T>): Promise<T | undefined> {
  if (!call.deps.registry.pullThrough?.covers(call.repository)) return read;
  return read.catch((error: unknown) => {
    if (error instanceof RegistryError && error.code === 'BLOB_UNKNOWN') return undefined;
    throw error;
  });
}

export async function headBlob(call: BlobCall): Promise<void> {
  const info = (await uncached(call, call.deps.registry.blobs.lookup(call.repository, call.route.digest)))
    ?? (await call.deps.registry.pullThrough!.headBlob(call.repository, call.route.digest));
  call.reply.code(200).headers({
    'Content-Length': String(info.size),
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': info.digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${info.digest}"`,
  });
  return void call.reply.send();
}

export async function getBlob(call: BlobCall): Promise<void> {
  const { reply, request, deps, repository, route } = call;
  const known = await uncached(call, deps.registry.blobs.stat(repository, route.digest));
  if (!known) {
    // Streamed to the client while it is stored; a Range is answered with the whole blob (200).
    const pulled = await deps.registry.pullThrough!.fetchBlob(call.ctx, repository, route.digest);
    reply.code(200).headers({
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': pulled.info.digest,
      ETag: `"${pulled.info.digest}"`,
      ...(pulled.info.size >= 0 ? { 'Content-Length': String(pulled.info.size) } : {}),
    });
    return void reply.send(pulled.stream);
  }
  const info = known;
  const rangeHeader = request.headers.range;
  const range = parseRangeHeader(rangeHeader, info.size);
  const length = range ? range.end - range.start + 1 : info.size;
  // Large bodies go through reused buffers when the driver can read at positions (pooled-send.ts).
  const reader = length >= POOLED_FROM ? await deps.registry.blobs.openReader(info) : undefined;
  const stream = reader ? undefined : (await deps.registry.blobs.open(repository, info.digest, range)).stream;
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': info.digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${info.digest}"`,
    // Content-addressed bytes never change.
    'Cache-Control': 'max-age=31536000, immutable',
  };
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
    headers['Content-Length'] = String(range.end - range.start + 1);
    reply.code(206);
  } else {
    headers['Content-Length'] = String(info.size);
    reply.code(200);
  }
  reply.headers(headers);
  if (reader) return sendPooled(reply, reader, range?.start ?? 0, length);
  return void reply.send(stream);
}

/** Bodies from this size on are sent through pooled buffers. */
const POOLED_FROM = 4 * 1024 * 1024;

export async function deleteBlob(call: BlobCall): Promise<void> {
  await call.deps.registry.blobs.delete(call.ctx, call.repository, call.route.digest);
  call.reply.code(202);
  return void call.reply.send();
}
