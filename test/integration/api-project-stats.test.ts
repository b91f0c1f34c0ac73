// GET /api/v1/projects gives each project's repository count and storage (issue 17, the projects
// list): the distinct blobs and manifests its repositories link, a blob two repositories share
// counted once, other projects' content not at all.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { MediaType } from '../../src/core/mediatypes.ts';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { Seeder } from '../ui/helpers/seed.ts';
import { ADMIN, call, expectStatus, startApiServer } from './api-helpers.ts';

describe('api: project repository counts and storage', () => {
  let server: BerthProcess;
  let expected = 0;

  before(async () => {
    server = await startApiServer();
    const seed = new Seeder(server.url, ADMIN);
    await seed.api('POST', '/projects', { name: 'acme', visibility: 'public' });
    await seed.api('POST', '/projects', { name: 'empty', visibility: 'private' });
    // One image pushed to two repositories of acme: its blobs and manifest count once.
    const layer = randomBytes(5000);
    const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [digestOf(layer)] } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(layer), size: layer.length }],
    }));
    for (const repo of ['acme/one', 'acme/two']) {
      await seed.blob(repo, layer);
      await seed.blob(repo, config);
      await seed.manifest(repo, 'v1', manifest, MediaType.OciManifest);
    }
    // A second image only in acme/two.
    const other = await seed.image('acme/two', { os: 'linux', architecture: 'arm64' }, { tag: 'v2' });
    expected = layer.length + config.length + manifest.length + other.size + other.bytes.length;
    await seed.image('library/elsewhere', { os: 'linux', architecture: 'amd64' }, { tag: '1' });
  });
  after(async () => {
    await server?.stop();
  });

  it('counts repositories and distinct bytes per project', async () => {
    const list = expectStatus(await call(server, 'GET', '/projects', { as: ADMIN }), 200).body.projects as { name: string; repositoryCount: number; storageBytes: number }[];
    const byName = Object.fromEntries(list.map((p) => [p.name, p]));
    assert.equal(byName.acme?.repositoryCount, 2);
    assert.equal(byName.acme?.storageBytes, expected);
    assert.equal(byName.empty?.repositoryCount, 0);
    assert.equal(byName.empty?.storageBytes, 0);
    assert.equal(byName.library?.repositoryCount, 1);
    // A visitor sees the public ones, with the same numbers.
    const anon = expectStatus(await call(server, 'GET', '/projects'), 200).body.projects as { name: string; storageBytes: number }[];
    assert.equal(anon.find((p) => p.name === 'acme')?.storageBytes, expected);
    assert.equal(anon.find((p) => p.name === 'empty'), undefined);
  });
});
