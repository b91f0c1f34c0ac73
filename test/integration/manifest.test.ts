// Manifests (distribution-spec v1.1, Push/Pull/Content Management): the four types by tag and by
// digest, exact bytes, headers, validation errors, size limit and deletes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, descriptor, digestOf, expectDigestHeader, expectError, expectManifest, expectStatus, getManifest, location, MediaType,
  LAYER_MEDIA_TYPE, parseErrors, pushImage, putManifest, raw, randomBlob, repoName, startServer, uploadBlob,
  type PushedImage, type Server,
} from './helpers.ts';

function indexOf(mediaType: string, children: PushedImage[], extra: Record<string, unknown> = {}): Buffer {
  const platforms = [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }];
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c, i) => ({ ...descriptor(c.mediaType, c.manifest), platform: platforms[i % 2] })),
    ...extra,
  }, null, 1));
}

async function expectPutCreated(srv: Server, res: Response, repo: string, bytes: Buffer, what: string): Promise<void> {
  await expectStatus(res, 201, what);
  assert.equal(res.headers.get('docker-content-digest'), digestOf(bytes), `${what}: Docker-Content-Digest`);
  const loc = location(srv, res);
  const got = await call(srv, 'GET', loc, { headers: { accept: '*/*, ' + [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ') } });
  await expectStatus(got, 200, `${what}: GET the Location ${loc}`);
  assert.ok(new URL(loc).pathname.startsWith(`/v2/${repo}/manifests/`), `${what}: Location ${loc} is not a manifest URL of ${repo}`);
}

/** PUT by tag, GET by tag and digest, HEAD; then PUT the same bytes by digest. */
async function roundTrip(srv: Server, repo: string, tag: string, bytes: Buffer, mediaType: string): Promise<void> {
  const digest = digestOf(bytes);
  await expectPutCreated(srv, await putManifest(srv, repo, tag, bytes, mediaType), repo, bytes, `PUT ${mediaType} by tag`);
  await expectManifest(srv, repo, tag, bytes, mediaType, 'by tag:');
  await expectManifest(srv, repo, digest, bytes, mediaType, 'by digest:');
  for (const ref of [tag, digest]) {
    const head = await getManifest(srv, repo, ref, 'HEAD');
    const body = await expectStatus(head, 200, `HEAD ${repo}:${ref}`);
    assert.equal(body.length, 0, 'HEAD has no body');
    assert.equal(head.headers.get('docker-content-digest'), digest, 'HEAD Docker-Content-Digest');
    assert.equal(head.headers.get('content-length'), String(bytes.length), 'HEAD Content-Length');
    assert.equal(head.headers.get('content-type')?.split(';')[0], mediaType, 'HEAD Content-Type');
  }
  await expectPutCreated(srv, await putManifest(srv, repo, digest, bytes, mediaType), repo, bytes, `PUT ${mediaType} by digest again`);
}

describe('manifests', () => {
  let srv: Server;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('OCI image manifest: PUT by tag and digest, GET exact bytes, HEAD', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { annotations: { 'org.example.k': 'v' }, indent: 5 });
    await roundTrip(srv, repo, 'oci', img.manifest, MediaType.OciManifest);
  });

  it('OCI image manifest pushed only by digest is pullable by digest and creates no tag', async () => {
    const repo = repoName();
    const tagged = await pushImage(srv, repo, { tag: 'only' });
    const img = await pushImage(srv, repo, { indent: 0 });
    await expectManifest(srv, repo, img.digest, img.manifest, MediaType.OciManifest);
    const res = await call(srv, 'GET', `/v2/${repo}/tags/list`);
    const body = JSON.parse((await expectStatus(res, 200, 'tags list')).toString()) as { tags: string[] };
    assert.deepEqual(body.tags, [tagged.tag]);
  });

  it('OCI image index: PUT by tag and digest, GET exact bytes, HEAD', async () => {
    const repo = repoName();
    const a = await pushImage(srv, repo);
    const b = await pushImage(srv, repo);
    await roundTrip(srv, repo, 'index', indexOf(MediaType.OciIndex, [a, b], { annotations: { 'org.example.idx': '1' } }), MediaType.OciIndex);
  });

  it('Docker image manifest v2 schema 2: PUT by tag and digest, GET exact bytes, HEAD', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { format: 'docker', indent: 3 });
    await roundTrip(srv, repo, 'docker', img.manifest, MediaType.DockerManifest);
  });

  it('Docker manifest list: PUT by tag and digest, GET exact bytes, HEAD', async () => {
    const repo = repoName();
    const a = await pushImage(srv, repo, { format: 'docker' });
    const b = await pushImage(srv, repo, { format: 'docker' });
    await roundTrip(srv, repo, 'list', indexOf(MediaType.DockerManifestList, [a, b]), MediaType.DockerManifestList);
  });

  it('an OCI index may nest another index', async () => {
    const repo = repoName();
    const a = await pushImage(srv, repo);
    const inner = indexOf(MediaType.OciIndex, [a]);
    await expectStatus(await putManifest(srv, repo, digestOf(inner), inner, MediaType.OciIndex), 201, 'PUT inner index');
    const outer = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [descriptor(MediaType.OciIndex, inner)] }));
    await roundTrip(srv, repo, 'nested', outer, MediaType.OciIndex);
  });

  it('an OCI index with no manifests is valid', async () => {
    const repo = repoName();
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));
    await roundTrip(srv, repo, 'empty-index', bytes, MediaType.OciIndex);
  });

  it('a tag moves to the newly pushed manifest; the old one stays by digest', async () => {
    const repo = repoName();
    const first = await pushImage(srv, repo, { tag: 'moving' });
    const second = await pushImage(srv, repo, { tag: 'moving' });
    await expectManifest(srv, repo, 'moving', second.manifest, MediaType.OciManifest);
    await expectManifest(srv, repo, first.digest, first.manifest, MediaType.OciManifest);
  });

  it('a manifest whose layer is missing answers 400 MANIFEST_BLOB_UNKNOWN and creates no tag', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'present' });
    const manifest = JSON.parse(img.manifest.toString()) as { layers: unknown[] };
    manifest.layers.push(descriptor(LAYER_MEDIA_TYPE, randomBlob(50)));
    const bytes = Buffer.from(JSON.stringify(manifest));
    await expectError(await putManifest(srv, repo, 'broken', bytes, MediaType.OciManifest), 400, 'MANIFEST_BLOB_UNKNOWN', 'PUT with a missing layer');
    await expectError(await getManifest(srv, repo, 'broken'), 404, 'MANIFEST_UNKNOWN', 'GET the refused tag');
    await expectError(await getManifest(srv, repo, digestOf(bytes)), 404, 'MANIFEST_UNKNOWN', 'GET the refused digest');
  });

  it('a manifest whose config is missing answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const repo = repoName();
    const layer = randomBlob(100);
    await uploadBlob(srv, repo, layer);
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciManifest,
      config: descriptor(MediaType.OciConfig, '{"missing":true}'),
      layers: [descriptor(LAYER_MEDIA_TYPE, layer)],
    }));
    await expectError(await putManifest(srv, repo, 'noconfig', bytes, MediaType.OciManifest), 400, 'MANIFEST_BLOB_UNKNOWN', 'PUT with a missing config');
  });

  it('a manifest whose blobs live only in another repository answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const other = repoName();
    const img = await pushImage(srv, other);
    const repo = repoName();
    await uploadBlob(srv, repo, randomBlob(10));
    await expectError(await putManifest(srv, repo, 'foreign', img.manifest, MediaType.OciManifest), 400, 'MANIFEST_BLOB_UNKNOWN', 'PUT referencing another repository\'s blobs');
  });

  it('an index referencing a missing manifest answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const repo = repoName();
    const a = await pushImage(srv, repo);
    const ghost = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, ghost: true }));
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [descriptor(MediaType.OciManifest, a.manifest), descriptor(MediaType.OciManifest, ghost)],
    }));
    await expectError(await putManifest(srv, repo, 'idx', bytes, MediaType.OciIndex), 400, 'MANIFEST_BLOB_UNKNOWN', 'PUT index with a missing child');
    const list = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.DockerManifestList,
      manifests: [{ ...descriptor(MediaType.DockerManifest, ghost), platform: { architecture: 'amd64', os: 'linux' } }],
    }));
    await expectError(await putManifest(srv, repo, 'list', list, MediaType.DockerManifestList), 400, 'MANIFEST_BLOB_UNKNOWN', 'PUT manifest list with a missing child');
  });

  it('malformed JSON answers 400 MANIFEST_INVALID', async () => {
    const repo = repoName();
    await pushImage(srv, repo, { tag: 'ok' });
    for (const body of ['{"schemaVersion": 2,', 'not json at all', '']) {
      await expectError(await putManifest(srv, repo, 'bad', body, MediaType.OciManifest), 400, 'MANIFEST_INVALID', `PUT ${JSON.stringify(body)}`);
    }
    await expectError(await getManifest(srv, repo, 'bad'), 404, 'MANIFEST_UNKNOWN', 'GET the refused tag');
  });

  it('JSON that is not a valid manifest answers 400 MANIFEST_INVALID', async () => {
    const repo = repoName();
    const cases: [string, string][] = [
      ['[]', MediaType.OciManifest],
      ['{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}', MediaType.OciManifest],
      ['{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:nothex","size":1},"layers":[]}', MediaType.OciManifest],
      ['{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":"nope"}', MediaType.OciIndex],
    ];
    for (const [body, mediaType] of cases) {
      await expectError(await putManifest(srv, repo, 'bad', body, mediaType), 400, ['MANIFEST_INVALID', 'DIGEST_INVALID'], `PUT ${body.slice(0, 60)}`);
    }
  });

  it('PUT by digest whose bytes do not match answers 400 DIGEST_INVALID', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo);
    const other = Buffer.concat([img.manifest, Buffer.from(' ')]);
    await expectError(await putManifest(srv, repo, img.digest, other, MediaType.OciManifest), 400, 'DIGEST_INVALID', 'PUT by a digest of other bytes');
    await expectManifest(srv, repo, img.digest, img.manifest, MediaType.OciManifest, 'unchanged:');
    await expectError(await getManifest(srv, repo, digestOf(other)), 404, 'MANIFEST_UNKNOWN', 'GET the refused bytes');
  });

  it('a manifest above 4 MiB answers 413', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo);
    const manifest = JSON.parse(img.manifest.toString()) as Record<string, unknown>;
    manifest.annotations = { 'org.example.padding': 'x'.repeat(4 * 1024 * 1024 + 1024) };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const r = await raw(srv, 'PUT', `/v2/${repo}/manifests/huge`, { 'content-type': MediaType.OciManifest }, bytes);
    assert.equal(r.status, 413, `PUT a ${bytes.length}-byte manifest: expected 413, got ${r.status} ${r.body.toString().slice(0, 200)}`);
    assert.match(String(r.headers['content-type'] ?? ''), /json/, '413 answer is an OCI JSON error');
    parseErrors(r.body.toString(), '413 answer');
    await expectError(await getManifest(srv, repo, 'huge'), 404, 'MANIFEST_UNKNOWN', 'GET the refused tag');
  });

  it('a manifest just under 4 MiB is accepted', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo);
    const manifest = JSON.parse(img.manifest.toString()) as Record<string, unknown>;
    manifest.annotations = { 'org.example.padding': 'y'.repeat(4 * 1024 * 1024 - 4096) };
    const bytes = Buffer.from(JSON.stringify(manifest));
    assert.ok(bytes.length < 4 * 1024 * 1024);
    await expectStatus(await putManifest(srv, repo, 'big', bytes, MediaType.OciManifest), 201, `PUT a ${bytes.length}-byte manifest`);
    await expectManifest(srv, repo, 'big', bytes, MediaType.OciManifest);
  });

  it('an unknown manifest answers 404 MANIFEST_UNKNOWN (GET) and 404 (HEAD)', async () => {
    const repo = repoName();
    await pushImage(srv, repo, { tag: 'exists' });
    const digest = digestOf(randomBlob(10));
    for (const ref of ['nope', digest]) {
      await expectError(await getManifest(srv, repo, ref), 404, 'MANIFEST_UNKNOWN', `GET ${ref}`);
      await expectStatus(await getManifest(srv, repo, ref, 'HEAD'), 404, `HEAD ${ref}`);
    }
  });

  it('a manifest in an unknown repository answers 404', async () => {
    await expectError(await getManifest(srv, repoName('none'), 'latest'), 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN'], 'GET manifest of unknown repository');
  });

  it('DELETE by digest answers 202; the manifest and its tags are gone', async () => {
    const repo = repoName();
    const keep = await pushImage(srv, repo, { tag: 'keep' });
    const img = await pushImage(srv, repo, { tag: 'one' });
    await expectStatus(await putManifest(srv, repo, 'two', img.manifest, MediaType.OciManifest), 201, 'second tag');
    await expectStatus(await call(srv, 'DELETE', `/v2/${repo}/manifests/${img.digest}`), 202, 'DELETE by digest');
    await expectError(await getManifest(srv, repo, img.digest), 404, 'MANIFEST_UNKNOWN', 'GET deleted digest');
    await expectStatus(await getManifest(srv, repo, img.digest, 'HEAD'), 404, 'HEAD deleted digest');
    for (const tag of ['one', 'two']) await expectError(await getManifest(srv, repo, tag), 404, 'MANIFEST_UNKNOWN', `GET tag ${tag} of the deleted manifest`);
    const list = await call(srv, 'GET', `/v2/${repo}/tags/list`);
    const body = JSON.parse((await expectStatus(list, 200, 'tags list')).toString()) as { tags: string[] };
    assert.deepEqual(body.tags, ['keep']);
    await expectManifest(srv, repo, 'keep', keep.manifest, MediaType.OciManifest, 'other manifest:');
    await expectError(await call(srv, 'DELETE', `/v2/${repo}/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN', 'DELETE again');
  });

  it('DELETE by tag answers 202; the manifest still GETs by digest', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'gone' });
    await expectStatus(await putManifest(srv, repo, 'stays', img.manifest, MediaType.OciManifest), 201, 'second tag');
    await expectStatus(await call(srv, 'DELETE', `/v2/${repo}/manifests/gone`), 202, 'DELETE by tag');
    await expectError(await getManifest(srv, repo, 'gone'), 404, 'MANIFEST_UNKNOWN', 'GET deleted tag');
    await expectManifest(srv, repo, img.digest, img.manifest, MediaType.OciManifest, 'by digest after tag delete:');
    await expectManifest(srv, repo, 'stays', img.manifest, MediaType.OciManifest, 'other tag after tag delete:');
    const list = await call(srv, 'GET', `/v2/${repo}/tags/list`);
    const body = JSON.parse((await expectStatus(list, 200, 'tags list')).toString()) as { tags: string[] };
    assert.deepEqual(body.tags, ['stays']);
  });

  it('DELETE of an unknown digest or tag answers 404 MANIFEST_UNKNOWN', async () => {
    const repo = repoName();
    await pushImage(srv, repo, { tag: 'x' });
    await expectError(await call(srv, 'DELETE', `/v2/${repo}/manifests/${digestOf(randomBlob(8))}`), 404, 'MANIFEST_UNKNOWN', 'DELETE unknown digest');
    await expectError(await call(srv, 'DELETE', `/v2/${repo}/manifests/no-such-tag`), 404, 'MANIFEST_UNKNOWN', 'DELETE unknown tag');
  });

  it('a manifest of repository A is not pullable through repository B', async () => {
    const a = repoName();
    const b = repoName();
    const img = await pushImage(srv, a, { tag: 'v1' });
    await pushImage(srv, b, { tag: 'other' });
    await expectError(await getManifest(srv, b, img.digest), 404, 'MANIFEST_UNKNOWN', "GET A's manifest by digest via B");
    await expectStatus(await getManifest(srv, b, img.digest, 'HEAD'), 404, "HEAD A's manifest by digest via B");
    await expectError(await getManifest(srv, b, 'v1'), 404, 'MANIFEST_UNKNOWN', "GET A's tag via B");
  });

  it('an index whose child is a blob, not a manifest, answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo);
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [{ mediaType: MediaType.OciManifest, digest: img.layers[0]!.digest, size: img.layers[0]!.data.length }],
    }));
    await expectError(await putManifest(srv, repo, 'blobchild', bytes, MediaType.OciIndex), 400, 'MANIFEST_BLOB_UNKNOWN', 'PUT index pointing at a layer');
  });

  it('an index whose child lives only in another repository answers 400 MANIFEST_BLOB_UNKNOWN', async () => {
    const other = repoName();
    const child = await pushImage(srv, other);
    const repo = repoName();
    await pushImage(srv, repo, { tag: 'x' });
    const bytes = indexOf(MediaType.OciIndex, [child]);
    await expectError(await putManifest(srv, repo, 'foreignchild', bytes, MediaType.OciIndex), 400, 'MANIFEST_BLOB_UNKNOWN', "PUT index pointing at another repository's manifest");
  });

  it('a 128-character tag is valid; invalid tags answer 400 with an OCI error body', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo);
    const long = `A${'b'.repeat(126)}9`;
    assert.equal(long.length, 128);
    for (const tag of [long, '_x', 'UPPER.lower-1_2']) {
      await expectStatus(await putManifest(srv, repo, tag, img.manifest, MediaType.OciManifest), 201, `PUT tag ${tag.slice(0, 20)}`);
      await expectManifest(srv, repo, tag, img.manifest, MediaType.OciManifest, `tag ${tag.slice(0, 20)}:`);
    }
    for (const tag of [`a${'b'.repeat(128)}`, '-x', '.x', 'a%20b', 'a+b']) {
      const res = await putManifest(srv, repo, tag, img.manifest, MediaType.OciManifest);
      const body = await expectStatus(res, 400, `PUT invalid tag ${tag.slice(0, 20)}`);
      assert.match(res.headers.get('content-type') ?? '', /json/);
      parseErrors(body.toString(), `PUT invalid tag ${tag.slice(0, 20)}`);
    }
  });

  it('sha512: layers by sha512, a manifest PUT and GET by its sha512 digest', async () => {
    const repo = repoName();
    const layer = randomBlob(500);
    const layerDigest = await uploadBlob(srv, repo, layer, 'sha512');
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    await uploadBlob(srv, repo, config);
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciManifest,
      config: descriptor(MediaType.OciConfig, config),
      layers: [{ mediaType: LAYER_MEDIA_TYPE, digest: layerDigest, size: layer.length }],
    }));
    const d512 = digestOf(bytes, 'sha512');
    const res = await putManifest(srv, repo, d512, bytes, MediaType.OciManifest);
    await expectStatus(res, 201, 'PUT manifest by sha512 digest');
    expectDigestHeader(res, bytes, d512, 'PUT manifest by sha512 digest');
    const got = await getManifest(srv, repo, d512);
    const body = await expectStatus(got, 200, 'GET manifest by sha512 digest');
    assert.ok(body.equals(bytes));
    expectDigestHeader(got, bytes, d512, 'GET manifest by sha512 digest');
    await expectError(await putManifest(srv, repo, digestOf('other', 'sha512'), bytes, MediaType.OciManifest), 400, 'DIGEST_INVALID', 'PUT by a sha512 digest of other bytes');
  });

  it('concurrent PUTs of manifests to one tag all succeed and the tag ends on one of them', async () => {
    const repo = repoName();
    const imgs = await Promise.all([0, 1, 2, 3].map(() => pushImage(srv, repo, { layers: 1 })));
    const results = await Promise.all(imgs.map((img) => putManifest(srv, repo, 'race', img.manifest, MediaType.OciManifest)));
    for (const r of results) await expectStatus(r, 201, 'concurrent PUT to one tag');
    const res = await getManifest(srv, repo, 'race');
    const body = await expectStatus(res, 200, 'GET the raced tag');
    assert.ok(imgs.some((i) => i.manifest.equals(body)), 'the tag points at none of the pushed manifests');
    for (const img of imgs) await expectManifest(srv, repo, img.digest, img.manifest, MediaType.OciManifest, 'each raced manifest by digest:');
  });

  it('GET with an Accept header naming only the stored type returns the stored bytes unchanged', async () => {
    const repo = repoName();
    const oci = await pushImage(srv, repo, { tag: 'oci' });
    const docker = await pushImage(srv, repo, { tag: 'docker', format: 'docker' });
    for (const img of [oci, docker]) {
      const res = await call(srv, 'GET', `/v2/${repo}/manifests/${img.tag}`, { headers: { accept: img.mediaType } });
      const body = await expectStatus(res, 200, `GET ${img.tag} with Accept: ${img.mediaType}`);
      assert.ok(body.equals(img.manifest), 'bytes differ');
      assert.equal(res.headers.get('content-type')?.split(';')[0], img.mediaType);
    }
  });
});
