// Proxy projects with real clients (issue 15): skopeo, podman and the docker CLI's manifest commands pull through a Berth proxy
// project whose upstream is Distribution 2.8.2 with htpasswd auth; with the upstream killed, what
// was cached still pulls.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from '../integration/proxy-helpers.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, buildMultiArchLayout, layoutRef, type ImageFixture, type IndexFixture } from './helpers/fixtures.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 180_000 };
const ADMIN_PASSWORD = 'proxy-e2e-Admin-1';
const CREDS = `admin:${ADMIN_PASSWORD}`;

describe('proxy projects: skopeo, podman and docker manifest pull through Berth from Distribution', { timeout: 600_000 }, () => {
  let up: Upstream;
  let b: BerthProcess;
  let client: ClientEnv;
  let busybox: ImageFixture;
  let multi: IndexFixture;

  before(async () => {
    requireTools('skopeo', 'podman', 'docker', 'tar', 'busybox', 'docker-registry', 'htpasswd');
    up = await startUpstream();
    b = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    client = await createClientEnv(b.host);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    multi = await buildMultiArchLayout(await client.scratch('multi'));
    const upstreamHost = new URL(up.directUrl).host;
    const upCreds = `${UPSTREAM_USER}:${UPSTREAM_PASSWORD}`;
    await client.run('skopeo', ['copy', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', upCreds, busybox.source, `docker://${upstreamHost}/library/busybox:1`]);
    await client.run('skopeo', ['copy', '--all', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', upCreds, multi.source, `docker://${upstreamHost}/library/multi:1`]);
    ok(await berth(['proxy', 'create', 'hub', '--upstream', up.url, '--username', UPSTREAM_USER, '--password-stdin', '--url', b.url, '--user', 'admin'], { stdin: `${UPSTREAM_PASSWORD}\n`, env: { BERTH_PASSWORD: ADMIN_PASSWORD } }));
  });

  after(async () => {
    await client?.cleanup();
    await b?.stop();
    await up?.stop();
  });

  const pullWithSkopeo = async (ref: string, name: string, extra: string[] = []) => {
    const out = await client.scratch(name);
    await client.run('skopeo', ['copy', '--retry-times=0', '--src-tls-verify=false', '--src-creds', CREDS, ...extra, `docker://${b.host}/${ref}`, `oci:${out}:pulled`]);
    return layoutRef(out, 'pulled');
  };

  it('skopeo copies an image through the proxy', T, async () => {
    assert.equal((await pullWithSkopeo('hub/library/busybox:1', 'skopeo-1')).digest, busybox.manifestDigest);
  });

  it('skopeo copies a multi-arch index and all its platforms through the proxy', T, async () => {
    assert.equal((await pullWithSkopeo('hub/library/multi:1', 'skopeo-multi', ['--all'])).digest, multi.indexDigest);
  });

  it('podman pulls an image through the proxy', T, async () => {
    await client.run('podman', ['pull', '--tls-verify=false', '--creds', CREDS, `${b.host}/hub/library/busybox:1`]);
    const local = JSON.parse((await client.run('podman', ['image', 'inspect', `${b.host}/hub/library/busybox:1`])).stdout) as { Digest: string }[];
    assert.equal(local[0]!.Digest, busybox.manifestDigest);
  });

  it("the docker CLI's manifest inspect reads an image and a multi-arch index through the proxy", T, async () => {
    const login = await client.run('docker', ['login', b.host, '-u', 'admin', '--password-stdin'], { input: ADMIN_PASSWORD });
    assert.match(login.stdout, /Login Succeeded/);
    const m = JSON.parse((await client.run('docker', ['manifest', 'inspect', '--insecure', `${b.host}/hub/library/busybox:1`])).stdout) as { config: { digest: string }; layers: { digest: string }[] };
    assert.equal(m.config.digest, busybox.configDigest);
    assert.deepEqual(m.layers.map((l) => l.digest), busybox.layerDigests);
    // A tag never pulled before: docker fetches it through the proxy on the spot.
    const upstreamHost = new URL(up.directUrl).host;
    await client.run('skopeo', ['copy', '--all', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', `${UPSTREAM_USER}:${UPSTREAM_PASSWORD}`, multi.source, `docker://${upstreamHost}/library/multi:docker`]);
    const index = JSON.parse((await client.run('docker', ['manifest', 'inspect', '--insecure', `${b.host}/hub/library/multi:docker`])).stdout) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((x) => x.digest), multi.index.manifests.map((x) => x.digest));
    const verbose = JSON.parse((await client.run('docker', ['manifest', 'inspect', '--insecure', '-v', `${b.host}/hub/library/busybox:1`])).stdout) as { Descriptor: { digest: string } };
    assert.equal(verbose.Descriptor.digest, busybox.manifestDigest);
  });

  it('with the upstream dead, cached images still pull with skopeo and podman', T, async () => {
    await up.kill();
    assert.equal((await pullWithSkopeo('hub/library/busybox:1', 'skopeo-down')).digest, busybox.manifestDigest);
    await client.run('podman', ['rmi', '-f', `${b.host}/hub/library/busybox:1`]);
    await client.run('podman', ['pull', '--tls-verify=false', '--creds', CREDS, `${b.host}/hub/library/busybox:1`]);
    const local = JSON.parse((await client.run('podman', ['image', 'inspect', `${b.host}/hub/library/busybox:1`])).stdout) as { Digest: string }[];
    assert.equal(local[0]!.Digest, busybox.manifestDigest);
    // An image never pulled before cannot be: the client reports the failure.
    const never = await client.exec('skopeo', ['inspect', '--tls-verify=false', '--creds', CREDS, `docker://${b.host}/hub/library/never:1`]);
    assert.notEqual(never.code, 0);
  });
});
