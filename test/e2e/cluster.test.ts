// Scale-out (issue 14): scripts/cluster-up.sh DIR starts PostgreSQL's database, Ceph radosgw,
// three `berth serve` on them and haproxy round-robin in front, with no stickiness. Through it:
// skopeo logs in, pushes and pulls; a chunked upload's PATCHes land on different instances; a tag
// moved through one instance is served by the others; an instance killed mid-push loses nothing
// and the client's retry succeeds through another. scripts/cluster-down.sh DIR stops it all.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import { exec } from './helpers/run.ts';
import { requireTools } from './helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const T = { timeout: 300_000 };
const MiB = 1024 * 1024;
const PORT = 5400;
const instance = (i: number) => `http://127.0.0.1:${PORT + i}`;
const digestOf = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('a cluster of 3 instances behind haproxy (scripts/cluster-up.sh)', { timeout: 900_000 }, () => {
  let dir: string;
  let lb: string;
  let auth: string;
  let client: ClientEnv;
  let busybox: ImageFixture;

  before(async () => {
    requireTools('haproxy', 'skopeo', 'curl', 'tar', 'busybox');
    dir = await mkdtemp(join(tmpdir(), 'berth-cluster-'));
    const up = await exec('bash', [join(ROOT, 'scripts', 'cluster-up.sh'), dir], { timeoutMs: 240_000 });
    assert.equal(up.code, 0, `cluster-up.sh failed:\n${up.stderr}\n${up.stdout}`);
    lb = up.stdout.trim().split('\n').at(-1)!;
    const password = (await readFile(join(dir, 'admin-password'), 'utf8')).trim();
    auth = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    client = await createClientEnv(new URL(lb).host);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
  });

  after(async () => {
    await client?.cleanup();
    if (dir) {
      const down = await exec('bash', [join(ROOT, 'scripts', 'cluster-down.sh'), dir], { timeoutMs: 120_000, env: { CLUSTER_WIPE: '1' } });
      assert.equal(down.code, 0, down.stderr);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  });

  const call = (base: string, method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer } = {}) =>
    fetch(`${base}${path}`, { method, headers: { authorization: auth, ...init.headers }, ...(init.body ? { body: init.body } : {}), redirect: 'manual' });

  it('prints the load balancer URL last and keeps the admin password 0600 in DIR', T, async () => {
    assert.equal(lb, `http://127.0.0.1:${PORT}`);
    assert.equal((await stat(join(dir, 'admin-password'))).mode & 0o777, 0o600);
    assert.equal((await fetch(`${lb}/readyz`)).status, 200);
  });

  it('skopeo logs in, pushes and pulls through the load balancer', T, async () => {
    const host = new URL(lb).host;
    const password = (await readFile(join(dir, 'admin-password'), 'utf8')).trim();
    await client.run('skopeo', ['login', '--tls-verify=false', '-u', 'admin', '--password-stdin', host], { input: `${password}\n` });
    await client.run('skopeo', ['copy', '--dest-tls-verify=false', busybox.source, `docker://${host}/library/clustered:1`]);
    const seen = JSON.parse((await client.run('skopeo', ['inspect', '--tls-verify=false', `docker://${host}/library/clustered:1`])).stdout) as { Digest: string };
    assert.equal(seen.Digest, busybox.manifestDigest);
    const back = await client.scratch('back');
    await client.run('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/library/clustered:1`, `oci:${back}:x`]);
    // Every instance serves it (the bytes are in the bucket, the rows in PostgreSQL).
    for (const i of [1, 2, 3]) {
      const res = await call(instance(i), 'GET', '/v2/library/clustered/manifests/1', { headers: { accept: busybox.manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(res.headers.get('docker-content-digest'), busybox.manifestDigest, `instance ${i}`);
    }
  });

  it('a chunked upload through the balancer: its PATCHes land on different instances, and the blob is whole', T, async () => {
    const blob = randomBytes(6 * MiB + 3 * 1024);
    const start = await call(lb, 'POST', '/v2/library/chunky/blobs/uploads/');
    assert.equal(start.status, 202);
    let location = start.headers.get('location')!;
    const id = /uploads\/([^/?]+)/.exec(location)![1]!;
    const sizes = [2 * MiB, 1024, 2 * MiB, 1024, 2 * MiB + 1024];
    let at = 0;
    for (const size of sizes) {
      const res = await call(lb, 'PATCH', location, { headers: { 'content-type': 'application/octet-stream', 'content-range': `${at}-${at + size - 1}` }, body: blob.subarray(at, at + size) });
      assert.equal(res.status, 202, `PATCH at ${at}: ${await res.text()}`);
      location = res.headers.get('location')!;
      at += size;
    }
    const put = await call(lb, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digestOf(blob)}`);
    assert.equal(put.status, 201, await put.text());
    const served = new Set<number>();
    for (const i of [1, 2, 3]) {
      const log = await readFile(join(dir, 'log', `berth-${i}.log`), 'utf8');
      if (log.split('\n').some((l) => l.includes('"method":"PATCH"') && l.includes(id))) served.add(i);
    }
    assert.ok(served.size >= 2, `the PATCHes of upload ${id} landed on instances ${[...served].join(', ')}`);
    const got = Buffer.from(await (await call(lb, 'GET', `/v2/library/chunky/blobs/${digestOf(blob)}`)).arrayBuffer());
    assert.equal(digestOf(got), digestOf(blob));
  });

  it('a tag moved through one instance is served by the others within a second', T, async () => {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n: randomBytes(4).toString('hex') }));
    await pushBlob(instance(1), 'library/moving', config);
    const manifest = (n: number) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length }, layers: [], annotations: { n: String(n) } }));
    for (let n = 0; n < 3; n++) {
      const m = manifest(n);
      const res = await call(instance(1 + (n % 3)), 'PUT', '/v2/library/moving/manifests/current', { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: m });
      assert.equal(res.status, 201);
      const deadline = Date.now() + 1000;
      for (const i of [1, 2, 3]) {
        let digest: string | null = null;
        do {
          digest = (await call(instance(i), 'HEAD', '/v2/library/moving/manifests/current', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).headers.get('docker-content-digest');
        } while (digest !== digestOf(m) && Date.now() < deadline);
        assert.equal(digest, digestOf(m), `instance ${i} serves move ${n} within 1 s`);
      }
    }
  });

  it('the same blob pushed through three instances at once: every push succeeds and each instance serves it whole', T, async () => {
    const blob = randomBytes(12 * MiB);
    await Promise.all([1, 2, 3].map((i) => pushBlob(instance(i), 'library/same', blob)));
    for (const i of [1, 2, 3]) {
      const got = Buffer.from(await (await call(instance(i), 'GET', `/v2/library/same/blobs/${digestOf(blob)}`)).arrayBuffer());
      assert.equal(digestOf(got), digestOf(blob), `instance ${i}`);
    }
  });

  it('an instance killed with SIGKILL mid-push loses nothing: the retry succeeds through another', T, async () => {
    const blob = randomBytes(48 * MiB);
    const digest = digestOf(blob);
    const victim = 2;
    const start = await call(instance(victim), 'POST', '/v2/library/survivor/blobs/uploads/');
    const location = start.headers.get('location')!;
    // Stream the body slowly to the victim, and kill it halfway.
    const url = new URL(`${instance(victim)}${location}${location.includes('?') ? '&' : '?'}digest=${digest}`);
    const failed = new Promise<string>((res) => {
      const req = request(url, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/octet-stream', 'content-length': String(blob.length) } }, (r) => { r.resume(); r.on('end', () => res(`answered ${r.statusCode}`)); });
      req.on('error', (e) => res(`error ${e.message}`));
      let at = 0;
      const pump = () => {
        if (at >= blob.length) { req.end(); return; }
        req.write(blob.subarray(at, at + MiB));
        at += MiB;
        setTimeout(pump, 20);
      };
      pump();
    });
    await new Promise((r) => setTimeout(r, 400));
    const pid = Number((await readFile(join(dir, 'run', `berth-${victim}.pid`), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    assert.match(await failed, /error|answered 5/, 'the push to the killed instance failed');
    // The client retries (a new upload), through the balancer: haproxy's health check takes the dead instance out.
    let ok = false;
    for (let attempt = 0; attempt < 5 && !ok; attempt++) {
      try {
        await pushBlob(lb, 'library/survivor', blob);
        ok = true;
      } catch { await new Promise((r) => setTimeout(r, 1000)); }
    }
    assert.ok(ok, 'the retry through the balancer succeeded');
    for (const i of [1, 3]) {
      const got = Buffer.from(await (await call(instance(i), 'GET', `/v2/library/survivor/blobs/${digest}`)).arrayBuffer());
      assert.equal(digestOf(got), digest, `instance ${i} serves the whole blob`);
    }
    // What was there before is all still there.
    const res = await call(lb, 'GET', '/v2/library/clustered/manifests/1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.headers.get('docker-content-digest'), busybox.manifestDigest);
    // cluster-up.sh DIR starts the killed instance again, and leaves the others alone.
    const up = await exec('bash', [join(ROOT, 'scripts', 'cluster-up.sh'), dir], { timeoutMs: 120_000 });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /berth-1 already runs/);
    assert.equal((await fetch(`${instance(victim)}/readyz`)).status, 200);
  });

  it('cluster-down.sh stops every process it started', T, async () => {
    const pids = await Promise.all((await readdir(join(dir, 'run'))).filter((f) => f.endsWith('.pid')).map(async (f) => Number((await readFile(join(dir, 'run', f), 'utf8')).trim())));
    assert.ok(pids.length >= 4, `pid files: ${pids.length}`);
    const down = await exec('bash', [join(ROOT, 'scripts', 'cluster-down.sh'), dir], { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} is gone`);
    await assert.rejects(fetch(`${lb}/readyz`), 'the balancer is gone');
  });

  async function pushBlob(base: string, repo: string, data: Buffer): Promise<void> {
    const start = await call(base, 'POST', `/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202) throw new Error(`POST ${start.status}`);
    const location = start.headers.get('location')!;
    const put = await call(base, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digestOf(data)}`, { headers: { 'content-type': 'application/octet-stream' }, body: data });
    if (put.status !== 201) throw new Error(`PUT ${put.status}: ${await put.text()}`);
  }
});
