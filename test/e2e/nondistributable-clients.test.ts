// Non-distributable layers with a real client: skopeo (containers/image) does not copy a layer
// whose descriptor has `urls` to a registry or an OCI layout ("Skipping foreign layer"); it
// copies the manifest as it is. So the registry must accept a manifest whose foreign layer it
// never received, and serve it back unchanged. The image here is the busybox fixture with a
// non-distributable layer in front, whose bytes exist nowhere (its url is not reachable).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, layoutRef, sha256, type ImageFixture } from './helpers/fixtures.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const ND = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

describe('non-distributable layers with skopeo', { timeout: 900_000 }, () => {
  let registry: TestRegistry;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;
  let manifest: Buffer;
  let manifestDigest: string;
  let foreign: { digest: string; size: number };

  before(async () => {
    requireTools('skopeo', 'tar', 'busybox');
    registry = await startRegistry();
    client = await createClientEnv(registry.host);
    skopeo = new Skopeo(client, registry);
    const layout = await client.scratch('layout');
    busybox = await buildBusyboxLayout(layout);
    // A second image in the layout: a foreign layer first (its blob is not in the layout), then busybox's.
    foreign = { digest: sha256(randomBytes(32)), size: 104_857_600 };
    const config = { ...busybox.config, rootfs: { type: 'layers', diff_ids: [sha256(randomBytes(32)), ...busybox.diffIds] } };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = sha256(configBytes);
    await writeFile(join(layout, 'blobs', 'sha256', configDigest.slice(7)), configBytes);
    manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: configBytes.length },
      layers: [{ mediaType: ND, ...foreign, urls: [`http://127.0.0.1:9/windows/${foreign.digest}`] }, ...busybox.manifest.layers],
    }));
    manifestDigest = sha256(manifest);
    await writeFile(join(layout, 'blobs', 'sha256', manifestDigest.slice(7)), manifest);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
    index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'win' } });
    await writeFile(join(layout, 'index.json'), JSON.stringify(index));
    assert.equal((await layoutRef(layout, 'win')).digest, manifestDigest);
  });

  after(async () => {
    await client?.cleanup();
    await registry?.stop();
  });

  it('skopeo copy oci: -> docker:// skips the foreign layer, and the registry takes the manifest unchanged', T, async () => {
    const r = await skopeo.copy(`oci:${busybox.layout}:win`, skopeo.ref('nd/win:1'), ['--debug']);
    assert.match(r.stderr, /Skipping foreign layer/i, 'skopeo skipped the foreign layer');
    const raw = await skopeo.inspectRaw(skopeo.ref('nd/win:1'));
    assert.equal(raw.digest, manifestDigest, 'the manifest is stored byte for byte');
    assert.equal(raw.json.layers[0].mediaType, ND);
    assert.deepEqual(raw.json.layers[0].urls, [`http://127.0.0.1:9/windows/${foreign.digest}`]);
    const blob = await fetch(`${registry.url}/v2/nd/win/blobs/${foreign.digest}`, { method: 'HEAD' });
    assert.equal(blob.status, 404, 'the foreign blob is not in the registry');
  });

  it('skopeo copy docker:// -> docker:// (another repository) and docker:// -> oci: work, without the foreign blob', T, async () => {
    await skopeo.copy(skopeo.ref('nd/win:1'), skopeo.ref('nd/win-copy:1'));
    assert.equal((await skopeo.inspectRaw(skopeo.ref('nd/win-copy:1'))).digest, manifestDigest);
    const out = await client.scratch('out');
    await skopeo.copy(skopeo.ref('nd/win-copy:1'), `oci:${out}:x`);
    assert.equal((await layoutRef(out, 'x')).digest, manifestDigest, 'the layout holds the same manifest');
    assert.ok(!(await exists(join(out, 'blobs', 'sha256', foreign.digest.slice(7)))), 'no foreign blob in the layout');
    for (const d of busybox.layerDigests) assert.ok(await exists(join(out, 'blobs', 'sha256', d.slice(7))), `layer ${d} was pulled`);
    const inspect = await skopeo.inspect(skopeo.ref('nd/win-copy:1'));
    assert.equal(inspect.Layers.length, 2);
  });
});
