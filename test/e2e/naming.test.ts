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
});
