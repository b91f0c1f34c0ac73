// podman against a registry with htpasswd auth: login, push, pull (and run what it pulled),
// and a multi-arch list built with `podman manifest` and pushed with --all.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, buildMultiArchLayout, MediaTypes, type ImageFixture, type IndexFixture } from './helpers/fixtures.ts';
import { startRegistry, type Credentials, type TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';

interface PodmanImage {
  Id: string;
  Digest: string;
  RepoDigests: string[];
  Architecture: string;
  RootFS: { Layers: string[] };
}

describe('podman', { timeout: 1_200_000 }, () => {
  let registry: TestRegistry;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let creds: Credentials;
  let busybox: ImageFixture;
  let multi: IndexFixture;
  let pushedDigest: string;

  const podman = (...args: string[]) => client.run('podman', args);
  const inspectLocal = async (ref: string) =>
    (JSON.parse((await podman('image', 'inspect', ref)).stdout) as PodmanImage[])[0]!;

  before(async () => {
    requireTools('podman', 'skopeo', 'htpasswd', 'runc', 'tar', 'busybox');
    registry = await startRegistry({ auth: 'htpasswd' });
    creds = registry.credentials!;
    client = await createClientEnv(registry.host);
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    multi = await buildMultiArchLayout(await client.scratch('multi'));
  });

  after(async () => {
    await client?.cleanup();
    await registry?.stop();
  });

  it('login: a wrong password fails, the right one works', T, async () => {
    const bad = await client.exec('podman', ['login', TLS, '-u', creds.user, '-p', 'wrong-password', registry.host]);
    assert.notEqual(bad.code, 0, `login with a wrong password must fail:\n${bad.stdout}`);
    assert.match(bad.stderr, /unauthorized|invalid username\/password|401/i);

    const good = await client.run('podman', ['login', TLS, '-u', creds.user, '--password-stdin', registry.host], {
      input: creds.password,
    });
    assert.match(good.stdout, /Login Succeeded/);
    const auth = JSON.parse(await readFile(client.authFile, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(auth.auths[registry.host]?.auth, Buffer.from(`${creds.user}:${creds.password}`).toString('base64'));
  });

  it('push: the registry holds the image podman pushed', T, async () => {
    const id = (await podman('pull', '--quiet', busybox.source)).stdout.trim().split('\n').pop()!;
    assert.deepEqual((await inspectLocal(id)).RootFS.Layers, busybox.diffIds, 'podman loaded the fixture');
    const target = `${registry.host}/podman/busybox:1`;
    await podman('tag', id, target);
    const digestFile = join(client.dir, 'push.digest');
    await podman('push', TLS, '--digestfile', digestFile, target);
    pushedDigest = (await readFile(digestFile, 'utf8')).trim();

    const info = await skopeo.inspect(skopeo.ref('podman/busybox:1'));
    assert.equal(info.Digest, pushedDigest, 'the tag resolves to the digest podman reported');
    assert.equal(info.Architecture, busybox.platform.architecture);
    assert.equal(info.Layers.length, 1);
    const config = await skopeo.inspectRaw(skopeo.ref('podman/busybox:1'), ['--config']);
    assert.deepEqual(config.json.rootfs.diff_ids, busybox.diffIds, 'the same uncompressed layer');
  });

  it('pull: a fresh pull gets the pushed digest, and the image runs', T, async () => {
    await podman('rmi', '--all', '--force');
    assert.equal((await podman('images', '-q')).stdout.trim(), '', 'local storage is empty before the pull');

    const ref = `${registry.host}/podman/busybox:1`;
    await podman('pull', TLS, ref);
    const local = await inspectLocal(ref);
    assert.equal(local.Digest, pushedDigest);
    assert.deepEqual(local.RootFS.Layers, busybox.diffIds);

    const out = await podman(
      'run', '--rm', '--runtime', 'runc', '--network', 'none',
      '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
      ref, 'echo', 'hello from berth',
    );
    assert.equal(out.stdout.trim(), 'hello from berth');
  });

  it('manifest create + add + push --all publishes a two-platform list', T, async () => {
    // Each platform image in the registry first; `manifest add` reads them from there. skopeo
    // may reuse a layer podman pushed earlier (same diff_id, other compression), so the
    // expected children are what the registry holds under each tag, not the fixture digests.
    const refs: string[] = [];
    const expected: string[] = [];
    for (const image of multi.images) {
      const name = `podman/${image.platform.architecture}:1`;
      await skopeo.copy(image.source, skopeo.ref(name));
      const info = await skopeo.inspect(skopeo.ref(name));
      assert.equal(info.Architecture, image.platform.architecture);
      refs.push(name);
      expected.push(`${image.platform.os}/${image.platform.architecture} ${info.Digest}`);
    }
    const list = 'localhost/berth-e2e-list:1';
    await podman('manifest', 'create', list);
    for (const name of refs) await podman('manifest', 'add', TLS, list, skopeo.ref(name));
    await podman('manifest', 'push', '--all', TLS, list, skopeo.ref('podman/multi:1'));

    const pushed = await skopeo.inspectRaw(skopeo.ref('podman/multi:1'));
    assert.ok(
      [MediaTypes.ociIndex, MediaTypes.dockerManifestList].includes(pushed.json.mediaType),
      `an index or manifest list, not ${pushed.json.mediaType}`,
    );
    const entries = (pushed.json.manifests as { digest: string; platform: { os: string; architecture: string } }[])
      .map((m) => `${m.platform.os}/${m.platform.architecture} ${m.digest}`)
      .sort();
    assert.deepEqual(entries, expected.sort());
    for (const entry of entries) {
      const digest = entry.split(' ')[1]!;
      const child = await skopeo.inspectRaw(skopeo.ref(`podman/multi@${digest}`));
      assert.equal(child.digest, digest, `${entry} is in podman/multi`);
    }
  });
});
