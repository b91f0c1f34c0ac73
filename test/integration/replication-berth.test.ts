// Replication from Berth to a second Berth (both with built-in auth: the source signs in at the
// target's token endpoint): an on-push rule delivers a pushed multi-arch image and, separately,
// its signature within seconds; a manual run afterwards copies nothing; a rule that replicates
// deletions removes a deleted tag on the target; a blob the target holds in another repository
// is mounted, not uploaded again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { assertWhole, basic, getJson, headManifest, pushMultiArch, runRule, type Registry } from './replication-helpers.ts';

const A_PASSWORD = 'replication-A-Admin-1';
const B_PASSWORD = 'replication-B-Admin-1';

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('replication: Berth -> Berth', { timeout: 180_000 }, () => {
  let a: BerthProcess;
  let b: BerthProcess;
  let src: Registry;
  let dst: Registry;
  const env = { BERTH_PASSWORD: A_PASSWORD };
  const login = () => ['--url', a.url, '--user', 'admin'];

  before(async () => {
    [a, b] = await Promise.all([
      startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: A_PASSWORD } }),
      startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: B_PASSWORD } }),
    ]);
    src = { url: a.url, authorization: basic('admin', A_PASSWORD) };
    dst = { url: b.url, authorization: basic('admin', B_PASSWORD) };
    ok(await berth(['replicate', 'add', 'to-b', '--to', b.url, '--repos', 'library/**', '--on-push', '--deletions', '--username', 'admin', '--password-stdin', ...login()], { env, stdin: `${B_PASSWORD}\n` }));
    // The rules are reloaded every 5 s by the server; the add told this one at once.
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('an on-push rule delivers a pushed image and its signature within seconds', async () => {
    const t0 = Date.now();
    const image = await pushMultiArch(src, 'library/web', 'v1');
    await until('the signature on the target', 15_000, async () => ((await headManifest(dst, 'library/web', image.signature)) ? true : undefined));
    await until('the index on the target', 15_000, async () => ((await headManifest(dst, 'library/web', 'v1')) === image.index ? true : undefined));
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(seconds < 15, `delivered in ${seconds} s`);
    await assertWhole(dst, 'library/web', 'v1', image);
    // The target indexed the signature (OCI-Subject): its referrers API lists it, no fallback tag was needed.
    const referrers = await getJson<{ manifests: { digest: string }[] }>(dst, `/v2/library/web/referrers/${image.index}`, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(referrers.body.manifests.map((m) => m.digest), [image.signature]);
    const tags = await getJson<{ tags: string[] }>(dst, '/v2/library/web/tags/list');
    assert.deepEqual(tags.body.tags, ['v1']);
    const runs = JSON.parse(ok(await berth(['replicate', 'history', 'to-b', '--json', ...login()], { env })).stdout) as { trigger: string; state: string }[];
    assert.ok(runs.length >= 1 && runs.every((r) => r.trigger === 'push'), JSON.stringify(runs));
    await until('the on-push runs to finish', 10_000, async () => {
      const now = JSON.parse(ok(await berth(['replicate', 'history', 'to-b', '--json', ...login()], { env })).stdout) as { state: string }[];
      return now.every((r) => r.state === 'done') ? true : undefined;
    });
  });

  it('a manual run afterwards copies nothing', async () => {
    const run = await runRule(a.url, 'to-b', A_PASSWORD);
    assert.equal(run.state, 'done');
    assert.equal(run.summary.copied, 0, JSON.stringify(run.results));
    assert.equal(run.summary.blobsCopied + run.summary.blobsMounted, 0);
    assert.ok(run.results.every((r) => r.status === 'skipped'));
  });

  it('the same image in a second repository is mounted on the target, not uploaded', async () => {
    const index = await fetch(`${a.url}/v2/library/web/manifests/v1`, { headers: { authorization: src.authorization!, accept: 'application/vnd.oci.image.index.v1+json' } });
    const body = Buffer.from(await index.arrayBuffer());
    // The blobs and platforms into library/copy on A (by mount), then the index under a tag: on push.
    const manifest = JSON.parse(body.toString()) as { manifests: { digest: string }[] };
    for (const child of manifest.manifests) {
      const c = await fetch(`${a.url}/v2/library/web/manifests/${child.digest}`, { headers: { authorization: src.authorization!, accept: 'application/vnd.oci.image.manifest.v1+json' } });
      const cb = Buffer.from(await c.arrayBuffer());
      for (const d of [(JSON.parse(cb.toString()) as { config: { digest: string } }).config.digest, ...(JSON.parse(cb.toString()) as { layers: { digest: string }[] }).layers.map((l) => l.digest)]) {
        const m = await fetch(`${a.url}/v2/library/copy/blobs/uploads/?mount=${d}&from=library/web`, { method: 'POST', headers: { authorization: src.authorization! } });
        assert.equal(m.status, 201);
      }
      assert.equal((await fetch(`${a.url}/v2/library/copy/manifests/${child.digest}`, { method: 'PUT', headers: { authorization: src.authorization!, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: cb })).status, 201);
    }
    assert.equal((await fetch(`${a.url}/v2/library/copy/manifests/latest`, { method: 'PUT', headers: { authorization: src.authorization!, 'content-type': 'application/vnd.oci.image.index.v1+json' }, body })).status, 201);
    await until('library/copy:latest on the target', 15_000, async () => ((await headManifest(dst, 'library/copy', 'latest')) ? true : undefined));
    const run = await runRule(a.url, 'to-b', A_PASSWORD);
    assert.equal(run.summary.copied, 0);
    const runs = JSON.parse(ok(await berth(['replicate', 'history', 'to-b', '--json', ...login()], { env })).stdout) as { id: number; trigger: string; summary: { blobsMounted: number; blobsCopied: number } | null }[];
    const pushed = runs.filter((r) => r.trigger === 'push' && r.summary && (r.summary.blobsMounted > 0 || r.summary.blobsCopied > 0));
    const mounted = pushed.reduce((n, r) => n + r.summary!.blobsMounted, 0);
    const copied = pushed.reduce((n, r) => n + r.summary!.blobsCopied, 0);
    assert.equal(copied, 6, 'library/web: two configs, two layers and the signature\'s two blobs, uploaded once');
    assert.equal(mounted, 4, 'library/copy: the same four blobs mounted');
  });

  it('a label filter takes only the repositories that carry the label', async () => {
    const patch = await fetch(`${a.url}/api/v1/repositories/library/copy`, { method: 'PATCH', headers: { authorization: src.authorization!, 'content-type': 'application/json' }, body: JSON.stringify({ labels: ['prod'] }) });
    assert.equal(patch.status, 200, await patch.text());
    ok(await berth(['replicate', 'add', 'labelled', '--to', b.url, '--repos', '**', '--label', 'prod', '--username', 'admin', '--password-stdin', ...login()], { env, stdin: `${B_PASSWORD}\n` }));
    const run = await runRule(a.url, 'labelled', A_PASSWORD);
    assert.equal(run.state, 'done');
    assert.deepEqual([...new Set(run.results.map((r) => r.repository))], ['library/copy']);
    ok(await berth(['replicate', 'remove', 'labelled', ...login()], { env }));
  });

  it('an on-push run waits out a target that is down, and delivers when it is back', async () => {
    await b.stop();
    const image = await pushMultiArch(src, 'library/web', 'late');
    // Down for longer than a few quick tries would last (1 + 2 + 4 s): the run backs off and waits.
    await new Promise((r) => setTimeout(r, 12_000));
    b = await b.restart();
    dst = { url: b.url, authorization: basic('admin', B_PASSWORD) };
    await until('library/web:late on the restarted target', 60_000, async () => ((await headManifest(dst, 'library/web', 'late')) === image.index ? true : undefined));
    await until('its signature', 30_000, async () => ((await headManifest(dst, 'library/web', image.signature)) ? true : undefined));
  });

  it('a deleted tag is deleted on the target (the rule replicates deletions)', async () => {
    const image = await pushMultiArch(src, 'library/web', 'tmp');
    await until('library/web:tmp on the target', 15_000, async () => ((await headManifest(dst, 'library/web', 'tmp')) === image.index ? true : undefined));
    const del = await fetch(`${a.url}/v2/library/web/manifests/tmp`, { method: 'DELETE', headers: { authorization: src.authorization! } });
    assert.equal(del.status, 202);
    await until('library/web:tmp gone from the target', 15_000, async () => ((await headManifest(dst, 'library/web', 'tmp')) === undefined ? true : undefined));
    assert.equal(await headManifest(dst, 'library/web', 'v1'), (await headManifest(src, 'library/web', 'v1')), 'v1 stays');
  });
});
