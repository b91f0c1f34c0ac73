// GC with a real client: skopeo pushes a multi-arch image and a single image sharing its busybox
// layer, deletes the multi-arch one (skopeo delete), and `berth gc` on the running server's data
// directory frees the index, both platforms and the blobs only they used, while the other image
// still copies back byte for byte; the deleted image then pushes again and pulls whole.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { storedDigests } from '../helpers/gc-checks.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, buildMultiArchLayout, layoutRef, type ImageFixture, type IndexFixture } from './helpers/fixtures.ts';
import type { TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const ENV = { BERTH_GC_REVIEW_DELAY_SECONDS: '2', BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_GC_INTERVAL_SECONDS: '3600', BERTH_SCAN_ENABLED: 'false' };

describe('GC with skopeo', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;
  let multi: IndexFixture;

  before(async () => {
    requireTools('skopeo', 'tar', 'busybox');
    server = await startBerth({ auth: 'none', env: ENV });
    const registry: TestRegistry = { kind: 'berth', url: server.url, host: server.host, logs: () => server.logs(), stop: () => server.stop().then(() => undefined) };
    client = await createClientEnv(server.host);
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    multi = await buildMultiArchLayout(await client.scratch('multi'));
  });

  after(async () => {
    await client?.cleanup();
    await server?.stop();
  });

  it('frees a deleted multi-arch image and keeps what another image shares', { timeout: 300_000 }, async () => {
    await skopeo.copy(busybox.source, skopeo.ref('e2e/busybox:1'));
    await skopeo.copy(multi.source, skopeo.ref('e2e/multi:1'), ['--all']);
    await new Promise((r) => setTimeout(r, 2300)); // past the review delay of the pushes
    const before = await storedDigests(server.dataDir);
    assert.ok(before.has(multi.indexDigest));
    const r = await client.run('skopeo', ['delete', '--tls-verify=false', skopeo.ref('e2e/multi:1')]);
    assert.equal(r.code ?? 0, 0, r.stderr);

    const summary = JSON.parse(ok(await berth(['gc', '--data', server.dataDir, '--json'], { env: ENV })).stdout) as { manifests: number; blobs: number; bytes: number };
    assert.equal(summary.manifests, 3, `the index and its two platforms: ${JSON.stringify(summary)}`);
    const after = await storedDigests(server.dataDir);
    for (const d of [multi.indexDigest, ...multi.images.map((i) => i.manifestDigest)]) assert.ok(!after.has(d), `${d} is freed`);
    const shared = new Set(busybox.layerDigests);
    for (const image of multi.images) {
      for (const l of image.layerDigests) assert.equal(after.has(l), shared.has(l), `${l}: kept exactly when busybox:1 uses it`);
    }
    // busybox:1 still copies back whole.
    const back = await client.scratch('back');
    await skopeo.copy(skopeo.ref('e2e/busybox:1'), `oci:${back}:back`);
    assert.equal((await layoutRef(back, 'back')).digest, busybox.manifestDigest);

    // The deleted image pushes again (its bytes are rewritten) and pulls whole.
    await skopeo.copy(multi.source, skopeo.ref('e2e/multi:2'), ['--all']);
    const again = await client.scratch('again');
    await skopeo.copy(skopeo.ref('e2e/multi:2'), `oci:${again}:again`, ['--all']);
    assert.equal((await layoutRef(again, 'again')).digest, multi.indexDigest);
  });
});
