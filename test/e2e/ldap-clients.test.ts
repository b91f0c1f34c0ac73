// Real clients against LDAP users (issue 19): Debian's slapd (test/helpers/slapd.ts) holds the
// users and groups; berth serve has auth.providers [builtin, corp]. podman login and push with a
// directory password, skopeo with --creds, docker login; a directory group mapped to developer
// pushes, a guest group is refused with "requested access to the resource is denied"; a wrong
// directory password fails to log in.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { startSlapd, type Slapd } from '../helpers/slapd.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import type { Credentials, TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';
const DENIED = /requested access to the resource is denied/;
const REFUSED = /unauthorized|authentication required|requested access to the resource is denied|invalid username\/password|401/i;
const ADMIN: Credentials = { user: 'admin', password: 'e2e-ldap-Admin-pa55' };
// From test/fixtures/ldap/directory.ldif: alice is in developers (and guests), gus in guests.
const ALICE: Credentials = { user: 'alice', password: 'alice-directory-pw' };
const GUS: Credentials = { user: 'gus', password: 'gus-directory-pw' };
const PROJECT = 'corpteam';

async function authOf(file: string, host: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths?.[host]?.auth;
  } catch {
    return undefined;
  }
}
const b64 = (c: Credentials) => Buffer.from(`${c.user}:${c.password}`).toString('base64');

describe('LDAP users with real clients', { timeout: 1_200_000 }, () => {
  let slapd: Slapd;
  let server: BerthProcess;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;
  let host: string;
  const ref = (name: string) => `docker://${host}/${name}`;

  async function api(method: string, path: string, body: unknown): Promise<void> {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Basic ${b64(ADMIN)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.text()}`);
  }

  before(async () => {
    requireTools('skopeo', 'podman', 'docker', 'tar', 'busybox');
    slapd = await startSlapd();
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN.password },
      config: {
        auth: {
          providers: [
            { type: 'builtin' },
            {
              name: 'corp', type: 'ldap', url: slapd.url, bindDN: 'cn=admin,dc=example,dc=org', bindPassword: 'secret',
              userBase: 'ou=people,dc=example,dc=org', userFilter: '(uid={username})',
              groupBase: 'ou=groups,dc=example,dc=org', groupFilter: '(member={dn})',
            },
          ],
        },
      },
    });
    host = server.host;
    await api('POST', '/projects', { name: PROJECT, visibility: 'private' });
    await api('PUT', `/projects/${PROJECT}/group-mappings`, { provider: 'corp', group: 'developers', role: 'developer' });
    await api('PUT', `/projects/${PROJECT}/group-mappings`, { provider: 'corp', group: 'guests', role: 'guest' });
    client = await createClientEnv(host);
    const registry: TestRegistry = { kind: 'berth', url: server.url, host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
  });

  after(async () => {
    await client?.cleanup();
    if (server) {
      const code = await server.stop();
      if (code !== 0 && code !== null) console.error(`berth exited with ${code}:\n${server.logs()}`);
    }
    await slapd?.stop();
  });

  it('skopeo --creds with a directory password: a developer group pushes, a guest group reads and is denied a push', T, async () => {
    await skopeo.copy(busybox.source, ref(`${PROJECT}/app:1`), [], { creds: ALICE });
    assert.equal((await skopeo.inspect(ref(`${PROJECT}/app:1`), [], { creds: ALICE })).Digest, busybox.manifestDigest);
    assert.equal((await skopeo.inspect(ref(`${PROJECT}/app:1`), [], { creds: GUS })).Digest, busybox.manifestDigest);
    const push = await client.exec('skopeo', skopeo.copyArgs(busybox.source, ref(`${PROJECT}/app:guest`), [], { creds: GUS }));
    assert.notEqual(push.code, 0, `a guest push must fail:\n${push.stdout}`);
    assert.match(push.stderr, DENIED);
    const wrong = await client.exec('skopeo', ['inspect', TLS, '--creds', `${ALICE.user}:not-her-password`, ref(`${PROJECT}/app:1`)]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, REFUSED);
  });

  it('podman login with the directory password, then pull and push; a wrong password is refused', T, async () => {
    const c = await createClientEnv(host);
    try {
      const bad = await c.exec('podman', ['login', TLS, '-u', ALICE.user, '--password-stdin', host], { input: 'not-her-password' });
      assert.notEqual(bad.code, 0, `podman login with a wrong password must fail:\n${bad.stdout}`);
      assert.match(bad.stderr, REFUSED);
      const good = await c.run('podman', ['login', TLS, '-u', ALICE.user, '--password-stdin', host], { input: ALICE.password });
      assert.match(good.stdout, /Login Succeeded/);
      assert.equal(await authOf(c.authFile, host), b64(ALICE));
      await c.run('podman', ['pull', TLS, `${host}/${PROJECT}/app:1`]);
      await c.run('podman', ['tag', `${host}/${PROJECT}/app:1`, `${host}/${PROJECT}/app:podman`]);
      await c.run('podman', ['push', TLS, `${host}/${PROJECT}/app:podman`]);
      const tags = await skopeo.listTags(ref(`${PROJECT}/app`), { creds: ALICE });
      assert.ok(tags.includes('podman'), `podman pushed: ${tags.join(', ')}`);
      // The guest logs in too, and is denied the push.
      await c.run('podman', ['login', TLS, '-u', GUS.user, '--password-stdin', host], { input: GUS.password });
      await c.run('podman', ['tag', `${host}/${PROJECT}/app:1`, `${host}/${PROJECT}/app:gus`]);
      const pp = await c.exec('podman', ['push', TLS, `${host}/${PROJECT}/app:gus`]);
      assert.notEqual(pp.code, 0, `a guest podman push must fail:\n${pp.stdout}`);
      assert.match(pp.stderr, DENIED);
    } finally {
      await c.cleanup();
    }
  });

  it('docker login with the directory password (no daemon), then docker manifest inspect', T, async () => {
    const c = await createClientEnv(host);
    try {
      const config = join(c.dockerConfig, 'config.json');
      const bad = await c.exec('docker', ['login', '-u', GUS.user, '--password-stdin', host], { input: 'not-his-password' });
      assert.notEqual(bad.code, 0, `docker login with a wrong password must fail:\n${bad.stdout}`);
      const good = await c.run('docker', ['login', '-u', GUS.user, '--password-stdin', host], { input: GUS.password });
      assert.match(good.stdout + good.stderr, /Login Succeeded/);
      assert.equal(await authOf(config, host), b64(GUS));
      const inspect = await c.run('docker', ['manifest', 'inspect', '--insecure', `${host}/${PROJECT}/app:1`]);
      assert.equal(JSON.parse(inspect.stdout).config.digest, busybox.configDigest);
    } finally {
      await c.cleanup();
    }
  });
});
