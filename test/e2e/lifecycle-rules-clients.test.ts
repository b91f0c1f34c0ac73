// Tag immutability and quotas with real clients (issue 13, sections 3 and 4): skopeo and podman
// print Berth's TAG_IMMUTABLE message when a push would move an immutable tag and when skopeo
// delete (by digest) would take it along, re-pushing the same image is fine; a push over a
// project's quota fails with the DENIED message naming the quota, the usage and what the push
// needed, and deleting over quota works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatSize } from '../../src/features/quota/size.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, buildMultiArchLayout, type ImageFixture, type IndexFixture } from './helpers/fixtures.ts';
import type { Credentials, TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';
const ADMIN: Credentials = { user: 'admin', password: 'e2e-Admin-pa55word' };
const ALICE: Credentials = { user: 'alice', password: 'e2e-Alice-pa55word' };
const basic = (c: Credentials) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('immutable tags and quotas as skopeo and podman show them', { timeout: 1_800_000 }, () => {
  let server: BerthProcess;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;
  let multi: IndexFixture;
  let ruleId = 0;
  const ref = (name: string) => `docker://${server.host}/${name}`;

  async function api(as: Credentials, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: basic(as), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  async function digestOf(repo: string, tag: string): Promise<string> {
    const res = await fetch(`${server.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { authorization: basic(ALICE), accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json' } });
    assert.equal(res.status, 200, `${repo}:${tag}`);
    return res.headers.get('docker-content-digest')!;
  }

  before(async () => {
    requireTools('skopeo', 'podman', 'tar', 'busybox');
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
    assert.equal((await api(ADMIN, 'POST', '/users', { name: ALICE.user, password: ALICE.password })).status, 201);
    for (const name of ['team', 'small']) assert.equal((await api(ALICE, 'POST', '/projects', { name })).status, 201);
    const rule = await api(ALICE, 'POST', '/projects/team/immutable-rules', { repos: '**', tags: 'v*' });
    assert.equal(rule.status, 201, JSON.stringify(rule.json));
    ruleId = rule.json.id;
    client = await createClientEnv(server.host);
    const registry: TestRegistry = { kind: 'berth', url: server.url, host: server.host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    multi = await buildMultiArchLayout(await client.scratch('multi'));
  });
  after(async () => {
    await client?.cleanup();
    await server?.stop();
  });

  const immutable = (tag: string, repo: string) => `tag ${tag} of ${repo} is immutable (rule ${ruleId}: repos ** tags v*)`;

  it('skopeo: a new immutable tag and the same image again are fine; moving it is refused with the message', T, async () => {
    await skopeo.copy(busybox.source, ref('team/app:v1.0'), [], { creds: ALICE });
    const pinned = await digestOf('team/app', 'v1.0');
    await skopeo.copy(busybox.source, ref('team/app:v1.0'), [], { creds: ALICE });
    assert.equal(await digestOf('team/app', 'v1.0'), pinned, 'the same image again: no move');

    const moved = await client.exec('skopeo', skopeo.copyArgs(multi.source, ref('team/app:v1.0'), ['--all'], { creds: ALICE }));
    assert.notEqual(moved.code, 0, `the push must fail:\n${moved.stdout}`);
    assert.match(moved.stderr, new RegExp(`${escape(immutable('v1.0', 'team/app'))}: push it under a new tag`), `skopeo's message:\n${moved.stderr}`);
    assert.equal(await digestOf('team/app', 'v1.0'), pinned, 'the tag did not move');

    // Under a new tag it goes through, and latest (no rule) moves freely.
    await skopeo.copy(multi.source, ref('team/app:v1.1'), ['--all'], { creds: ALICE });
    await skopeo.copy(busybox.source, ref('team/app:latest'), [], { creds: ALICE });
    await skopeo.copy(multi.source, ref('team/app:latest'), ['--all'], { creds: ALICE });
  });

  it('skopeo delete (by digest) of an image an immutable tag points at is refused with the message', T, async () => {
    const del = await client.exec('skopeo', ['delete', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, ref('team/app:v1.0')]);
    assert.notEqual(del.code, 0, `the delete must fail:\n${del.stdout}`);
    assert.match(del.stderr, new RegExp(`${escape(immutable('v1.0', 'team/app'))}: sha256:[0-9a-f]{12}… cannot be deleted while that tag points at it`), `skopeo's message:\n${del.stderr}`);
    assert.ok(await digestOf('team/app', 'v1.0'));
    // An image only mutable tags point at is deleted.
    await skopeo.copy(busybox.source, ref('team/scratch:tmp'), [], { creds: ALICE });
    await client.run('skopeo', ['delete', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, ref('team/scratch:tmp')]);
  });

  it('podman push that would move an immutable tag prints the message', T, async () => {
    const c = await createClientEnv(server.host);
    try {
      await c.run('podman', ['pull', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, `${server.host}/team/app:v1.0`]);
      await c.run('podman', ['tag', `${server.host}/team/app:v1.0`, `${server.host}/team/app:v2`]);
      // Docker's format is another manifest (another digest) for the same image.
      const moved = await c.exec('podman', ['push', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, '--format', 'v2s2', `${server.host}/team/app:v1.0`]);
      assert.notEqual(moved.code, 0, `the podman push must fail:\n${moved.stdout}`);
      assert.match(moved.stderr, new RegExp(`${escape(immutable('v1.0', 'team/app'))}: push it under a new tag`), `podman's message:\n${moved.stderr}`);
      await c.run('podman', ['push', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, '--format', 'v2s2', `${server.host}/team/app:v2`]);
      const again = await c.exec('podman', ['push', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, '--format', 'oci', `${server.host}/team/app:v2`]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, new RegExp(`${escape(immutable('v2', 'team/app'))}: push it under a new tag`));
    } finally {
      await c.cleanup();
    }
  });

  it('a push over the quota fails with the DENIED message in skopeo and podman; deleting over quota works', T, async () => {
    // Room for the config and the manifest, not for the busybox layer.
    const set = await api(ADMIN, 'PATCH', '/projects/small', { quotaBytes: 64 * 1024 });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    const layer = busybox.manifest.layers[0]!;
    assert.ok(layer.size > 64 * 1024, `the busybox layer is ${layer.size} bytes`);
    const quotaMessage = new RegExp(`denied: quota of 64 KiB for project small exceeded: \\d+(\\.\\d)? (B|KiB) used, push needs ${escape(formatSize(layer.size))}`);

    const s = await client.exec('skopeo', skopeo.copyArgs(busybox.source, ref('small/app:1'), [], { creds: ALICE }));
    assert.notEqual(s.code, 0, `the push must fail:\n${s.stdout}`);
    assert.match(s.stderr, quotaMessage, `skopeo's message:\n${s.stderr}`);

    const c = await createClientEnv(server.host);
    try {
      await c.run('podman', ['pull', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, `${server.host}/team/app:v1.0`]);
      await c.run('podman', ['tag', `${server.host}/team/app:v1.0`, `${server.host}/small/app:1`]);
      const p = await c.exec('podman', ['push', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, `${server.host}/small/app:1`]);
      assert.notEqual(p.code, 0, `the podman push must fail:\n${p.stdout}`);
      assert.match(p.stderr, quotaMessage, `podman's message:\n${p.stderr}`);
    } finally {
      await c.cleanup();
    }

    // Raise it, push, lower it below the usage: deleting still works.
    assert.equal((await api(ADMIN, 'PATCH', '/projects/small', { quotaBytes: 16 * 1024 * 1024 })).status, 200);
    await skopeo.copy(busybox.source, ref('small/app:1'), [], { creds: ALICE });
    const full = await api(ALICE, 'GET', '/projects/small');
    assert.ok(full.json.quota.usedBytes > layer.size, JSON.stringify(full.json.quota));
    assert.equal((await api(ADMIN, 'PATCH', '/projects/small', { quotaBytes: 1024 })).status, 200);
    const again = await client.exec('skopeo', skopeo.copyArgs(multi.source, ref('small/app:2'), ['--all'], { creds: ALICE }));
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /denied: quota of 1 KiB for project small exceeded: /);
    await client.run('skopeo', ['delete', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, ref('small/app:1')]);
    const after = await api(ALICE, 'GET', '/projects/small');
    assert.ok(after.json.quota.usage.manifests === 0, JSON.stringify(after.json.quota));
  });
});
