// Manifests with as many references as the size limit allows (hardening issue, defect 10: 4,680
// layers once reached SQLite's bound-variable limit and answered 500). On both dialects: an image
// manifest with the reproducer's 4,680 layers and one filling the 4 MiB limit, and an image index
// with as many children as fit, are stored, served byte for byte, shown by the repository API,
// and deleted.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

const LIMIT = 4 * 1024 * 1024;
const ADMIN_PASSWORD = 'large-Admin-pa55';
const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** The largest count of `entry` that keeps `wrap(entries)` within the manifest size limit. */
function fill(entry: string, wrap: (entries: string) => string): string {
  const overhead = wrap('').length;
  const n = Math.floor((LIMIT - overhead + 1) / (entry.length + 1));
  return wrap(Array.from({ length: n }, () => entry).join(','));
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`manifests at the size limit (${dialect})`, { timeout: 300_000 }, () => {
    let server: BerthProcess;
    let pgdb: TestDatabase | undefined;
    const repo = `admin/large-${dialect}`;
    const layer = randomBytes(1000);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layerDesc = JSON.stringify({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(layer), size: layer.length });
    const configDesc = JSON.stringify({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length });
    const imageOf = (layers: string) => `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${configDesc},"layers":[${layers}]}`;

    before(async () => {
      const env: Record<string, string> = { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD };
      if (dialect === 'postgres') {
        pgdb = await createTestDatabase('berth_large');
        Object.assign(env, { BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: pgdb.url });
      }
      server = await startBerth({ auth: 'builtin', env });
      for (const blob of [layer, config]) {
        const r = await fetch(`${server.url}/v2/${repo}/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', body: blob, headers: { authorization: basic } });
        assert.equal(r.status, 201);
      }
    });
    after(async () => {
      await server?.stop();
      await pgdb?.drop();
    });

    async function putAndCheck(reference: string, body: string, mediaType: string): Promise<string> {
      assert.ok(Buffer.byteLength(body) <= LIMIT, `the test manifest is ${Buffer.byteLength(body)} bytes`);
      const put = await fetch(`${server.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { authorization: basic, 'content-type': mediaType }, body });
      assert.equal(put.status, 201, `PUT ${reference} (${Buffer.byteLength(body)} bytes): ${await put.text()}`);
      const digest = digestOf(body);
      const get = await fetch(`${server.url}/v2/${repo}/manifests/${reference}`, { headers: { authorization: basic, accept: mediaType } });
      assert.equal(get.status, 200);
      assert.equal(await get.text(), body, 'served byte for byte');
      const tags = await fetch(`${server.url}/api/v1/repositories/${repo}/tags?n=10`, { headers: { authorization: basic } });
      assert.equal(tags.status, 200, `the repository's tags view: ${await tags.text()}`);
      return digest;
    }

    it('an image manifest with 4,680 layers', async () => {
      await putAndCheck('layers-4680', imageOf(Array.from({ length: 4680 }, () => layerDesc).join(',')), OCI_MANIFEST);
    });

    it('an image manifest filling the 4 MiB limit with layers', async () => {
      const body = fill(layerDesc, imageOf);
      const digest = await putAndCheck('layers-max', body, OCI_MANIFEST);
      const del = await fetch(`${server.url}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: { authorization: basic } });
      assert.equal(del.status, 202);
    });

    it('an image index filling the limit with children', async () => {
      const child = imageOf(layerDesc);
      const childDigest = await putAndCheck('child', child, OCI_MANIFEST);
      const entry = JSON.stringify({ mediaType: OCI_MANIFEST, digest: childDigest, size: Buffer.byteLength(child), platform: { os: 'linux', architecture: 'amd64' } });
      await putAndCheck('index-max', fill(entry, (e) => `{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[${e}]}`), OCI_INDEX);
    });

    it('an image pushed after them still works (no statement was left half done)', async () => {
      await putAndCheck('small', imageOf(layerDesc), OCI_MANIFEST);
    });
  });
}
