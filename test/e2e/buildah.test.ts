// buildah against a registry with auth off: build an image from scratch (from, copy, config,
// commit), push it in OCI and Docker formats, and check what the registry holds.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { hostPlatform, layoutRef, MediaTypes, readLayoutBlob, sha256, type ImageManifest } from './helpers/fixtures.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { BUSYBOX_STATIC, requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';
const IMAGE = 'localhost/berth-e2e-buildah:1';

describe('buildah', { timeout: 1_200_000 }, () => {
  let registry: TestRegistry;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let diffIds: string[];

  const buildah = async (...args: string[]) => (await client.run('buildah', args)).stdout.trim();

  before(async () => {
    requireTools('buildah', 'skopeo', 'tar', 'busybox');
    registry = await startRegistry({ auth: 'none' });
    client = await createClientEnv(registry.host);
    skopeo = new Skopeo(client, registry);
  });

  after(async () => {
    if (client) await client.exec('buildah', ['rm', '--all']);
    await client?.cleanup();
    await registry?.stop();
  });

  it('from scratch + copy + config + commit builds a local image', T, async () => {
    const ctr = await buildah('from', 'scratch');
    await buildah('copy', '--chmod', '0755', ctr, BUSYBOX_STATIC, '/bin/busybox');
    const { architecture, os } = hostPlatform();
    await buildah(
      'config', '--os', os, '--arch', architecture,
      '--entrypoint', '["/bin/busybox"]', '--cmd', 'sh', '--env', 'PATH=/bin',
      '--label', 'berth.e2e=buildah', ctr,
    );
    await buildah('commit', '--format', 'oci', ctr, IMAGE);
    const local = JSON.parse(await buildah('inspect', '--type', 'image', IMAGE)) as {
      OCIv1: { architecture: string; rootfs: { diff_ids: string[] }; config: { Labels: Record<string, string> } };
    };
    assert.equal(local.OCIv1.architecture, architecture);
    assert.equal(local.OCIv1.config.Labels['berth.e2e'], 'buildah');
    assert.equal(local.OCIv1.rootfs.diff_ids.length, 1);
    diffIds = local.OCIv1.rootfs.diff_ids;
  });

  it('push: skopeo inspect shows the image buildah pushed', T, async () => {
    assert.ok(diffIds, 'the build step ran');
    const digestFile = join(client.dir, 'buildah.digest');
    await buildah('push', TLS, '--digestfile', digestFile, IMAGE, skopeo.ref('buildah/busybox:1'));
    const pushed = (await readFile(digestFile, 'utf8')).trim();

    const info = await skopeo.inspect(skopeo.ref('buildah/busybox:1'));
    assert.equal(info.Digest, pushed, 'the tag resolves to the digest buildah reported');
    assert.equal(info.Labels?.['berth.e2e'], 'buildah');
    assert.equal(info.Architecture, hostPlatform().architecture);
    assert.equal(info.Layers.length, 1);

    const raw = await skopeo.inspectRaw(skopeo.ref('buildah/busybox:1'));
    assert.equal(raw.digest, pushed);
    assert.equal(raw.json.mediaType, MediaTypes.ociManifest);
    const config = await skopeo.inspectRaw(skopeo.ref('buildah/busybox:1'), ['--config']);
    assert.equal(config.digest, raw.json.config.digest, 'the config blob hashes to its digest');
    assert.deepEqual(config.json.config.Entrypoint, ['/bin/busybox']);
    assert.deepEqual(config.json.config.Cmd, ['sh']);
    assert.deepEqual(config.json.rootfs.diff_ids, diffIds);
  });

  it('the pushed layer holds the very busybox binary that was copied in', T, async () => {
    const out = await client.scratch('pulled');
    await skopeo.copy(skopeo.ref('buildah/busybox:1'), `oci:${out}:pulled`);
    const manifest = JSON.parse(
      (await readLayoutBlob(out, (await layoutRef(out, 'pulled')).digest)).toString(),
    ) as ImageManifest;
    const layerPath = join(out, 'blobs', ...manifest.layers[0]!.digest.split(':'));
    const extracted = await client.scratch('extracted');
    await client.run('tar', ['-xf', layerPath, '-C', extracted]);
    assert.equal(
      sha256(await readFile(join(extracted, 'bin', 'busybox'))),
      sha256(await readFile(BUSYBOX_STATIC)),
    );
  });

  it('push --format v2s2 stores a Docker schema 2 manifest', T, async () => {
    assert.ok(diffIds, 'the build step ran');
    const digestFile = join(client.dir, 'buildah-v2s2.digest');
    await buildah('push', TLS, '--format', 'v2s2', '--digestfile', digestFile, IMAGE, skopeo.ref('buildah/busybox:v2s2'));
    const raw = await skopeo.inspectRaw(skopeo.ref('buildah/busybox:v2s2'));
    assert.equal(raw.digest, (await readFile(digestFile, 'utf8')).trim());
    assert.equal(raw.json.mediaType, MediaTypes.dockerManifest);
    assert.equal(raw.json.config.mediaType, MediaTypes.dockerConfig);
    assert.equal(raw.json.layers[0].mediaType, MediaTypes.dockerLayerGzip);
    const config = await skopeo.inspectRaw(skopeo.ref('buildah/busybox:v2s2'), ['--config']);
    assert.deepEqual(config.json.rootfs.diff_ids, diffIds);
    assert.deepEqual((await skopeo.listTags(skopeo.ref('buildah/busybox'))).sort(), ['1', 'v2s2']);
  });
});
