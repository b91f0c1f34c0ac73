// GET /api/v1/repositories/{project}/{repository}/manifests/{digest}/details (issue 17, the image
// page): for a multi-arch index, each platform's image with its own compressed size, its history
// paired with its layers (empty steps marked, no layer), and its config; the tags on the digest,
// referrers grouped by artifactType, the first pusher from the audit log, and a pull command by
// digest. A reader of a private repository is needed, as for the repository page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { MediaType } from '../../src/core/mediatypes.ts';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { Seeder } from '../ui/helpers/seed.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer } from './api-helpers.ts';

const HISTORY = (arch: string) => [
  { created: '2026-01-02T03:04:05Z', created_by: `/bin/sh -c #(nop) ADD file:rootfs-${arch} in / ` },
  { created: '2026-01-02T03:04:06Z', created_by: '/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]', empty_layer: true },
  { created: '2026-01-02T03:04:07Z', created_by: `RUN /bin/sh -c apk add nginx # ${arch}`, comment: 'buildkit.dockerfile.v0' },
  { created: '2026-01-02T03:04:08Z', created_by: 'EXPOSE map[80/tcp:{}]', empty_layer: true },
];
const CONFIG = {
  Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], Env: ['PATH=/usr/bin', 'NGINX_VERSION=1.27'],
  WorkingDir: '/srv', User: 'nginx', ExposedPorts: { '80/tcp': {}, '443/tcp': {} }, Labels: { maintainer: 'ACME <ops@acme.test>' },
};

describe('api: image details by digest', () => {
  let server: BerthProcess;
  let seed: Seeder;
  let index: Awaited<ReturnType<Seeder['index']>>;
  const path = (repo: string, digest: string) => `/repositories/${repo.split('/')[0]}/${encodeURIComponent(repo.split('/').slice(1).join('/'))}/manifests/${digest}/details`;

  before(async () => {
    server = await startApiServer();
    seed = new Seeder(server.url, ADMIN);
    await seed.api('POST', '/projects', { name: 'acme', visibility: 'private' });
    index = await seed.index('acme/web', 'latest', [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
      (p) => ({ layers: 2, config: CONFIG, history: HISTORY(p.architecture) }));
    const bytes = (await fetch(`${server.url}/v2/acme/web/manifests/latest`, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN[1]}`).toString('base64')}`, accept: MediaType.OciIndex } }).then((r) => r.arrayBuffer()));
    await seed.tag('acme/web', 'stable', Buffer.from(bytes), MediaType.OciIndex);
    // A signature-like referrer of the amd64 image and an SBOM-like one.
    const empty = Buffer.from('{}');
    await seed.blob('acme/web', empty);
    for (const [type, body] of [['application/vnd.dev.sigstore.bundle.v0.3+json', 'sig'], ['application/spdx+json', 'sbom']]) {
      const layer = Buffer.from(`${body} of amd64`);
      await seed.blob('acme/web', layer);
      const artifact = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: type,
        config: { mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: 2 },
        layers: [{ mediaType: 'application/octet-stream', digest: digestOf(layer), size: layer.length }],
        subject: { mediaType: MediaType.OciManifest, digest: index.children[0]!.digest, size: 0 },
      }));
      await seed.manifest('acme/web', digestOf(artifact), artifact, MediaType.OciManifest);
    }
    await new Promise((r) => setTimeout(r, 1200)); // the audit log is written in batches
  });
  after(async () => {
    await server?.stop();
  });

  it('an index: each platform with its size, history paired with layers, config, tags and pusher', async () => {
    const d = expectStatus(await call(server, 'GET', path('acme/web', index.digest), { as: ADMIN }), 200).body;
    assert.equal(d.kind, 'index');
    assert.equal(d.digest, index.digest);
    assert.deepEqual(d.tags.map((t: { name: string }) => t.name), ['latest', 'stable']);
    assert.match(d.pullCommand, new RegExp(`^docker pull [^ ]+/acme/web@${index.digest}$`));
    assert.equal(d.pushedBy?.actor, 'admin');
    assert.deepEqual(d.images.map((i: { os: string; architecture: string; variant?: string }) => [i.os, i.architecture, i.variant]), [['linux', 'amd64', undefined], ['linux', 'arm64', 'v8']]);
    for (const [i, img] of d.images.entries()) {
      const child = index.children[i]!;
      assert.equal(img.digest, child.digest);
      assert.equal(img.size, child.size, 'per-platform compressed size: config plus its layers');
      assert.equal(img.layers.length, 2);
      assert.deepEqual(img.history.map((h: { createdBy: string; emptyLayer: boolean; layer?: { digest: string } }) => [h.createdBy, h.emptyLayer, h.layer?.digest]), [
        [HISTORY(img.architecture)[0]!.created_by, false, img.layers[0].digest],
        [HISTORY(img.architecture)[1]!.created_by, true, undefined],
        [HISTORY(img.architecture)[2]!.created_by, false, img.layers[1].digest],
        [HISTORY(img.architecture)[3]!.created_by, true, undefined],
      ]);
      assert.equal(img.history[2].comment, 'buildkit.dockerfile.v0');
      assert.deepEqual(img.config, {
        entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'], env: ['PATH=/usr/bin', 'NGINX_VERSION=1.27'],
        workingDir: '/srv', user: 'nginx', exposedPorts: ['80/tcp', '443/tcp'], labels: { maintainer: 'ACME <ops@acme.test>' },
      });
      assert.ok(img.created);
    }
    assert.equal(d.size, index.children[0]!.size + index.children[1]!.size);
  });

  it('a platform image: its referrers grouped by artifactType, and no tags of its own', async () => {
    const d = expectStatus(await call(server, 'GET', path('acme/web', index.children[0]!.digest), { as: ADMIN }), 200).body;
    assert.equal(d.kind, 'image');
    assert.equal(d.images.length, 1);
    assert.equal(d.images[0].architecture, 'amd64');
    assert.deepEqual(d.tags, []);
    assert.deepEqual(d.referrers.map((g: { artifactType: string; manifests: unknown[] }) => [g.artifactType, g.manifests.length]), [
      ['application/spdx+json', 1], ['application/vnd.dev.sigstore.bundle.v0.3+json', 1],
    ]);
  });

  it('404 for a digest not in the repository and for a caller who may not read it; 400 for a tag', async () => {
    expectStatus(await call(server, 'GET', path('acme/web', `sha256:${'0'.repeat(64)}`), { as: ADMIN }), 404, 'NOT_FOUND');
    const eve = await addUser(server, 'eve');
    expectStatus(await call(server, 'GET', path('acme/web', index.digest), { as: eve }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', path('acme/web', index.digest)), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', path('acme/web', 'latest'), { as: ADMIN }), 400, 'INVALID_REQUEST');
  });
});
