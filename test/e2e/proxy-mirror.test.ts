// Transparent mirror mode (issue 15): with proxy.mirror: hub (BERTH_PROXY_MIRROR=hub), a pull of an unprefixed name
// that Berth does not hold (/v2/library/busybox/..., what docker's registry-mirrors and podman's
// [[registry.mirror]] ask for) is answered by the proxy project hub. Podman is configured through
// registries.conf to use Berth as the mirror of a registry that does not exist, so only the
// mirror can answer.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from '../integration/proxy-helpers.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 180_000 };
const ADMIN_PASSWORD = 'proxy-mirror-Admin-1';

describe('proxy projects: transparent mirror mode', { timeout: 600_000 }, () => {
  let up: Upstream;
  let b: BerthProcess;
  let client: ClientEnv;
  let busybox: ImageFixture;

  before(async () => {
    requireTools('skopeo', 'podman', 'tar', 'busybox', 'docker-registry', 'htpasswd');
    up = await startUpstream();
    b = await startBerth({ auth: 'builtin', config: { proxy: { mirror: 'hub' } }, env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    client = await createClientEnv(b.host);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    await client.run('skopeo', ['copy', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', `${UPSTREAM_USER}:${UPSTREAM_PASSWORD}`, busybox.source, `docker://${new URL(up.directUrl).host}/library/busybox:1`]);
    await client.run('skopeo', ['copy', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', `${UPSTREAM_USER}:${UPSTREAM_PASSWORD}`, busybox.source, `docker://${new URL(up.directUrl).host}/library/busybox:mirror`]);
    const env = { BERTH_PASSWORD: ADMIN_PASSWORD };
    ok(await berth(['proxy', 'create', 'hub', '--upstream', up.url, '--username', UPSTREAM_USER, '--password-stdin', '--url', b.url, '--user', 'admin'], { stdin: `${UPSTREAM_PASSWORD}\n`, env }));
    // Mirrors are pulled from anonymously: the mirror project is public.
    ok(await berth(['project', 'update', 'hub', '--public', '--url', b.url, '--user', 'admin'], { env }));
  });

  after(async () => {
    await client?.cleanup();
    await b?.stop();
    await up?.stop();
  });

  it('an unprefixed name is answered by the mirror project; local content still comes first', T, async () => {
    const m = await fetch(`${b.url}/v2/library/busybox/manifests/1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(m.status, 200, await m.clone().text());
    assert.equal(m.headers.get('docker-content-digest'), busybox.manifestDigest);
    // It was cached in hub, not in library.
    assert.equal((await fetch(`${b.url}/v2/hub/library/busybox/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).status, 200);
    // A pusher's blob HEAD is not mirrored (it would skip an upload the push then lacks).
    assert.equal((await fetch(`${b.url}/v2/library/busybox/blobs/${busybox.configDigest}`, { method: 'HEAD' })).status, 404);
    // Local content comes first: an image pushed to library is served from library.
    const auth = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    assert.equal((await fetch(`${b.url}/v2/library/busybox/blobs/uploads/?digest=${configDigest}`, { method: 'POST', headers: auth, body: config })).status, 201);
    const mine = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers: [] });
    assert.equal((await fetch(`${b.url}/v2/library/busybox/manifests/1`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: mine })).status, 201);
    const local = await fetch(`${b.url}/v2/library/busybox/manifests/1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(await local.text(), mine);
    // Something upstream does not have is an ordinary 404.
    assert.equal((await fetch(`${b.url}/v2/library/nothing/manifests/1`)).status, 404);
  });

  it('podman pulls docker.io/library/busybox through Berth as its registries.conf mirror', T, async () => {
    await writeFile(client.registriesConf, [
      'unqualified-search-registries = []',
      '',
      '[[registry]]',
      'prefix = "docker.io"',
      // Nothing listens there: only the mirror can answer.
      'location = "127.0.0.1:9"',
      '',
      '[[registry.mirror]]',
      `location = ${JSON.stringify(b.host)}`,
      'insecure = true',
      '',
    ].join('\n'));
    await client.run('podman', ['pull', 'docker.io/library/busybox:mirror']);
    const local = JSON.parse((await client.run('podman', ['image', 'inspect', 'docker.io/library/busybox:mirror'])).stdout) as { Digest: string }[];
    assert.equal(local[0]!.Digest, busybox.manifestDigest);
  });
});
