// Online garbage collection against a real `berth serve` (auth none) and the real `berth gc`
// command on its data directory while it runs: what is collected (deleted images, untagged
// manifests, referrers whose subject went, an index's platforms with it, blobs nothing uses),
// what is kept (shared layers, tagged and indexed manifests, recent tag history, blobs a client
// just looked up), a dry run that changes nothing, and storage that ends up holding exactly
// what the DB references.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { dbFacts, storedDigests } from '../helpers/gc-checks.ts';
import { call, descriptor, digestOf, expectBlob, expectStatus, getManifest, MediaType, pushImage, putManifest, sleep, uploadBlob, type PushedImage, type Server } from './helpers.ts';

const REVIEW_DELAY_S = 1;

interface Summary { dryRun: boolean; manifests: number; blobs: number; bytes: number; reviewed: number; waiting: { manifests: number; blobs: number } }

function envFor(delaySeconds: number, keepHistory = 10): Record<string, string> {
  return {
    BERTH_GC_REVIEW_DELAY_SECONDS: String(delaySeconds),
    BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0',
    // The worker's own passes would race the test's: one an hour.
    BERTH_GC_INTERVAL_SECONDS: '3600',
    BERTH_GC_KEEP_TAG_HISTORY: String(keepHistory),
  };
}

async function gc(p: BerthProcess, env: Record<string, string>, ...flags: string[]): Promise<Summary> {
  const r = ok(await berth(['gc', '--data', p.dataDir, '--json', ...flags], { env }));
  return JSON.parse(r.stdout) as Summary;
}

function asServer(p: BerthProcess): Server {
  return p as unknown as Server;
}

async function expectGone(srv: Server, repo: string, digest: string, what: string): Promise<void> {
  const res = await getManifest(srv, repo, digest);
  await res.arrayBuffer();
  assert.equal(res.status, 404, `${what}: ${digest} should be gone`);
}

describe('online garbage collection', () => {
  let p: BerthProcess;
  let srv: Server;
  const env = envFor(REVIEW_DELAY_S);

  before(async () => {
    p = await startBerth({ auth: 'none', env });
    srv = asServer(p);
  });
  after(async () => { await p?.stop(); });

  test('a deleted image is collected (manifest, its own layers, its config) and the layers another image shares stay', async () => {
    const repo = 'library/gc-delete';
    const a = await pushImage(srv, repo, { tag: 'a', layers: 2 });
    // b shares a's first layer.
    const shared = a.layers[0]!;
    const own = await pushImage(srv, repo, { tag: 'b', layers: 1 });
    const bLayers = [shared, ...own.layers];
    const bManifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: descriptor(MediaType.OciConfig, own.config.data), layers: bLayers.map((l) => descriptor('application/vnd.oci.image.layer.v1.tar+gzip', l.data)) }));
    await expectStatus(await putManifest(srv, repo, 'b', bManifest, MediaType.OciManifest), 201, 'PUT b with the shared layer');
    await sleep(REVIEW_DELAY_S * 1000 + 300);
    await expectStatus(await call(srv, 'DELETE', `/v2/${repo}/manifests/${a.digest}`), 202, 'DELETE a');

    const before = await storedDigests(p.dataDir);
    assert.ok(before.has(a.layers[1]!.digest) && before.has(a.digest), 'a is stored before GC');
    const dry = await gc(p, env, '--dry-run');
    assert.equal(dry.dryRun, true);
    assert.ok(dry.manifests >= 1 && dry.blobs >= 2, `the dry run sees a and its own blobs: ${JSON.stringify(dry)}`);
    assert.deepEqual(await storedDigests(p.dataDir), before, 'a dry run removes nothing');

    const s = await gc(p, env);
    assert.equal(s.dryRun, false);
    assert.ok(s.blobs >= 2 && s.bytes >= a.layers[1]!.data.length + a.config.data.length, `freed a's own layer and config: ${JSON.stringify(s)}`);
    const after = await storedDigests(p.dataDir);
    assert.ok(!after.has(a.layers[1]!.digest), "a's own layer is gone from storage");
    assert.ok(!after.has(a.config.digest), "a's config is gone from storage");
    assert.ok(!after.has(a.digest), "a's manifest bytes are gone from storage");
    assert.ok(after.has(shared.digest), 'the shared layer stays');
    await expectBlob(srv, repo, shared.data, shared.digest, 'the shared layer still pulls');
    const res = await getManifest(srv, repo, 'b');
    assert.equal(res.status, 200, 'b still pulls');
    await res.arrayBuffer();
    // The same layer pushed again after its bytes went: stored and served again.
    await uploadBlob(srv, repo, a.layers[1]!.data);
    await expectBlob(srv, repo, a.layers[1]!.data, a.layers[1]!.digest, 'a layer pushed again after GC');
  });

  test('an untagged manifest goes once the review delay is over; a tagged one, an indexed one and a live subject\'s referrer stay', async () => {
    const repo = 'library/gc-untagged';
    const loose = await pushImage(srv, repo, { layers: 1 });
    const tagged = await pushImage(srv, repo, { tag: 'keep', layers: 1 });
    const platform = await pushImage(srv, repo, { layers: 1 });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...descriptor(MediaType.OciManifest, platform.manifest), platform: { os: 'linux', architecture: 'amd64' } }] }));
    await expectStatus(await putManifest(srv, repo, 'multi', index, MediaType.OciIndex), 201, 'PUT index');
    const referrer = await pushImage(srv, repo, { layers: 1, extra: { artifactType: 'application/vnd.example.sbom', subject: descriptor(MediaType.OciManifest, tagged.manifest) } });

    await sleep(REVIEW_DELAY_S * 1000 + 300);
    const s = await gc(p, env);
    assert.equal(s.manifests, 1, `only the loose manifest: ${JSON.stringify(s)}`);
    await expectGone(srv, repo, loose.digest, 'the untagged manifest');
    for (const [what, image] of [['tagged', tagged], ['indexed', platform], ['referrer', referrer]] as const) {
      const res = await getManifest(srv, repo, image.digest);
      assert.equal(res.status, 200, `the ${what} manifest stays`);
      await res.arrayBuffer();
    }
    const stored = await storedDigests(p.dataDir);
    assert.ok(!stored.has(loose.layers[0]!.digest), "the loose manifest's layer went with it");
  });

  test('when a subject goes, its referrers and cosign tags go; when an index goes, its platforms go', async () => {
    const repo = 'library/gc-subject';
    const subject = await pushImage(srv, repo, { tag: 'app', layers: 1 });
    const sbom = await pushImage(srv, repo, { layers: 1, extra: { artifactType: 'application/vnd.example.sbom', subject: descriptor(MediaType.OciManifest, subject.manifest) } });
    const sig = await pushImage(srv, repo, { tag: `${subject.digest.replace(':', '-')}.sig`, layers: 1 });
    const platform = await pushImage(srv, repo, { layers: 1 });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...descriptor(MediaType.OciManifest, platform.manifest), platform: { os: 'linux', architecture: 'arm64' } }] }));
    await expectStatus(await putManifest(srv, repo, 'multi', index, MediaType.OciIndex), 201, 'PUT index');
    await sleep(REVIEW_DELAY_S * 1000 + 300);
    // Untagging (not deleting) leaves it to GC to find what depends on them.
    await expectStatus(await call(srv, 'DELETE', `/v2/${repo}/manifests/app`), 202, 'untag app');
    await expectStatus(await call(srv, 'DELETE', `/v2/${repo}/manifests/multi`), 202, 'untag multi');
    const s = await gc(p, env);
    assert.equal(s.manifests, 5, `subject, its SBOM, its cosign signature, the index and its platform: ${JSON.stringify(s)}`);
    for (const d of [subject.digest, sbom.digest, sig.digest, digestOf(index), platform.digest]) await expectGone(srv, repo, d, 'dependent manifest');
    const tags = await (await call(srv, 'GET', `/v2/${repo}/tags/list`)).json() as { tags: string[] | null };
    assert.deepEqual(tags.tags ?? [], [], 'the cosign tag went with its subject');
  });

  test('a blob a client just looked up (HEAD) is not collected before its manifest arrives', async () => {
    // The protection must outlast the pass (which waits out the lookup fence) and the PUT after it.
    // 20 s, not 10: on a loaded machine the berth gc process alone can take 5 s to start, and the
    // lookup's protection ran out before the pass (CI saw the layer collected).
    const slow = envFor(20);
    const q = await startBerth({ auth: 'none', env: slow });
    try {
      const qs = asServer(q);
      const repo = 'library/gc-head';
      const image = await pushImage(qs, repo, { tag: 'v1', layers: 2 });
      const loose = await pushImage(qs, repo, { layers: 1 });
      const early = await gc(q, slow);
      assert.equal(early.manifests + early.blobs, 0, `nothing is collected within the review delay: ${JSON.stringify(early)}`);
      assert.ok(early.waiting.manifests >= 1 && early.waiting.blobs >= 3, `the pass says what waits: ${JSON.stringify(early)}`);
      const stillThere = await getManifest(qs, repo, loose.digest);
      assert.equal(stillThere.status, 200, 'an untagged manifest within the review delay stays');
      await stillThere.arrayBuffer();
      await sleep(20_300); // past the links' own protection
      await expectStatus(await call(qs, 'DELETE', `/v2/${repo}/manifests/${image.digest}`), 202, 'DELETE v1');
      // A client about to push an image with layer 0 finds it and skips the upload...
      const head = await call(qs, 'HEAD', `/v2/${repo}/blobs/${image.layers[0]!.digest}`);
      assert.equal(head.status, 200);
      await sleep(1300); // the server flushes its lookups every second
      const s = await gc(q, slow);
      assert.ok(s.blobs >= 2, `layer 1 and the config go: ${JSON.stringify(s)}`);
      const stored = await storedDigests(q.dataDir);
      assert.ok(stored.has(image.layers[0]!.digest), 'the layer the client looked up stays');
      assert.ok(!stored.has(image.layers[1]!.digest), 'the other layer goes');
      // ...and its manifest PUT finds the layer.
      const config = await uploadBlob(qs, repo, image.config.data);
      assert.equal(config, image.config.digest);
      await uploadBlob(qs, repo, image.layers[1]!.data);
      await expectStatus(await putManifest(qs, repo, 'v2', image.manifest, image.mediaType), 201, 'the manifest that uses the looked-up layer');
    } finally {
      await q.stop();
    }
  });

  test("a tag's recent history is kept for rollback; older entries are collected", async () => {
    const kEnv = envFor(REVIEW_DELAY_S, 1);
    const q = await startBerth({ auth: 'none', env: kEnv });
    try {
      const qs = asServer(q);
      const repo = 'library/gc-history';
      const pushed: PushedImage[] = [];
      for (let i = 0; i < 3; i++) pushed.push(await pushImage(qs, repo, { tag: 'latest', layers: 1 }));
      await sleep(REVIEW_DELAY_S * 1000 + 300);
      const s = await gc(q, kEnv);
      assert.equal(s.manifests, 1, `only the oldest falls out of a history of 1: ${JSON.stringify(s)}`);
      await expectGone(qs, repo, pushed[0]!.digest, 'the oldest');
      const res = await getManifest(qs, repo, pushed[1]!.digest);
      assert.equal(res.status, 200, 'the one the last move replaced stays (rollback target)');
      await res.arrayBuffer();
    } finally {
      await q.stop();
    }
  });

  test('afterwards storage holds exactly what the DB references, and every blob row is linked or queued', async () => {
    await sleep(REVIEW_DELAY_S * 1000 + 300);
    await gc(p, env);
    const facts = dbFacts(p.dataDir);
    const stored = await storedDigests(p.dataDir);
    assert.deepEqual([...stored].filter((d) => !facts.referenced.has(d)), [], 'no bytes without rows');
    assert.deepEqual([...facts.referenced].filter((d) => !stored.has(d)), [], 'no rows without bytes');
    assert.deepEqual(facts.unlinkedBlobs, [], 'no blob row without a link after a full pass');
  });
});
