// Non-distributable ("foreign") layers (image-spec: layers whose content the registry need not
// hold, such as Windows base layers, usually with `urls`): a manifest that references them is
// accepted without those blobs, over real HTTP against a real `berth serve --auth builtin`. What
// else could assume every layer is present is checked too: reading the image back, quota usage
// (a layer that is not here costs nothing), the scan (it reads the layers that are here and skips
// the others), and GC (a non-distributable layer that WAS pushed is kept like any layer while an
// image uses it and collected with the image; one that never was breaks nothing).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { dbFacts, storedDigests } from '../helpers/gc-checks.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, dpkgStatus, layerOf, sha256, waitReport } from './scan-helpers.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const ND = {
  tar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  gzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  docker: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
};
const GIB = 2 ** 30;
const GC_ENV = {
  BERTH_GC_REVIEW_DELAY_SECONDS: '1',
  BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0',
  BERTH_GC_INTERVAL_SECONDS: '3600',
  BERTH_GC_KEEP_TAG_HISTORY: '0',
};

interface Layer { mediaType: string; digest: string; size: number; urls?: string[] }

/** A descriptor of content that is not pushed: a random digest and a large declared size. */
function absent(mediaType: string, urls = true): Layer {
  const digest = sha256(randomBytes(32));
  return { mediaType, digest, size: 3 * GIB, ...(urls ? { urls: [`https://mcr.example.com/v2/windows/blobs/${digest}`] } : {}) };
}

describe('non-distributable layers', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  const repo = 'alice/win';

  const v2 = (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method, headers: { authorization: basic(alice), ...headers }, ...(body ? { body } : {}) });

  async function upload(data: Buffer): Promise<string> {
    const digest = sha256(data);
    const res = await v2('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, data, { 'content-type': 'application/octet-stream' });
    assert.equal(res.status, 201, `upload: ${await res.text()}`);
    return digest;
  }

  async function config(mediaType = 'application/vnd.oci.image.config.v1+json'): Promise<Layer> {
    const data = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, salt: randomBytes(6).toString('hex') }));
    return { mediaType, digest: await upload(data), size: data.length };
  }

  function manifestOf(cfg: Layer, layers: Layer[], mediaType = OCI_MANIFEST): Buffer {
    return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: cfg, layers }, null, 2));
  }

  async function put(tag: string, bytes: Buffer, mediaType = OCI_MANIFEST): Promise<Response> {
    return v2('PUT', `/v2/${repo}/manifests/${tag}`, bytes, { 'content-type': mediaType });
  }

  async function expectPushed(tag: string, bytes: Buffer, mediaType = OCI_MANIFEST): Promise<string> {
    const res = await put(tag, bytes, mediaType);
    assert.equal(res.status, 201, `PUT ${repo}:${tag}: ${res.status} ${await res.text()}`);
    const digest = sha256(bytes);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    const get = await v2('GET', `/v2/${repo}/manifests/${tag}`, undefined, { accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), mediaType);
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(bytes), `${repo}:${tag} reads back byte for byte`);
    return digest;
  }

  async function blobStatus(digest: string): Promise<number> {
    const res = await v2('HEAD', `/v2/${repo}/blobs/${digest}`);
    return res.status;
  }

  async function gc(): Promise<{ manifests: number; blobs: number; bytes: number }> {
    return JSON.parse(ok(await berth(['gc', '--data', server.dataDir, '--json'], { env: GC_ENV })).stdout) as { manifests: number; blobs: number; bytes: number };
  }

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, ...GC_ENV } });
    alice = await addUser(server, 'alice');
  });
  after(async () => { await server?.stop(); });

  it('an OCI manifest whose non-distributable layers (tar, +gzip, +zstd; with and without urls) were never pushed is accepted', async () => {
    const cfg = await config();
    const data = layerOf({ 'etc/hello': 'hello' });
    const here: Layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await upload(data), size: data.length };
    const foreign = [absent(ND.gzip), absent(ND.tar, false), absent(ND.zstd), absent(ND.gzip, false)];
    await expectPushed('oci', manifestOf(cfg, [...foreign, here]));
    for (const l of foreign) assert.equal(await blobStatus(l.digest), 404, 'the foreign layer is not served: it is not here');
    assert.equal(await blobStatus(here.digest), 200);
  });

  it('a Docker schema 2 manifest with a foreign layer (rootfs.foreign.diff.tar.gzip with urls) is accepted', async () => {
    const cfg = await config('application/vnd.docker.container.image.v1+json');
    const data = layerOf({ 'etc/docker': 'x' });
    const here: Layer = { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: await upload(data), size: data.length };
    await expectPushed('docker', manifestOf(cfg, [absent(ND.docker), here], DOCKER_MANIFEST), DOCKER_MANIFEST);
  });

  it('an ordinary layer with urls may be absent too (containers/image never uploads a layer that has urls)', async () => {
    await expectPushed('urls', manifestOf(await config(), [absent('application/vnd.oci.image.layer.v1.tar+gzip', true)]));
  });

  it('a missing ordinary layer or config is still 400 MANIFEST_BLOB_UNKNOWN, naming only what is missing', async () => {
    const cfg = await config();
    const missing = absent('application/vnd.oci.image.layer.v1.tar+gzip', false);
    const res = await put('bad', manifestOf(cfg, [absent(ND.gzip), missing]));
    const body = await res.json() as { errors: { code: string; detail: { missing: string[] } }[] };
    assert.equal(res.status, 400);
    assert.equal(body.errors[0]!.code, 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(body.errors[0]!.detail.missing, [missing.digest]);
    // The config must be here even when every layer is foreign.
    const noConfig = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(randomBytes(8)), size: 10, urls: ['https://example.com/c'] };
    const res2 = await put('bad2', manifestOf(noConfig, [absent(ND.gzip)]));
    assert.equal(res2.status, 400);
    assert.equal(((await res2.json()) as { errors: { code: string }[] }).errors[0]!.code, 'MANIFEST_BLOB_UNKNOWN');
    // urls that are not an array of strings make the manifest invalid.
    const cfg3 = await config();
    const res3 = await put('bad3', manifestOf(cfg3, [{ ...absent(ND.gzip), urls: 'https://example.com/x' as unknown as string[] }]));
    assert.equal(res3.status, 400);
    assert.equal(((await res3.json()) as { errors: { code: string }[] }).errors[0]!.code, 'MANIFEST_INVALID');
  });

  it('quota usage counts only what is here: a foreign layer declared at 3 GiB neither counts nor is refused by a 50 MiB quota', async () => {
    expectStatus(await call(server, 'PATCH', '/projects/alice', { as: ADMIN, body: { quotaBytes: 50 * 2 ** 20 } }), 200);
    await expectPushed('quota', manifestOf(await config(), [absent(ND.gzip), absent(ND.zstd)]));
    const project = expectStatus(await call(server, 'GET', '/projects/alice', { as: alice }), 200).body;
    assert.ok(project.quota.usedBytes < 2 ** 20, `usage ${project.quota.usedBytes} counts only the blobs and manifests stored`);
    expectStatus(await call(server, 'PATCH', '/projects/alice', { as: ADMIN, body: { quotaBytes: null } }), 200);
  });

  it('the scan reads the layers that are here and skips the foreign ones: the report is done, with the packages', async () => {
    const os = layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE, 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }]) });
    const here: Layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await upload(os), size: os.length };
    await expectPushed('scan', manifestOf(await config(), [absent(ND.gzip), here, absent(ND.tar, false)]));
    const report = await waitReport(server, alice, repo, 'scan');
    assert.equal(report.status, 'done', `scan status ${report.status}: ${report.error}`);
    assert.deepEqual(report.inventory.os?.id, 'debian');
    assert.deepEqual(report.packages.map((p: { name: string }) => p.name), ['tar']);
  });

  it('GC: a non-distributable layer pushed here is kept while its image is, then collected with it; absent ones break nothing', async () => {
    const cfg = await config();
    const nd = randomBytes(4096);
    const present: Layer = { mediaType: ND.tar, digest: await upload(nd), size: nd.length, urls: ['https://example.com/nd'] };
    const gone = absent(ND.gzip);
    const digest = await expectPushed('gc', manifestOf(cfg, [gone, present]));
    await new Promise((r) => setTimeout(r, 1500));

    await gc();
    assert.equal(await blobStatus(present.digest), 200, 'the pushed non-distributable layer stays while the image uses it');
    assert.ok((await storedDigests(server.dataDir)).has(present.digest));
    const get = await v2('GET', `/v2/${repo}/blobs/${present.digest}`);
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(nd), 'and reads back');

    assert.equal((await v2('DELETE', `/v2/${repo}/manifests/${digest}`)).status, 202);
    await new Promise((r) => setTimeout(r, 1500));
    const first = await gc();
    await new Promise((r) => setTimeout(r, 1500));
    const second = await gc();
    assert.ok(first.blobs + second.blobs >= 2, `the image's config and its pushed layer were collected: ${JSON.stringify([first, second])}`);
    assert.equal(await blobStatus(present.digest), 404);
    const stored = await storedDigests(server.dataDir);
    assert.ok(!stored.has(present.digest), 'its bytes are gone');
    assert.ok(!stored.has(gone.digest), 'the absent layer never had bytes');
    // Storage holds exactly what the DB references (nothing dangling, nothing left over).
    const facts = dbFacts(server.dataDir);
    for (const d of stored) assert.ok(facts.referenced.has(d) || facts.pendingDeletes.has(d), `stored ${d} is referenced`);
    for (const d of facts.referenced) assert.ok(stored.has(d), `referenced ${d} is stored`);
    // The other images with foreign layers are intact.
    for (const tag of ['oci', 'docker', 'urls', 'quota', 'scan']) {
      const res = await v2('HEAD', `/v2/${repo}/manifests/${tag}`, undefined, { accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` });
      assert.equal(res.status, 200, `${tag} survives GC`);
    }
  });
});
