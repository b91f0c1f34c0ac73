// Proxy projects cache the upstream's referrers (signatures, SBOMs) too: the upstream here is a
// second Berth (auth none), which has the OCI 1.1 referrers API that Distribution 2.8 lacks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { sha256 } from './proxy-helpers.ts';

const ADMIN_PASSWORD = 'proxy-ref-Admin-1';
const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

async function pushBlob(url: string, repo: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  const r = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data, headers: { 'content-type': 'application/octet-stream' } });
  await r.arrayBuffer();
  assert.equal(r.status, 201);
  return { digest, size: data.length };
}

async function pushManifest(url: string, repo: string, reference: string, body: string): Promise<string> {
  const r = await fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': OCI_MANIFEST }, body });
  assert.equal(r.status, 201, await r.text());
  return sha256(Buffer.from(body));
}

describe('proxy projects: referrers come from the upstream and are cached', { timeout: 120_000 }, () => {
  let upstream: BerthProcess;
  let b: BerthProcess;
  let image = '';
  let signature = '';
  let payload = Buffer.alloc(0);

  before(async () => {
    upstream = await startBerth({ auth: 'none' });
    b = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    const config = await pushBlob(upstream.url, 'library/app', Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
    const imageBody = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [] });
    image = await pushManifest(upstream.url, 'library/app', 'v1', imageBody);
    const empty = await pushBlob(upstream.url, 'library/app', Buffer.from('{}'));
    payload = Buffer.from('{"critical":{"identity":{"docker-reference":"app"}}}');
    const layer = await pushBlob(upstream.url, 'library/app', payload);
    const sig = JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example.signature',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty },
      layers: [{ mediaType: 'application/vnd.example.signature.payload', ...layer }],
      subject: { mediaType: OCI_MANIFEST, digest: image, size: imageBody.length },
    });
    signature = await pushManifest(upstream.url, 'library/app', sha256(Buffer.from(sig)), sig);
    ok(await berth(['proxy', 'create', 'hub', '--upstream', upstream.url, '--url', b.url, '--user', 'admin'], { env: { BERTH_PASSWORD: ADMIN_PASSWORD } }));
  });

  after(async () => {
    await b?.stop();
    await upstream?.stop();
  });

  const get = (path: string) => fetch(`${b.url}/v2/${path}`, { headers: { authorization: ADMIN, accept: `${OCI_MANIFEST}, application/vnd.oci.image.index.v1+json` } });

  it('lists the upstream referrers of a cached image, and serves them and their blobs from the cache', async () => {
    assert.equal((await get('hub/library/app/manifests/v1')).headers.get('docker-content-digest'), image);
    const listed = await get(`hub/library/app/referrers/${image}`);
    assert.equal(listed.status, 200);
    const index = (await listed.json()) as { manifests: { digest: string; artifactType?: string }[] };
    // (Berth may list an SBOM it made of the image too: only the upstream's signature is asserted.)
    assert.deepEqual(index.manifests.filter((m) => m.digest === signature).map((m) => m.artifactType), ['application/vnd.example.signature'], JSON.stringify(index));
    assert.equal((await get(`hub/library/app/manifests/${signature}`)).status, 200);
    assert.deepEqual(Buffer.from(await (await get(`hub/library/app/blobs/${sha256(payload)}`)).arrayBuffer()), payload);

    await upstream.stop();
    const cached = await get(`hub/library/app/referrers/${image}`);
    assert.equal(cached.status, 200, 'listed from the cache with the upstream gone');
    assert.ok(((await cached.json()) as { manifests: { digest: string }[] }).manifests.some((m) => m.digest === signature), 'the signature is still listed');
    assert.equal((await get(`hub/library/app/manifests/${signature}`)).status, 200);
  });
});
