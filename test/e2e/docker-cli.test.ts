// The docker CLI with no daemon, against a registry with htpasswd auth: login, logout and
// `docker manifest inspect --insecure`, which talk to the registry directly (clients.md).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, buildMultiArchLayout, MediaTypes, type ImageFixture, type IndexFixture } from './helpers/fixtures.ts';
import { startRegistry, type Credentials, type TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { run } from './helpers/run.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 180_000 };

describe('docker CLI (no daemon)', { timeout: 900_000 }, () => {
  let registry: TestRegistry;
  let client: ClientEnv;
  let creds: Credentials;
  let busybox: ImageFixture;
  let multi: IndexFixture;

  const dockerAuth = async (): Promise<string | undefined> => {
    let text: string;
    try {
      text = await readFile(join(client.dockerConfig, 'config.json'), 'utf8');
    } catch {
      return undefined;
    }
    return (JSON.parse(text) as { auths?: Record<string, { auth?: string }> }).auths?.[registry.host]?.auth;
  };

  before(async () => {
    requireTools('docker', 'skopeo', 'htpasswd', 'tar', 'busybox');
    const version = (await run('docker', ['--version'])).stdout.trim();
    const major = Number(/^Docker version (\d+)\./.exec(version)?.[1]);
    if (!(major >= 23)) {
      throw new Error(
        `${version} cannot read OCI manifests with \`docker manifest inspect\` (added in CLI 23.0, docker/cli#3990; ` +
          `Debian bookworm's docker.io is 20.10). Put a docker CLI >= 23 on PATH (no daemon needed).`,
      );
    }
    registry = await startRegistry({ auth: 'htpasswd' });
    creds = registry.credentials!;
    client = await createClientEnv(registry.host);
    const skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    multi = await buildMultiArchLayout(await client.scratch('multi'));
    await skopeo.copy(busybox.source, skopeo.ref('docker/busybox:1'));
    await skopeo.copy(multi.source, skopeo.ref('docker/multi:1'), ['--all']);
  });

  after(async () => {
    await client?.cleanup();
    await registry?.stop();
  });

  it('login with a wrong password fails and stores nothing', T, async () => {
    const r = await client.exec('docker', ['login', registry.host, '-u', creds.user, '--password-stdin'], {
      input: 'wrong-password',
    });
    assert.notEqual(r.code, 0, `docker login with a wrong password must fail:\n${r.stdout}`);
    assert.match(r.stderr, /unauthorized|401|incorrect username or password/i);
    assert.equal(await dockerAuth(), undefined);
  });

  it('login with the right password stores it', T, async () => {
    const r = await client.run('docker', ['login', registry.host, '-u', creds.user, '--password-stdin'], {
      input: creds.password,
    });
    assert.match(r.stdout, /Login Succeeded/);
    assert.equal(await dockerAuth(), Buffer.from(`${creds.user}:${creds.password}`).toString('base64'));
  });

  it('manifest inspect --insecure shows an image manifest', T, async () => {
    const ref = `${registry.host}/docker/busybox:1`;
    const m = JSON.parse((await client.run('docker', ['manifest', 'inspect', '--insecure', ref])).stdout) as {
      mediaType: string;
      config: { digest: string };
      layers: { digest: string }[];
    };
    assert.equal(m.mediaType, MediaTypes.ociManifest);
    assert.equal(m.config.digest, busybox.configDigest);
    assert.deepEqual(m.layers.map((l) => l.digest), busybox.layerDigests);

    const verbose = JSON.parse((await client.run('docker', ['manifest', 'inspect', '--insecure', '-v', ref])).stdout) as {
      Descriptor: { digest: string; mediaType: string; platform?: { architecture: string } };
    };
    assert.equal(verbose.Descriptor.digest, busybox.manifestDigest, 'the digest the registry reported');
    assert.equal(verbose.Descriptor.mediaType, MediaTypes.ociManifest);
  });

  it('manifest inspect --insecure shows the two-platform index', T, async () => {
    const ref = `${registry.host}/docker/multi:1`;
    const index = JSON.parse((await client.run('docker', ['manifest', 'inspect', '--insecure', ref])).stdout) as {
      mediaType: string;
      manifests: { digest: string; platform: { os: string; architecture: string } }[];
    };
    assert.equal(index.mediaType, MediaTypes.ociIndex);
    assert.deepEqual(
      index.manifests.map((m) => [`${m.platform.os}/${m.platform.architecture}`, m.digest]),
      multi.images.map((i) => [`${i.platform.os}/${i.platform.architecture}`, i.manifestDigest]),
    );

    const verbose = JSON.parse((await client.run('docker', ['manifest', 'inspect', '--insecure', '-v', ref])).stdout) as {
      Descriptor: { digest: string; platform: { architecture: string } };
    }[];
    assert.deepEqual(
      verbose.map((v) => [v.Descriptor.platform.architecture, v.Descriptor.digest]),
      multi.images.map((i) => [i.platform.architecture, i.manifestDigest]),
    );
  });

  it('logout forgets the login, and manifest inspect is refused again', T, async () => {
    await client.run('docker', ['logout', registry.host]);
    assert.equal(await dockerAuth(), undefined);
    const r = await client.exec('docker', ['manifest', 'inspect', '--insecure', `${registry.host}/docker/busybox:1`]);
    assert.notEqual(r.code, 0, `an anonymous manifest inspect must fail:\n${r.stdout}`);
    assert.match(r.stderr, /unauthorized|401|authentication required|no basic auth credentials/i);
  });
});
