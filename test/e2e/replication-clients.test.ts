// Replication seen by a real client (issue 15): a multi-arch image pushed into Berth with skopeo is
// replicated to Distribution 2.8.2 (htpasswd auth), and skopeo, reading Distribution directly,
// finds the same index, each platform, and copies the whole image back out with --all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from '../integration/proxy-helpers.ts';
import { runRule } from '../integration/replication-helpers.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildMultiArchLayout, layoutRef, type IndexFixture } from './helpers/fixtures.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 180_000 };
const ADMIN_PASSWORD = 'replication-e2e-Admin-1';

describe('replication: skopeo inspects the replicated image on Distribution', { timeout: 400_000 }, () => {
  let up: Upstream;
  let b: BerthProcess;
  let client: ClientEnv;
  let multi: IndexFixture;
  let distHost = '';
  const upCreds = `${UPSTREAM_USER}:${UPSTREAM_PASSWORD}`;

  before(async () => {
    requireTools('skopeo', 'docker-registry', 'htpasswd', 'tar', 'busybox');
    up = await startUpstream();
    distHost = new URL(up.directUrl).host;
    b = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    client = await createClientEnv(b.host);
    multi = await buildMultiArchLayout(await client.scratch('multi'));
    await client.run('skopeo', ['copy', '--all', '--retry-times=0', '--dest-tls-verify=false', '--dest-creds', `admin:${ADMIN_PASSWORD}`, multi.source, `docker://${b.host}/library/multi:1`]);
    ok(await berth(['replicate', 'add', 'to-dist', '--to', up.url, '--repos', 'library/**', '--username', UPSTREAM_USER, '--password-stdin', '--url', b.url, '--user', 'admin'], { stdin: `${UPSTREAM_PASSWORD}\n`, env: { BERTH_PASSWORD: ADMIN_PASSWORD } }));
    const run = await runRule(b.url, 'to-dist', ADMIN_PASSWORD);
    assert.equal(run.state, 'done', JSON.stringify(run));
  });

  after(async () => {
    await client?.cleanup();
    await b?.stop();
    await up?.stop();
  });

  it('skopeo inspect --raw on Distribution shows the same index', T, async () => {
    const raw = (await client.run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', upCreds, `docker://${distHost}/library/multi:1`])).stdout;
    const index = JSON.parse(raw) as { manifests: { digest: string; platform: { architecture: string } }[] };
    assert.equal(index.manifests.length, multi.images.length);
    const digest = JSON.parse((await client.run('skopeo', ['inspect', '--tls-verify=false', '--creds', upCreds, `docker://${distHost}/library/multi:1`])).stdout) as { Digest: string };
    assert.equal(digest.Digest, multi.indexDigest);
  });

  it('each platform inspects on Distribution, with its architecture', T, async () => {
    for (const img of multi.images) {
      const info = JSON.parse((await client.run('skopeo', ['inspect', '--tls-verify=false', '--creds', upCreds, '--override-arch', img.platform.architecture, '--override-os', img.platform.os, `docker://${distHost}/library/multi:1`])).stdout) as { Architecture: string; Digest: string };
      assert.equal(info.Architecture, img.platform.architecture);
      // skopeo names the digest of what the tag points at (the index); the platform by its own digest:
      assert.equal(info.Digest, multi.indexDigest);
      const raw = (await client.run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', upCreds, `docker://${distHost}/library/multi@${img.manifestDigest}`])).stdout;
      assert.deepEqual(JSON.parse(raw), img.manifest);
    }
  });

  it('skopeo copies the whole image back out of Distribution', T, async () => {
    const out = await client.scratch('back');
    await client.run('skopeo', ['copy', '--all', '--retry-times=0', '--src-tls-verify=false', '--src-creds', upCreds, `docker://${distHost}/library/multi:1`, `oci:${out}:back`]);
    assert.equal((await layoutRef(out, 'back')).digest, multi.indexDigest);
  });
});
