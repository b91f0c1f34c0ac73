// skopeo against a registry with htpasswd auth: the Basic challenge, login with a wrong and a
// right password, push without and with a login, and logout.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import { startRegistry, type Credentials, type TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 180_000 };
const UNAUTHORIZED = /unauthorized|authentication required|401|invalid username\/password/i;

async function authEntry(file: string, host: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return (JSON.parse(text) as { auths?: Record<string, { auth?: string }> }).auths?.[host]?.auth;
}

describe('skopeo with htpasswd auth', { timeout: 900_000 }, () => {
  let registry: TestRegistry;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let creds: Credentials;
  let busybox: ImageFixture;

  before(async () => {
    requireTools('skopeo', 'htpasswd', 'tar', 'busybox');
    registry = await startRegistry({ auth: 'htpasswd' });
    creds = registry.credentials!;
    client = await createClientEnv(registry.host);
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
  });

  after(async () => {
    await client?.cleanup();
    await registry?.stop();
  });

  it('answers an anonymous /v2/ with 401 and a Basic challenge', T, async () => {
    const anon = await fetch(`${registry.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm=/i);

    const wrong = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: `Basic ${Buffer.from(`${creds.user}:wrong`).toString('base64')}` },
    });
    assert.equal(wrong.status, 401, 'a wrong password gets 401');

    const right = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}` },
    });
    assert.equal(right.status, 200);
    assert.equal(right.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  it('refuses a push without a login', T, async () => {
    const push = await client.exec('skopeo', skopeo.copyArgs(busybox.source, skopeo.ref('auth/busybox:1'), [], { creds: false }));
    assert.notEqual(push.code, 0, `an anonymous push must fail:\n${push.stdout}`);
    assert.match(push.stderr, UNAUTHORIZED);

    const look = await client.exec('skopeo', skopeo.inspectArgs(skopeo.ref('auth/busybox:1'), ['--raw']));
    assert.notEqual(look.code, 0, 'nothing was pushed');
    assert.match(look.stderr, /manifest unknown|name unknown|not found/i);
  });

  it('login with a wrong password fails and stores nothing', T, async () => {
    const r = await client.exec('skopeo', ['login', '--tls-verify=false', '-u', creds.user, '-p', 'not-the-password', registry.host]);
    assert.notEqual(r.code, 0, `login with a wrong password must fail:\n${r.stdout}`);
    assert.match(r.stderr, UNAUTHORIZED);
    assert.equal(await authEntry(client.authFile, registry.host), undefined);
  });

  it('login with the right password stores it, and then a push works', T, async () => {
    const r = await client.run('skopeo', ['login', '--tls-verify=false', '--password-stdin', '-u', creds.user, registry.host], {
      input: creds.password,
    });
    assert.match(r.stdout, /Login Succeeded/);
    assert.equal(
      await authEntry(client.authFile, registry.host),
      Buffer.from(`${creds.user}:${creds.password}`).toString('base64'),
    );

    // No --creds from here: the auth file written by login is all skopeo has.
    await skopeo.copy(busybox.source, skopeo.ref('auth/busybox:1'), [], { creds: false });
    const info = await skopeo.inspect(skopeo.ref('auth/busybox:1'), [], { creds: false });
    assert.equal(info.Digest, busybox.manifestDigest);
    assert.deepEqual(await skopeo.listTags(skopeo.ref('auth/busybox'), { creds: false }), ['1']);
  });

  it('logout forgets the login, and reads fail again', T, async () => {
    await client.run('skopeo', ['logout', registry.host]);
    assert.equal(await authEntry(client.authFile, registry.host), undefined);
    const r = await client.exec('skopeo', skopeo.inspectArgs(skopeo.ref('auth/busybox:1'), ['--raw'], { creds: false }));
    assert.notEqual(r.code, 0, `an anonymous read must fail:\n${r.stdout}`);
    assert.match(r.stderr, UNAUTHORIZED);
  });
});
