// /v2/<name>/blobs/<digest> — GET (with Range), HEAD and DELETE.
import type { OciCall } from './context.ts';
import type { OciRoute } from './paths.ts';
import { parseRangeHeader } from './ranges.ts';

type BlobCall = OciCall<Extract<OciRoute, { kind: 'blob' }>>;

export async function headBlob(call: BlobCall): Promise<void> {
  const info = await call.deps.registry.blobs.stat(call.repository, call.route.digest);
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
  const info = await deps.registry.blobs.stat(repository, route.digest);
  const rangeHeader = request.headers.range;
  const range = parseRangeHeader(rangeHeader, info.size);
  const { stream } = await deps.registry.blobs.open(repository, info.digest, range);
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
  return void reply.send(stream);
}

export async function deleteBlob(call: BlobCall): Promise<void> {
  await call.deps.registry.blobs.delete(call.ctx, call.repository, call.route.digest);
  call.reply.code(202);
  return void call.reply.send();
}
