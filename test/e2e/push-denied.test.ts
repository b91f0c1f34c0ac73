// A push the caller may not make fails clearly (hardening issue, found by a new user): to a
// project that does not exist, to a private project of somebody else, and to library as a
// non-administrator, skopeo, podman and the docker CLI get past the blob existence check (a HEAD
// that answers 404 to a caller who may not read, as Distribution and Docker Hub do) to the upload
// request, and print "denied: requested access to the resource is denied". The refusal's detail
// carries Berth's reason, and a private project's reason reads like a missing one's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import type { Credentials, TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';
const DENIED = /denied: requested access to the resource is denied/;
const ADMIN: Credentials = { user: 'admin', password: 'e2e-Admin-pa55word' };
const PUSHER: Credentials = { user: 'pusher', password: 'e2e-Pusher-pa55word' };
const basic = (c: Credentials) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;

describe('pushes that are not allowed fail with the clients\' "denied" message', { timeout: 1_800_000 }, () => {
  let server: BerthProcess;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;
  const ref = (name: string) => `docker://${server.host}/${name}`;

  before(async () => {
    requireTools('skopeo', 'podman', 'docker', 'tar', 'busybox');
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
    for (const [method, path, body] of [
      ['POST', '/api/v1/users', { name: PUSHER.user, password: PUSHER.password }],
      ['POST', '/api/v1/projects', { name: 'someones', visibility: 'private' }],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: basic(ADMIN), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 201, await res.text());
    }
    client = await createClientEnv(server.host);
    const registry: TestRegistry = { kind: 'berth', url: server.url, host: server.host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    await skopeo.copy(busybox.source, ref('library/busybox:1'), [], { creds: ADMIN });
  });
  after(async () => {
    await client?.cleanup();
    await server?.stop();
  });

  /** How many POSTs to /v2/<repo>/blobs/uploads/ the server saw (the client got that far). */
  const uploadAttempts = (repo: string) => server.logs().split('\n').filter((l) => l.includes('"method":"POST"') && l.includes(`/v2/${repo}/blobs/uploads/`)).length;

  async function reasonFor(repo: string): Promise<string> {
    const res = await fetch(`${server.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: basic(PUSHER) } });
    const body = await res.json() as { errors: { code: string; detail: { Reason: string }[] }[] };
    assert.equal(res.status, 403);
    assert.equal(body.errors[0]!.code, 'DENIED');
    return body.errors[0]!.detail[0]!.Reason;
  }

  for (const [what, repo, reason] of [
    ['a project that does not exist', 'nosuchproject/img', /project nosuchproject does not exist/],
    ["somebody's private project", 'someones/img', /project someones does not exist, or you are not a member of it/],
    ['library, as a non-administrator', 'library/mine', /only administrators may push in library/],
  ] as const) {
    it(`skopeo and podman pushing to ${what} reach the upload request and print "denied"`, T, async () => {
      const before = uploadAttempts(repo);
      const s = await client.exec('skopeo', skopeo.copyArgs(busybox.source, ref(`${repo}:1`), [], { creds: PUSHER }));
      assert.notEqual(s.code, 0, `the push must fail:\n${s.stdout}`);
      assert.match(s.stderr, DENIED, `skopeo's message:\n${s.stderr}`);
      assert.doesNotMatch(s.stderr, /trying to reuse blob|403 \(Forbidden\)/, 'it did not stop at the blob check');
      assert.ok(uploadAttempts(repo) > before, 'skopeo reached the upload request');

      const c = await createClientEnv(server.host);
      try {
        await c.run('podman', ['pull', TLS, `${server.host}/library/busybox:1`]);
        await c.run('podman', ['tag', `${server.host}/library/busybox:1`, `${server.host}/${repo}:1`]);
        const p = await c.exec('podman', ['push', TLS, '--creds', `${PUSHER.user}:${PUSHER.password}`, `${server.host}/${repo}:1`]);
        assert.notEqual(p.code, 0, `the podman push must fail:\n${p.stdout}`);
        assert.match(p.stderr, DENIED, `podman's message:\n${p.stderr}`);
        assert.doesNotMatch(p.stderr, /trying to reuse blob/);
      } finally {
        await c.cleanup();
      }
      assert.match(await reasonFor(repo), reason);
    });
  }

  it('the docker CLI (manifest push, no daemon) prints "denied" for a project that does not exist', T, async () => {
    const c = await createClientEnv(server.host);
    try {
      await c.run('docker', ['login', '-u', PUSHER.user, '--password-stdin', server.host], { input: PUSHER.password });
      const list = `${server.host}/nosuchproject/list:1`;
      await c.run('docker', ['manifest', 'create', '--insecure', list, `${server.host}/library/busybox:1`]);
      const push = await c.exec('docker', ['manifest', 'push', '--insecure', list]);
      assert.notEqual(push.code, 0, `docker manifest push must fail:\n${push.stdout}`);
      assert.match(push.stderr + push.stdout, DENIED, `docker's message:\n${push.stderr}`);
    } finally {
      await c.cleanup();
    }
  });

  it('the private project\'s reason is the missing project\'s, word for word', async () => {
    const hidden = await reasonFor('someones/img');
    const missing = await reasonFor('nosuchproject/img');
    assert.equal(hidden.replace('someones', 'X'), missing.replace('nosuchproject', 'X'));
    // And the blob existence check says "not here" to both.
    for (const repo of ['someones/img', 'nosuchproject/img']) {
      const head = await fetch(`${server.url}/v2/${repo}/blobs/${busybox.configDigest}`, { method: 'HEAD', headers: { authorization: basic(PUSHER) } });
      assert.equal(head.status, 404, repo);
    }
  });
});
