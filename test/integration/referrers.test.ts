// Referrers (distribution-spec v1.1: Pushing manifests with subject, Listing Referrers).
// Distribution 2.8.2 has no referrers API, so in its development mode this whole file is skipped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACCEPT_ALL_MANIFESTS, berthOnly, raw, call, descriptor, digestOf, expectError, expectManifest, expectStatus, MediaType,
  pushImage, putManifest, randomBlob, repoName, startServer, uploadBlob, type Descriptor, type PushedImage,
  type Server,
} from './helpers.ts';

const EMPTY = Buffer.from('{}');
const SBOM = 'application/vnd.example.sbom.v1';
const SIG = 'application/vnd.example.signature.v1';

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

interface Artifact {
  bytes: Buffer;
  digest: string;
  annotations: Record<string, string>;
}

/** Pushes an artifact manifest with `subject`; expects 201 and the OCI-Subject header. */
async function pushArtifact(srv: Server, repo: string, subject: Descriptor, opts: { artifactType?: string; configMediaType?: string; tag?: string } = {}): Promise<Artifact> {
  await uploadBlob(srv, repo, EMPTY);
  const layer = randomBlob(200);
  await uploadBlob(srv, repo, layer);
  const annotations = { 'org.opencontainers.image.created': new Date().toISOString(), 'org.example.nonce': randomBlob(4).toString('hex') };
  const manifest: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.OciManifest };
  if (opts.artifactType) manifest.artifactType = opts.artifactType;
  manifest.config = opts.configMediaType ? descriptor(opts.configMediaType, EMPTY) : descriptor(MediaType.OciEmpty, EMPTY);
  manifest.layers = [descriptor('application/octet-stream', layer)];
  manifest.subject = subject;
  manifest.annotations = annotations;
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  const digest = digestOf(bytes);
  const res = await putManifest(srv, repo, opts.tag ?? digest, bytes, MediaType.OciManifest);
  await expectStatus(res, 201, 'PUT artifact with subject');
  assert.equal(res.headers.get('oci-subject'), subject.digest, 'OCI-Subject header on a push with subject');
  assert.equal(res.headers.get('docker-content-digest'), digest, 'Docker-Content-Digest of the artifact');
  return { bytes, digest, annotations };
}

async function referrers(srv: Server, repo: string, digest: string, query = ''): Promise<{ res: Response; index: Index }> {
  const res = await call(srv, 'GET', `/v2/${repo}/referrers/${digest}${query}`);
  const body = await expectStatus(res, 200, `GET referrers of ${digest}${query}`);
  // The spec fixes this header exactly: no "; charset=utf-8" or other parameter.
  assert.equal(res.headers.get('content-type'), MediaType.OciIndex, 'referrers Content-Type');
  const index = JSON.parse(body.toString()) as Index;
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.mediaType, MediaType.OciIndex);
  assert.ok(Array.isArray(index.manifests), 'referrers index lacks a manifests array');
  return { res, index };
}

function subjectOf(img: PushedImage): Descriptor {
  return descriptor(img.mediaType, img.manifest);
}

describe('referrers', berthOnly('Distribution 2.8.2 has no referrers API'), () => {
  let srv: Server;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('a push with subject answers 201 with OCI-Subject; referrers lists the descriptor with artifactType and annotations', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const art = await pushArtifact(srv, repo, subjectOf(img), { artifactType: SBOM });
    const { index } = await referrers(srv, repo, img.digest);
    assert.equal(index.manifests.length, 1, `expected one referrer, got ${JSON.stringify(index.manifests)}`);
    const d = index.manifests[0]!;
    assert.equal(d.mediaType, MediaType.OciManifest);
    assert.equal(d.digest, art.digest);
    assert.equal(d.size, art.bytes.length);
    assert.equal(d.artifactType, SBOM);
    assert.deepEqual(d.annotations, art.annotations);
    await expectManifest(srv, repo, art.digest, art.bytes, MediaType.OciManifest, 'the artifact itself:');
  });

  it('without artifactType, the descriptor takes the config media type', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const art = await pushArtifact(srv, repo, subjectOf(img), { configMediaType: 'application/vnd.example.config.v1+json' });
    const { index } = await referrers(srv, repo, img.digest);
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0]!.digest, art.digest);
    assert.equal(index.manifests[0]!.artifactType, 'application/vnd.example.config.v1+json');
  });

  it('?artifactType= filters and sets OCI-Filters-Applied: artifactType', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const sbom = await pushArtifact(srv, repo, subjectOf(img), { artifactType: SBOM });
    const sig = await pushArtifact(srv, repo, subjectOf(img), { artifactType: SIG });
    const all = await referrers(srv, repo, img.digest);
    assert.deepEqual(all.index.manifests.map((d) => d.digest).sort(), [sbom.digest, sig.digest].sort());
    assert.equal(all.res.headers.get('oci-filters-applied'), null, 'no OCI-Filters-Applied without a filter');
    const filtered = await referrers(srv, repo, img.digest, `?artifactType=${encodeURIComponent(SIG)}`);
    assert.equal(filtered.res.headers.get('oci-filters-applied'), 'artifactType');
    assert.deepEqual(filtered.index.manifests.map((d) => d.digest), [sig.digest]);
    assert.equal(filtered.index.manifests[0]!.artifactType, SIG);
    const none = await referrers(srv, repo, img.digest, `?artifactType=${encodeURIComponent('application/vnd.example.none')}`);
    assert.equal(none.res.headers.get('oci-filters-applied'), 'artifactType');
    assert.deepEqual(none.index.manifests, []);
  });

  it('an unknown subject gives an empty index with 200', async () => {
    const repo = repoName();
    await pushImage(srv, repo, { tag: 'v1' });
    const { index } = await referrers(srv, repo, digestOf(randomBlob(16)));
    assert.deepEqual(index.manifests, []);
  });

  it('an artifact may be pushed before its subject exists', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { noPut: true }); // blobs uploaded, manifest not yet
    await expectError(await call(srv, 'GET', `/v2/${repo}/manifests/${img.digest}`), 404, 'MANIFEST_UNKNOWN', 'the subject does not exist yet');
    const subject = subjectOf(img);
    const art = await pushArtifact(srv, repo, subject, { artifactType: SBOM });
    let { index } = await referrers(srv, repo, img.digest);
    assert.deepEqual(index.manifests.map((d) => d.digest), [art.digest], 'referrers of a subject that does not exist yet');
    await expectStatus(await putManifest(srv, repo, 'late', img.manifest, MediaType.OciManifest), 201, 'PUT the subject afterwards');
    ({ index } = await referrers(srv, repo, img.digest));
    assert.deepEqual(index.manifests.map((d) => d.digest), [art.digest], 'referrers after the subject arrived');
  });

  it('a subject that was never pushed anywhere is accepted', async () => {
    const repo = repoName();
    const ghost = descriptor(MediaType.OciManifest, JSON.stringify({ schemaVersion: 2, ghost: randomBlob(4).toString('hex') }));
    const art = await pushArtifact(srv, repo, ghost, { artifactType: SIG });
    const { index } = await referrers(srv, repo, ghost.digest);
    assert.deepEqual(index.manifests.map((d) => d.digest), [art.digest]);
  });

  it('referrers are scoped to the repository', async () => {
    const repo = repoName();
    const other = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    await pushImage(srv, other, { tag: 'v1' });
    await pushArtifact(srv, repo, subjectOf(img), { artifactType: SBOM });
    const { index } = await referrers(srv, other, img.digest);
    assert.deepEqual(index.manifests, [], 'referrers leaked into another repository');
  });

  it('an index with subject is listed too, without artifactType when it has none', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const child = await pushImage(srv, repo);
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [descriptor(MediaType.OciManifest, child.manifest)],
      subject: subjectOf(img),
      annotations: { 'org.example.kind': 'index-referrer' },
    }));
    const res = await putManifest(srv, repo, digestOf(bytes), bytes, MediaType.OciIndex);
    await expectStatus(res, 201, 'PUT index with subject');
    assert.equal(res.headers.get('oci-subject'), img.digest);
    const { index } = await referrers(srv, repo, img.digest);
    assert.equal(index.manifests.length, 1);
    const d = index.manifests[0]!;
    assert.equal(d.mediaType, MediaType.OciIndex);
    assert.equal(d.digest, digestOf(bytes));
    assert.equal(d.size, bytes.length);
    assert.equal(d.artifactType, undefined, 'an index without artifactType has none in its descriptor');
    assert.deepEqual(d.annotations, { 'org.example.kind': 'index-referrer' });
  });

  it('deleting a referrer removes it from the list', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const art = await pushArtifact(srv, repo, subjectOf(img), { artifactType: SBOM });
    await expectStatus(await call(srv, 'DELETE', `/v2/${repo}/manifests/${art.digest}`), 202, 'DELETE the referrer');
    const { index } = await referrers(srv, repo, img.digest);
    assert.deepEqual(index.manifests, []);
  });

  it('a tagged artifact is both a tag and a referrer', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const art = await pushArtifact(srv, repo, subjectOf(img), { artifactType: SBOM, tag: 'sbom' });
    await expectManifest(srv, repo, 'sbom', art.bytes, MediaType.OciManifest);
    const { index } = await referrers(srv, repo, img.digest);
    assert.deepEqual(index.manifests.map((d) => d.digest), [art.digest]);
  });

  it('HEAD on referrers answers 200 with no body (every GET has a HEAD)', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const res = await call(srv, 'HEAD', `/v2/${repo}/referrers/${img.digest}`);
    const body = await expectStatus(res, 200, 'HEAD referrers');
    assert.equal(body.length, 0);
    assert.equal(res.headers.get('content-type'), MediaType.OciIndex, 'HEAD referrers Content-Type');
  });

  it('Content-Type is exactly the media type, with no charset, on referrers (empty, filtered, listed) and on manifests', async () => {
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'v1' });
    const unknown = digestOf(randomBlob(8));
    // Raw reads: the header as it is on the wire, not as fetch may normalise it.
    for (const path of [`/v2/${repo}/referrers/${unknown}`, `/v2/${repo}/referrers/${img.digest}`, `/v2/${repo}/referrers/${img.digest}?artifactType=${encodeURIComponent(SBOM)}`]) {
      for (const method of ['GET', 'HEAD']) {
        const r = await raw(srv, method, path);
        assert.equal(r.status, 200, `${method} ${path}`);
        assert.equal(r.headers['content-type'], MediaType.OciIndex, `${method} ${path}: Content-Type`);
      }
    }
    await pushArtifact(srv, repo, subjectOf(img), { artifactType: SBOM });
    const listed = await raw(srv, 'GET', `/v2/${repo}/referrers/${img.digest}`);
    assert.equal(listed.headers['content-type'], MediaType.OciIndex, 'referrers with one descriptor: Content-Type');
    assert.equal(JSON.parse(listed.body.toString()).manifests.length, 1);
    for (const method of ['GET', 'HEAD']) {
      const r = await raw(srv, method, `/v2/${repo}/manifests/v1`, { accept: ACCEPT_ALL_MANIFESTS });
      assert.equal(r.status, 200, `${method} manifest`);
      assert.equal(r.headers['content-type'], img.mediaType, `${method} manifest: Content-Type`);
    }
  });

  it('a malformed digest answers 400 with an OCI error body', async () => {
    const repo = repoName();
    await pushImage(srv, repo, { tag: 'v1' });
    await expectError(await call(srv, 'GET', `/v2/${repo}/referrers/sha256:nothex`), 400, 'DIGEST_INVALID', 'GET referrers of a malformed digest');
  });
});
