// Proxy projects (issue 15, section 1) against a real upstream: Distribution 2.8.2 with htpasswd
// auth, behind a TCP front that counts blob GETs and can cut connections mid-body.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROXY_RETENTION } from '../../src/features/proxy/index.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { pushBlob, pushImage, pushManifest, sha256, startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from './proxy-helpers.ts';

const ADMIN_PASSWORD = 'proxy-Admin-pw-1';
const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json';

function get(b: BerthProcess, path: string, method = 'GET'): Promise<Response> {
  return fetch(`${b.url}/v2/${path}`, { method, headers: { authorization: ADMIN, accept: ACCEPT } });
}

/** Every file under dir (relative paths). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(dir, '');
  return out;
}

describe('proxy projects: pull-through cache of a Distribution upstream', { timeout: 300_000 }, () => {
  let up: Upstream;
  let b: BerthProcess;

  before(async () => {
    up = await startUpstream();
    b = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    const env = { BERTH_PASSWORD: ADMIN_PASSWORD };
    const created = ok(await berth(['proxy', 'create', 'hub', '--upstream', up.url, '--username', UPSTREAM_USER, '--password-stdin', '--tag-ttl', 'pinned=1h,*=1s', '--url', b.url, '--user', 'admin', '--json'], { stdin: `${UPSTREAM_PASSWORD}\n`, env }));
    const view = JSON.parse(created.stdout) as { project: string; upstream: string; username: string; hasPassword: boolean; tagTtl: string };
    assert.deepEqual(view, { ...view, project: 'hub', upstream: up.url, username: UPSTREAM_USER, hasPassword: true, tagTtl: 'pinned=1h,*=1s' });
  });

  after(async () => {
    await b?.stop();
    await up?.stop();
  });

  it('the upstream password is stored sealed, under an owner-only key file', async () => {
    const db = readFileSync(join(b.dataDir, 'berth.db'));
    assert.equal(db.includes(Buffer.from(UPSTREAM_PASSWORD)), false, 'the password is not in the database in clear');
    const wal = (() => { try { return readFileSync(join(b.dataDir, 'berth.db-wal')); } catch { return Buffer.alloc(0); } })();
    assert.equal(wal.includes(Buffer.from(UPSTREAM_PASSWORD)), false, 'nor in its WAL');
    assert.equal(statSync(join(b.dataDir, 'proxy-secret.key')).mode & 0o777, 0o600);
    const list = ok(await berth(['proxy', 'list', '--url', b.url, '--user', 'admin', '--json'], { env: { BERTH_PASSWORD: ADMIN_PASSWORD } }));
    assert.equal(list.stdout.includes(UPSTREAM_PASSWORD), false);
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 1);
  });

  it('a miss is fetched from upstream and stored; the next pull is served from the cache', async () => {
    const img = await pushImage(up, 'library/app', '1.0', [4096, 8192]);
    const m = await get(b, 'hub/library/app/manifests/1.0');
    assert.equal(m.status, 200, await m.clone().text());
    assert.equal(m.headers.get('docker-content-digest'), img.digest);
    assert.equal(await m.text(), img.manifest);
    for (const blob of [img.config, ...img.layers]) {
      const r = await get(b, `hub/library/app/blobs/${sha256(blob)}`);
      assert.equal(r.status, 200);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), blob);
      const again = await get(b, `hub/library/app/blobs/${sha256(blob)}`);
      assert.deepEqual(Buffer.from(await again.arrayBuffer()), blob);
      assert.equal(up.blobGets(sha256(blob)), 1, 'the blob went upstream once');
    }
    // By digest: served from the cache, the upstream is not asked.
    const byDigest = await get(b, `hub/library/app/manifests/${img.digest}`);
    assert.equal(byDigest.status, 200);
    assert.equal(await byDigest.text(), img.manifest);
    // An unknown tag upstream is an ordinary 404.
    const missing = await get(b, 'hub/library/app/manifests/nope');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errors: { code: string }[] }).errors[0]!.code, 'MANIFEST_UNKNOWN');
  });

  it('a new proxy project gets the retention default "not pulled in 30 days", and a tag pulled through it is kept', async () => {
    const api = (method: string, path: string, body?: unknown) => fetch(`${b.url}/api/v1${path}`, {
      method, headers: { authorization: ADMIN, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const policy = (await (await api('GET', '/projects/hub/retention')).json()) as { policy: unknown; source: string };
    assert.deepEqual(policy.policy, { schedule: '17 3 * * *', rules: [{ pulledWithinDays: 30 }] });
    assert.equal(policy.source, PROXY_RETENTION);
    // library/app:1.0 was pulled through the proxy by the test before: its pull counts (written
    // within a second, features/pulls).
    type Plan = { repositories: { repository: string; keepTags?: { tag: string }[]; deleteTags?: { tag: string }[] }[] };
    let app: Plan['repositories'][number] | undefined;
    for (const deadline = Date.now() + 10_000; ;) {
      const plan = (await (await api('POST', '/projects/hub/retention/preview', {})).json()) as Plan;
      app = plan.repositories.find((r) => r.repository === 'hub/library/app');
      assert.ok(app, JSON.stringify(plan));
      if ((app.keepTags ?? []).length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual((app.keepTags ?? []).map((t) => t.tag), ['1.0'], JSON.stringify(app));
    assert.deepEqual(app.deleteTags ?? [], []);
  });

  it('a layer cached through one repository is linked into another of the project, not fetched again', async () => {
    const shared = randomBytes(64 * 1024);
    const digest = await pushBlob(up, 'library/base-a', shared);
    await pushBlob(up, 'library/base-b', shared);
    assert.deepEqual(Buffer.from(await (await get(b, `hub/library/base-a/blobs/${digest}`)).arrayBuffer()), shared);
    const viaB = await get(b, `hub/library/base-b/blobs/${digest}`);
    assert.equal(viaB.status, 200);
    assert.deepEqual(Buffer.from(await viaB.arrayBuffer()), shared);
    assert.equal(up.blobGets(digest), 1, 'the second repository did not go upstream');
  });

  it('a tag older than its TTL is checked upstream and follows a move; a younger one is not', async () => {
    const first = await pushImage(up, 'library/moving', 'latest');
    const pinned = await pushImage(up, 'library/moving', 'pinned');
    assert.equal((await get(b, 'hub/library/moving/manifests/latest')).headers.get('docker-content-digest'), first.digest);
    assert.equal((await get(b, 'hub/library/moving/manifests/pinned')).headers.get('docker-content-digest'), pinned.digest);
    const second = await pushImage(up, 'library/moving', 'latest');
    await pushManifest(up, 'library/moving', 'pinned', second.manifest, 'application/vnd.oci.image.manifest.v1+json');
    // Within a second (the TTL of *): still the cached copy.
    assert.equal((await get(b, 'hub/library/moving/manifests/latest')).headers.get('docker-content-digest'), first.digest);
    await new Promise((r) => setTimeout(r, 1200));
    const moved = await get(b, 'hub/library/moving/manifests/latest');
    assert.equal(moved.headers.get('docker-content-digest'), second.digest, 'latest (TTL 1s) followed the upstream');
    assert.equal(moved.headers.get('warning'), null);
    assert.equal((await get(b, 'hub/library/moving/manifests/pinned')).headers.get('docker-content-digest'), pinned.digest, 'pinned (TTL 1h) was not checked');
  });

  it('an index, then a child by digest, are fetched and cached as asked', async () => {
    const amd = await pushImage(up, 'library/multi', 'amd64-only');
    const arm = await pushImage(up, 'library/multi', 'arm64-only');
    const index = JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.digest, size: amd.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.digest, size: arm.manifest.length, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    const indexDigest = await pushManifest(up, 'library/multi', 'v1', index, 'application/vnd.oci.image.index.v1+json');
    const i = await get(b, 'hub/library/multi/manifests/v1');
    assert.equal(i.status, 200);
    assert.equal(i.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    assert.equal(i.headers.get('docker-content-digest'), indexDigest);
    assert.equal(await i.text(), index);
    const child = await get(b, `hub/library/multi/manifests/${arm.digest}`);
    assert.equal(child.status, 200);
    assert.equal(await child.text(), arm.manifest);
    const layer = await get(b, `hub/library/multi/blobs/${sha256(arm.layers[0]!)}`);
    assert.deepEqual(Buffer.from(await layer.arrayBuffer()), arm.layers[0]);
  });

  it('two concurrent cold pulls of one large blob fetch it from upstream once', async () => {
    const big = randomBytes(24 * 1024 * 1024);
    const digest = await pushBlob(up, 'library/big', big);
    // Each client reads its answer as it comes (as real clients do).
    const pull = async () => {
      const r = await get(b, `hub/library/big/blobs/${digest}`);
      assert.equal(r.status, 200);
      return r.arrayBuffer();
    };
    const [ba, bc] = await Promise.all([pull(), pull()]);
    assert.equal(sha256(Buffer.from(ba)), digest);
    assert.equal(sha256(Buffer.from(bc)), digest);
    assert.equal(up.blobGets(digest), 1, 'the upstream served the blob once');
  });

  it('the upstream dies mid-blob: the client gets an error and the cache holds nothing of it', async () => {
    const big = randomBytes(16 * 1024 * 1024);
    const digest = await pushBlob(up, 'library/cut', big);
    up.stallAfter(3 * 1024 * 1024);
    const res = await get(b, `hub/library/cut/blobs/${digest}`);
    assert.equal(res.status, 200, 'the answer starts while the blob streams');
    const reading = res.arrayBuffer().then(() => 'complete', (e: Error) => `failed: ${e.message}`);
    await up.stalled();
    await up.kill();
    assert.match(await reading, /^failed/, 'the client saw the transfer break');
    await new Promise((r) => setTimeout(r, 300));
    const hex = digest.slice('sha256:'.length);
    const left = filesUnder(join(b.dataDir, 'storage')).filter((f) => f.includes(hex) || f.includes('.tmp-'));
    assert.deepEqual(left, [], 'no partial or temporary blob is left in storage');
    const head = await get(b, `hub/library/cut/blobs/${digest}`, 'HEAD');
    assert.notEqual(head.status, 200, 'the blob is not in the cache');
    await up.restart();
    const again = await get(b, `hub/library/cut/blobs/${digest}`);
    assert.equal(sha256(Buffer.from(await again.arrayBuffer())), digest, 'a later pull fetches it whole');
  });

  it('the upstream is down: cached tags still pull, stale ones with a Warning; uncached ones fail', async () => {
    const img = await pushImage(up, 'library/cached', 'v1');
    assert.equal((await get(b, 'hub/library/cached/manifests/v1')).status, 200);
    for (const blob of [img.config, ...img.layers]) await (await get(b, `hub/library/cached/blobs/${sha256(blob)}`)).arrayBuffer();
    await up.kill();
    await new Promise((r) => setTimeout(r, 1200));
    const stale = await get(b, 'hub/library/cached/manifests/v1');
    assert.equal(stale.status, 200);
    assert.equal(stale.headers.get('docker-content-digest'), img.digest);
    assert.match(stale.headers.get('warning') ?? '', /^110 berth ".*upstream unavailable/);
    for (const blob of [img.config, ...img.layers]) {
      const r = await get(b, `hub/library/cached/blobs/${sha256(blob)}`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), blob);
    }
    const never = await get(b, 'hub/library/never/manifests/v1');
    assert.equal(never.status, 502);
    await up.restart();
  });

  it('a proxy project cannot be pushed to', async () => {
    const start = await fetch(`${b.url}/v2/hub/library/app/blobs/uploads/`, { method: 'POST', headers: { authorization: ADMIN } });
    assert.equal(start.status, 403);
    assert.match(await start.text(), /proxy project/);
    const put = await fetch(`${b.url}/v2/hub/library/app/manifests/mine`, { method: 'PUT', headers: { authorization: ADMIN, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: '{}' });
    assert.equal(put.status, 403);
  });

  it('a project that is not a proxy never goes upstream', async () => {
    const r = await get(b, 'library/app/manifests/1.0');
    assert.equal(r.status, 404);
  });
});
