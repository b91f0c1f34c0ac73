// Cross-repository mounts with a real client under token auth (auth.mode builtin): `skopeo login`
// and then `skopeo copy` between two repositories of the same registry. skopeo (containers/image)
// remembers where it read each layer and asks the target to mount it from there, with a token for
// repository:SRC:pull beside the target's scope. The server must then mount (201 on the POST with
// ?mount=) instead of taking a fresh upload: the metrics count no blob upload for the copy and
// the audit log holds a mount event per layer. (containers/image asks /auth/token for the
// source's pull scope itself, so this passes with a challenge that names the target only; the
// challenge's scopes are tested in test/integration/mount-token.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import type { Credentials, TestRegistry } from './helpers/registry.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const ADMIN: Credentials = { user: 'admin', password: 'e2e-Admin-pa55word' };
const basic = (c: Credentials) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;

/** berth_http_requests_total by "route method status", from the metrics listener. */
async function requestCounts(server: BerthProcess): Promise<Map<string, number>> {
  const text = await (await fetch(server.metricsUrl)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^berth_http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out.set(`${labels.route} ${labels.method} ${labels.status}`, Number(m[2]));
  }
  return out;
}
const delta = (before: Map<string, number>, after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

describe('cross-repository mount with skopeo and token auth', { timeout: 900_000 }, () => {
  let server: BerthProcess;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;

  before(async () => {
    requireTools('skopeo', 'tar', 'busybox');
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
    client = await createClientEnv(server.host);
    const registry: TestRegistry = { kind: 'berth', url: server.url, host: server.host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    for (const project of ['mounta', 'mountb']) {
      const res = await fetch(`${server.url}/api/v1/projects`, { method: 'POST', headers: { authorization: basic(ADMIN), 'content-type': 'application/json' }, body: JSON.stringify({ name: project, visibility: 'private' }) });
      assert.equal(res.status, 201, await res.text());
    }
  });

  after(async () => {
    await client?.cleanup();
    const code = await server?.stop();
    if (code !== 0 && code !== null) console.error(server.logs());
  });

  it('skopeo login, then copy between two repositories: each layer is mounted, not uploaded', T, async () => {
    await client.run('skopeo', ['login', '--tls-verify=false', '-u', ADMIN.user, '--password-stdin', server.host], { input: ADMIN.password });
    const src = `docker://${server.host}/mounta/app:1`;
    const dst = `docker://${server.host}/mountb/app:1`;
    await client.run('skopeo', ['copy', '--retry-times=0', '--dest-tls-verify=false', busybox.source, src]);

    const before = await requestCounts(server);
    // One process reads the source and writes the target, so its blob-info cache knows where
    // each blob lives and asks for a mount.
    const copy = await client.run('skopeo', ['copy', '--retry-times=0', '--debug', '--src-tls-verify=false', '--dest-tls-verify=false', src, dst]);
    const after = await requestCounts(server);
    // containers/image mounts layers; a config blob it always uploads (it never asks to reuse one).
    const layers = busybox.manifest.layers.length;
    const counts = `counts after: ${JSON.stringify([...after])}\n${copy.stderr.slice(-3000)}`;
    assert.equal(delta(before, after, 'upload_start_post POST 201'), layers, `one 201 mount per layer (${layers}); ${counts}`);
    assert.equal(delta(before, after, 'upload_put PUT 201'), 1, `only the config was uploaded; ${counts}`);
    assert.equal(delta(before, after, 'upload_start_post POST 202'), 1, `one upload session, the config's; ${counts}`);
    assert.equal(delta(before, after, 'upload_start_post POST 401'), 0, `the token skopeo asked for allowed the mount; ${counts}`);
    assert.match(copy.stderr, /mount OK/, 'skopeo reports the mount');

    // The audit log is written in batches (every 500 ms): wait for the entries.
    let mounts: { action: string; repository: string | null; detail: string | null }[] = [];
    let body = '';
    for (let i = 0; i < 50 && mounts.length < layers; i++) {
      if (i) await new Promise((r) => setTimeout(r, 200));
      const audit = await fetch(`${server.url}/api/v1/audit?action=mount&limit=100`, { headers: { authorization: basic(ADMIN) } });
      body = await audit.text();
      assert.equal(audit.status, 200, body);
      mounts = (JSON.parse(body) as { entries: typeof mounts }).entries.filter((e) => e.action === 'mount' && e.repository === 'mountb/app');
    }
    assert.ok(mounts.every((m) => JSON.parse(m.detail ?? '{}').from === 'mounta/app'), `mounted from mounta/app: ${body}`);
    assert.equal(mounts.length, layers, `audit mount events: ${body.slice(0, 2000)}`);

    const a = await skopeo.inspectRaw(src);
    const b = await skopeo.inspectRaw(dst);
    assert.equal(b.digest, a.digest, 'the copy is the same manifest');
    // The copy pulls back whole from the target.
    await client.run('skopeo', ['copy', '--retry-times=0', '--src-tls-verify=false', dst, `oci:${await client.scratch('back')}:x`]);
  });
});
