// Real clients against auth.mode builtin (the default): login and logout with podman, skopeo,
// buildah and the docker CLI; anonymous pulls from a public project and refusals on a private
// one; a developer pushes and a guest is refused with "requested access to the resource is
// denied"; robots with pull-only rights and robots that expired; a personal access token as the
// password of `podman login`.
//
// Users, members, robots and tokens are set up through the directory services on the server's
// own SQLite file (WAL mode lets the test and the server share it), acting as SYSTEM.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { directoryServices } from '../../src/auth/builtin.ts';
import { SYSTEM } from '../../src/auth/directory/actor.ts';
import { openMetadata, type MetadataDb } from '../../src/metadata/db.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import type { Credentials, TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';
const DENIED = /requested access to the resource is denied/;
const REFUSED = /unauthorized|authentication required|requested access to the resource is denied|invalid username\/password|401/i;

const ADMIN: Credentials = { user: 'admin', password: 'e2e-Admin-pa55word' };
const DEV: Credentials = { user: 'idev', password: 'e2e-Dev-pa55word' };
const GUEST: Credentials = { user: 'iguest', password: 'e2e-Guest-pa55word' };
const PROJECT = 'iteam';

async function readJson(file: string): Promise<{ auths?: Record<string, { auth?: string }> } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { auths?: Record<string, { auth?: string }> };
  } catch {
    return undefined;
  }
}
const b64 = (c: Credentials) => Buffer.from(`${c.user}:${c.password}`).toString('base64');

describe('identity with real clients (auth.mode builtin)', { timeout: 1_800_000 }, () => {
  let server: BerthProcess;
  let meta: MetadataDb;
  let dir: ReturnType<typeof directoryServices>;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;
  let host: string;

  const ref = (name: string) => `docker://${host}/${name}`;
  /** A fresh client environment (no logins, no images) for one test. */
  async function freshClient(): Promise<ClientEnv> {
    return createClientEnv(host);
  }

  before(async () => {
    requireTools('skopeo', 'podman', 'buildah', 'docker', 'tar', 'busybox');
    server = await startBerth({ auth: 'builtin' as never, env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
    host = server.host;
    meta = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
    dir = directoryServices(meta.db);
    await dir.users.create(SYSTEM, DEV.user, DEV.password);
    await dir.users.create(SYSTEM, GUEST.user, GUEST.password);
    await dir.projects.create(SYSTEM, PROJECT, 'private');
    await dir.projects.setMember(SYSTEM, PROJECT, DEV.user, 'developer');
    await dir.projects.setMember(SYSTEM, PROJECT, GUEST.user, 'guest');

    client = await createClientEnv(host);
    const registry: TestRegistry = { kind: 'berth', url: server.url, host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    // The admin publishes an official image and a private one.
    await skopeo.copy(busybox.source, ref('library/busybox:1'), [], { creds: ADMIN });
    await skopeo.copy(busybox.source, ref(`${PROJECT}/app:1`), [], { creds: ADMIN });
  });

  after(async () => {
    await client?.cleanup();
    await meta?.close();
    if (server) {
      const code = await server.stop();
      if (code !== 0 && code !== null) console.error(`berth exited with ${code}:\n${server.logs()}`);
      if (process.env.E2E_SERVER_LOGS) console.log(server.logs());
    }
  });

  it('skopeo copies from a public project without credentials, and is refused on a private one', T, async () => {
    const out = await client.scratch('anon');
    await client.run('skopeo', ['copy', '--retry-times=0', '--src-tls-verify=false', ref('library/busybox:1'), `oci:${out}:busybox`]);
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, busybox.manifestDigest, 'the anonymous pull got the admin push');

    const priv = await client.exec('skopeo', ['copy', '--retry-times=0', '--src-tls-verify=false', ref(`${PROJECT}/app:1`), `oci:${await client.scratch('anon-priv')}:app`]);
    assert.notEqual(priv.code, 0, `an anonymous pull of a private image must fail:\n${priv.stdout}`);
    assert.match(priv.stderr, REFUSED);

    const push = await client.exec('skopeo', skopeo.copyArgs(busybox.source, ref('library/busybox:anon'), [], { creds: false }));
    assert.notEqual(push.code, 0, `an anonymous push must fail:\n${push.stdout}`);
    assert.match(push.stderr, REFUSED);
  });

  it('podman login, pull of a private image, podman logout, and then the pull fails', T, async () => {
    const c = await freshClient();
    try {
      const bad = await c.exec('podman', ['login', TLS, '-u', DEV.user, '--password-stdin', host], { input: 'not-the-password' });
      assert.notEqual(bad.code, 0, `podman login with a wrong password must fail:\n${bad.stdout}`);
      assert.match(bad.stderr, REFUSED);

      const good = await c.run('podman', ['login', TLS, '-u', DEV.user, '--password-stdin', host], { input: DEV.password });
      assert.match(good.stdout, /Login Succeeded/);
      assert.equal((await readJson(c.authFile))?.auths?.[host]?.auth, b64(DEV));

      await c.run('podman', ['pull', TLS, `${host}/${PROJECT}/app:1`]);
      await c.run('podman', ['rmi', `${host}/${PROJECT}/app:1`]);

      await c.run('podman', ['logout', host]);
      assert.equal((await readJson(c.authFile))?.auths?.[host], undefined, 'logout removed the entry');
      const after = await c.exec('podman', ['pull', TLS, `${host}/${PROJECT}/app:1`]);
      assert.notEqual(after.code, 0, `a private pull after logout must fail:\n${after.stdout}`);
      assert.match(after.stderr, REFUSED);
    } finally {
      await c.cleanup();
    }
  });

  it('skopeo login stores the credentials; inspect then works on a private image; logout forgets them', T, async () => {
    const c = await freshClient();
    try {
      const r = await c.run('skopeo', ['login', TLS, '-u', DEV.user, '--password-stdin', host], { input: DEV.password });
      assert.match(r.stdout, /Login Succeeded/);
      assert.equal((await readJson(c.authFile))?.auths?.[host]?.auth, b64(DEV));
      const info = await c.run('skopeo', ['inspect', TLS, '--raw', ref(`${PROJECT}/app:1`)]);
      assert.equal(JSON.parse(info.stdout).config.digest, busybox.configDigest);
      await c.run('skopeo', ['logout', host]);
      const again = await c.exec('skopeo', ['inspect', TLS, '--raw', ref(`${PROJECT}/app:1`)]);
      assert.notEqual(again.code, 0, `inspect after logout must fail:\n${again.stdout}`);
      assert.match(again.stderr, REFUSED);
    } finally {
      await c.cleanup();
    }
  });

  it('buildah login: a wrong password fails, the right one is stored and used', T, async () => {
    const c = await freshClient();
    try {
      const bad = await c.exec('buildah', ['login', TLS, '-u', DEV.user, '--password-stdin', host], { input: 'not-the-password' });
      assert.notEqual(bad.code, 0, `buildah login with a wrong password must fail:\n${bad.stdout}`);
      assert.match(bad.stderr, REFUSED);
      assert.equal((await readJson(c.authFile))?.auths?.[host], undefined);

      const good = await c.run('buildah', ['login', TLS, '-u', DEV.user, '--password-stdin', host], { input: DEV.password });
      assert.match(good.stdout, /Login Succeeded/);
      assert.equal((await readJson(c.authFile))?.auths?.[host]?.auth, b64(DEV));
      // buildah pushes with the stored login: a from-scratch image with one file.
      const ctr = (await c.run('buildah', ['from', 'scratch'])).stdout.trim();
      const file = join(await c.scratch('buildah-file'), 'hello.txt');
      await writeFile(file, 'hello from buildah\n');
      await c.run('buildah', ['copy', ctr, file, '/hello.txt']);
      await c.run('buildah', ['commit', ctr, `${host}/${PROJECT}/buildah:1`]);
      await c.run('buildah', ['push', TLS, `${host}/${PROJECT}/buildah:1`]);
      const tags = await c.run('skopeo', ['list-tags', TLS, '--creds', `${ADMIN.user}:${ADMIN.password}`, ref(`${PROJECT}/buildah`)]);
      assert.deepEqual(JSON.parse(tags.stdout).Tags, ['1']);
      await c.run('buildah', ['logout', host]);
      assert.equal((await readJson(c.authFile))?.auths?.[host], undefined);
    } finally {
      await c.cleanup();
    }
  });

  it('docker login and docker logout (no daemon) keep the credentials in DOCKER_CONFIG', T, async () => {
    const c = await freshClient();
    try {
      const config = join(c.dockerConfig, 'config.json');
      const bad = await c.exec('docker', ['login', '-u', DEV.user, '--password-stdin', host], { input: 'not-the-password' });
      assert.notEqual(bad.code, 0, `docker login with a wrong password must fail:\n${bad.stdout}`);
      assert.match(bad.stderr, REFUSED);

      const good = await c.run('docker', ['login', '-u', DEV.user, '--password-stdin', host], { input: DEV.password });
      assert.match(good.stdout + good.stderr, /Login Succeeded/);
      assert.equal((await readJson(config))?.auths?.[host]?.auth, b64(DEV), `DOCKER_CONFIG holds the login: ${await readFile(config, 'utf8').catch(() => '(none)')}`);
      // The docker CLI uses the login for a private manifest without a daemon.
      const inspect = await c.run('docker', ['manifest', 'inspect', '--insecure', `${host}/${PROJECT}/app:1`]);
      assert.equal(JSON.parse(inspect.stdout).config.digest, busybox.configDigest);

      await c.run('docker', ['logout', host]);
      assert.equal((await readJson(config))?.auths?.[host], undefined, 'logout removed the entry');
      const after = await c.exec('docker', ['manifest', 'inspect', '--insecure', `${host}/${PROJECT}/app:1`]);
      assert.notEqual(after.code, 0, `a private manifest after logout must fail:\n${after.stdout}`);
    } finally {
      await c.cleanup();
    }
  });

  it('a developer pushes; a guest is refused with "requested access to the resource is denied"', T, async () => {
    await skopeo.copy(busybox.source, ref(`${PROJECT}/app:dev`), [], { creds: DEV });
    const info = await skopeo.inspect(ref(`${PROJECT}/app:dev`), [], { creds: DEV });
    assert.equal(info.Digest, busybox.manifestDigest);

    // The guest may read...
    assert.equal((await skopeo.inspect(ref(`${PROJECT}/app:1`), [], { creds: GUEST })).Digest, busybox.manifestDigest);
    // ...but not write, with skopeo and with podman.
    const push = await client.exec('skopeo', skopeo.copyArgs(busybox.source, ref(`${PROJECT}/app:guest`), [], { creds: GUEST }));
    assert.notEqual(push.code, 0, `a guest push must fail:\n${push.stdout}`);
    assert.match(push.stderr, DENIED);

    const c = await freshClient();
    try {
      await c.run('podman', ['pull', TLS, '--creds', `${GUEST.user}:${GUEST.password}`, `${host}/${PROJECT}/app:1`]);
      await c.run('podman', ['tag', `${host}/${PROJECT}/app:1`, `${host}/${PROJECT}/app:guest`]);
      const pp = await c.exec('podman', ['push', TLS, '--creds', `${GUEST.user}:${GUEST.password}`, `${host}/${PROJECT}/app:guest`]);
      assert.notEqual(pp.code, 0, `a guest podman push must fail:\n${pp.stdout}`);
      assert.match(pp.stderr, DENIED);
    } finally {
      await c.cleanup();
    }
    const tags = await skopeo.listTags(ref(`${PROJECT}/app`), { creds: DEV });
    assert.ok(!tags.includes('guest'), `the guest pushed nothing: ${tags.join(', ')}`);
  });

  it('a robot with pull-only rights pulls and cannot push', T, async () => {
    const { robot, secret } = await dir.robots.create(SYSTEM, { name: 'reader', permissions: [{ project: PROJECT, actions: 'pull' }] });
    assert.equal(robot.name, `robot$${PROJECT}+reader`);
    const creds: Credentials = { user: robot.name, password: secret };
    const out = await client.scratch('robot-pull');
    await skopeo.copy(ref(`${PROJECT}/app:1`), `oci:${out}:app`, [], { creds });
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, busybox.manifestDigest);

    const push = await client.exec('skopeo', skopeo.copyArgs(busybox.source, ref(`${PROJECT}/app:robot`), [], { creds }));
    assert.notEqual(push.code, 0, `a pull-only robot's push must fail:\n${push.stdout}`);
    assert.match(push.stderr, DENIED);

    // podman login works for the robot too (the name has a "$" and a "+").
    const c = await freshClient();
    try {
      const login = await c.run('podman', ['login', TLS, '-u', robot.name, '--password-stdin', host], { input: secret });
      assert.match(login.stdout, /Login Succeeded/);
    } finally {
      await c.cleanup();
    }
  });

  it('an expired robot is refused', T, async () => {
    const { robot, secret } = await dir.robots.create(SYSTEM, { name: 'brief', permissions: [{ project: PROJECT, actions: 'pull,push' }], expiresIn: '2s' });
    // Before it expires, the robot works (checked over HTTP, which is quick).
    const early = await fetch(`${server.url}/v2/${PROJECT}/app/tags/list`, { headers: { authorization: `Basic ${Buffer.from(`${robot.name}:${secret}`).toString('base64')}` } });
    assert.equal(early.status, 200, `the robot works before it expires: ${await early.text()}`);
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(robot.expiresAt!) - Date.now() + 500)));

    const creds: Credentials = { user: robot.name, password: secret };
    const pull = await client.exec('skopeo', skopeo.inspectArgs(ref(`${PROJECT}/app:1`), ['--raw'], { creds }));
    assert.notEqual(pull.code, 0, `an expired robot's pull must fail:\n${pull.stdout}`);
    assert.match(pull.stderr, REFUSED);
    const c = await freshClient();
    try {
      const login = await c.exec('podman', ['login', TLS, '-u', robot.name, '--password-stdin', host], { input: secret });
      assert.notEqual(login.code, 0, `an expired robot's login must fail:\n${login.stdout}`);
      assert.match(login.stderr, REFUSED);
    } finally {
      await c.cleanup();
    }
  });

  it('a personal access token works as the password in podman login, within its rights', T, async () => {
    const { secret } = await dir.accessTokens.create(SYSTEM, DEV.user, { name: 'laptop', actions: 'pull' });
    assert.match(secret, /^bpat_\d+_/);
    const c = await freshClient();
    try {
      const login = await c.run('podman', ['login', TLS, '-u', DEV.user, '--password-stdin', host], { input: secret });
      assert.match(login.stdout, /Login Succeeded/);
      await c.run('podman', ['pull', TLS, `${host}/${PROJECT}/app:1`]);
      await c.run('podman', ['tag', `${host}/${PROJECT}/app:1`, `${host}/${PROJECT}/app:pat`]);
      const push = await c.exec('podman', ['push', TLS, `${host}/${PROJECT}/app:pat`]);
      assert.notEqual(push.code, 0, `a push with a pull-only token must fail:\n${push.stdout}`);
      assert.match(push.stderr, DENIED);
    } finally {
      await c.cleanup();
    }
  });

  it('the server logs hold none of the passwords or secrets', () => {
    const logs = server.logs();
    assert.ok(logs.includes('/auth/token'), 'the token endpoint was used and logged');
    for (const s of [ADMIN.password, DEV.password, GUEST.password, b64(DEV), b64(GUEST), b64(ADMIN)]) {
      assert.ok(!logs.includes(s), `the server log contains a password or a Basic credential (${s.slice(0, 4)}…)`);
    }
  });
});
