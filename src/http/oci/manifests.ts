// /v2/<name>/manifests/<reference> — PUT, GET, HEAD and DELETE, by tag or digest.
import { readLimited } from '../body.ts';
import { mayAccess } from './access.ts';
import type { OciCall } from './context.ts';
import { location, manifestPathOf } from './locations.ts';
import type { OciRoute } from './paths.ts';

type ManifestCall = OciCall<Extract<OciRoute, { kind: 'manifest' }>>;

export async function putManifest(call: ManifestCall): Promise<void> {
  const { request, reply, deps, repository, route } = call;
  const body = await readLimited(request.raw, deps.registry.deps.limits.manifestMaxBytes, 'MANIFEST_TOO_LARGE');
  const result = await deps.registry.manifests.put(call.ctx, repository, route.reference, body, request.headers['content-type']);
  const headers: Record<string, string> = {
    Location: location(deps.publicUrl, manifestPathOf(repository, result.digest)),
    'Docker-Content-Digest': result.digest,
  };
  if (result.subject) headers['OCI-Subject'] = result.subject;
  reply.code(201).headers(headers);
  return void reply.send();
}

export async function getManifest(call: ManifestCall, head: boolean): Promise<void> {
  const { request, reply, deps, repository, route } = call;
  const manifests = deps.registry.manifests;
  // A proxy project's read may go upstream (registry/pull-through.ts); `covers` is a memory lookup.
  const through = deps.registry.pullThrough?.covers(repository) ? await deps.registry.pullThrough.resolveManifest(call.ctx, repository, route.reference) : undefined;
  const info = through?.info ?? (await manifests.resolve(repository, route.reference));
  if (through?.warning) reply.header('Warning', through.warning);
  // Policies (a vulnerability policy, a trust policy) may refuse a GET; a HEAD is never refused.
  if (!head && manifests.gated) {
    await manifests.checkPull({
      repository, digest: info.digest, mediaType: info.mediaType, byDigest: info.tag === undefined,
      ...(call.identity?.name ? { account: call.identity.name } : {}),
      // The account's right, not only this token's scope: a client reading the image it is about to
      // sign asks for a pull-only token (skopeo copy --sign-by's source, cosign's reads), so a
      // bearer token is also asked whether its credential could get push.
      mayPush: async () => (await mayAccess(deps.auth, call.identity, repository, 'push'))
        || Boolean(call.identity?.grants && deps.auth.couldObtain && (await deps.auth.couldObtain(call.identity, repository, 'push'))),
    });
  }
  reply.code(200).headers({
    'Content-Type': info.mediaType,
    'Content-Length': String(info.size),
    'Docker-Content-Digest': info.digest,
    ETag: `"${info.digest}"`,
  });
  if (head) return void reply.send();
  if (request.headers['if-none-match'] === `"${info.digest}"`) {
    reply.code(304);
    return void reply.send();
  }
  const body = await manifests.bytes(info.digest);
  manifests.pulled(call.ctx, repository, info);
  return void reply.send(body);
}

export async function deleteManifest(call: ManifestCall): Promise<void> {
  await call.deps.registry.manifests.delete(call.ctx, call.repository, call.route.reference);
  call.reply.code(202);
  return void call.reply.send();
}
