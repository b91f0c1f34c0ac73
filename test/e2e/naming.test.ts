// Single-component names: in Berth a name like `busybox` belongs to the project `library`
// (DESIGN.md, Naming rules), so HOST/busybox and HOST/library/busybox are one repository.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, layoutRef, type ImageFixture } from './helpers/fixtures.ts';
import { startRegistry, type TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 180_000 };

describe('single-component repository names', { timeout: 600_000 }, () => {
  let registry: TestRegistry;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;

  before(async () => {
    requireTools('skopeo', 'podman', 'tar', 'busybox');
    registry = await startRegistry({ auth: 'none' });
    client = await createClientEnv(registry.host);
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
  });

  after(async () => {
    await client?.cleanup();
    await registry?.stop();
  });

  const libraryAliasChecked = () => {
    if (registry.kind !== 'distribution') return true;
    console.log('note: E2E_TARGET=distribution: Distribution has no `library` project, so HOST/x and HOST/library/x differ; alias not checked');
    return false;
  };

  it('push HOST/busybox:1, pull HOST/library/busybox:1', T, async () => {
    await skopeo.copy(busybox.source, skopeo.ref('busybox:1'));
    assert.equal((await skopeo.inspect(skopeo.ref('busybox:1'))).Digest, busybox.manifestDigest);

    // podman pulls the single-component name as it was pushed.
    await client.run('podman', ['pull', '--tls-verify=false', `${registry.host}/busybox:1`]);
    const local = JSON.parse((await client.run('podman', ['image', 'inspect', `${registry.host}/busybox:1`])).stdout) as {
      Digest: string;
    }[];
    assert.equal(local[0]!.Digest, busybox.manifestDigest);

    if (!libraryAliasChecked()) return;
    const out = await client.scratch('library');
    await skopeo.copy(skopeo.ref('library/busybox:1'), `oci:${out}:pulled`);
    assert.equal((await layoutRef(out, 'pulled')).digest, busybox.manifestDigest, 'library/busybox:1 is busybox:1');
    assert.deepEqual(await skopeo.listTags(skopeo.ref('library/busybox')), ['1']);

    await client.run('podman', ['pull', '--tls-verify=false', `${registry.host}/library/busybox:1`]);
    const viaLibrary = JSON.parse(
      (await client.run('podman', ['image', 'inspect', `${registry.host}/library/busybox:1`])).stdout,
    ) as { Digest: string }[];
    assert.equal(viaLibrary[0]!.Digest, busybox.manifestDigest);
  });

  it('push HOST/library/name:2, read HOST/name:2', T, async () => {
    await skopeo.copy(busybox.source, skopeo.ref('library/tools:2'));
    assert.equal((await skopeo.inspect(skopeo.ref('library/tools:2'))).Digest, busybox.manifestDigest);
    if (!libraryAliasChecked()) return;
    assert.equal((await skopeo.inspect(skopeo.ref('tools:2'))).Digest, busybox.manifestDigest);
    assert.deepEqual(await skopeo.listTags(skopeo.ref('tools')), ['2']);
  });

  it('a mirror script walks the catalog and copies what it lists to Distribution: the names arrive as pushed', T, async () => {
    requireTools('docker-registry');
    await skopeo.copy(busybox.source, skopeo.ref('team/app:3'));
    const listing = (await (await fetch(`${registry.url}/v2/_catalog`)).json()) as { repositories: string[] };
    // busybox was pushed as HOST/busybox and tools as HOST/library/tools: both are in the
    // project library and listed by their short name, the form Distribution lists.
    // (Distribution, in E2E_TARGET=distribution, lists library/tools as it was pushed.)
    const tools = registry.kind === 'berth' ? 'tools' : 'library/tools';
    assert.deepEqual(listing.repositories, ['busybox', tools, 'team/app'].sort());
    const mirror = await startRegistry({ auth: 'none', kind: 'distribution' });
    try {
      const to = new Skopeo(client, mirror);
      for (const name of listing.repositories) {
        for (const tag of await skopeo.listTags(skopeo.ref(name))) await client.run('skopeo', skopeo.copyArgs(skopeo.ref(`${name}:${tag}`), to.ref(`${name}:${tag}`)));
      }
      const copied = (await (await fetch(`${mirror.url}/v2/_catalog`)).json()) as { repositories: string[] };
      assert.deepEqual(copied.repositories, listing.repositories, 'the mirror lists the same names');
      // What users pulled from HOST/busybox:1 they pull from MIRROR/busybox:1.
      assert.equal((await to.inspect(to.ref('busybox:1'))).Digest, busybox.manifestDigest);
      assert.equal((await to.inspect(to.ref(`${tools}:2`))).Digest, busybox.manifestDigest);
      assert.equal((await to.inspect(to.ref('team/app:3'))).Digest, busybox.manifestDigest);
    } finally {
      await mirror.stop();
    }
    if (!libraryAliasChecked()) return;
    // And on Berth, the listed names and their library/ forms are one repository each.
    for (const name of ['busybox', 'tools']) {
      assert.deepEqual(await skopeo.listTags(skopeo.ref(`library/${name}`)), await skopeo.listTags(skopeo.ref(name)), `library/${name} is ${name}`);
    }
  });
});
