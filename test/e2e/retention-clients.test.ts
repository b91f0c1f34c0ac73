// Retention and rollback as real clients see them (issue 13, sections 2 and 5): images pushed
// with skopeo (a single-platform busybox and a two-platform index) into a real `berth serve`;
// `berth retention run --dry-run --json` plans what `berth retention run` then deletes, after
// which skopeo lists only the kept tags and no longer finds the deleted one, while every platform
// of the kept index (pushed by digest, untagged) still copies; `berth tag rollback` moves latest
// back, and podman pulls the image it pointed at before.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
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

describe('retention and rollback with skopeo and podman', { timeout: 1_200_000 }, () => {
  let server: BerthProcess;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let busybox: ImageFixture;
  let multi: IndexFixture;
  let dir: string;
  const ref = (name: string) => `docker://${server.host}/${name}`;
  const as = { env: { BERTH_PASSWORD: ALICE.password } };
  const remote = () => ['--url', server.url, '--user', ALICE.user];

  async function api(who: Credentials, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: basic(who), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  async function digestOf(repo: string, tag: string): Promise<string> {
    const res = await fetch(`${server.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { authorization: basic(ALICE), accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
    assert.equal(res.status, 200, `${repo}:${tag}`);
    return res.headers.get('docker-content-digest')!;
  }

  before(async () => {
    requireTools('skopeo', 'podman', 'tar', 'busybox');
    dir = mkdtempSync(join(tmpdir(), 'berth-e2e-retention-'));
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
    assert.equal((await api(ADMIN, 'POST', '/users', { name: ALICE.user, password: ALICE.password })).status, 201);
    assert.equal((await api(ALICE, 'POST', '/projects', { name: 'keep' })).status, 201);
    client = await createClientEnv(server.host);
    const registry: TestRegistry = { kind: 'berth', url: server.url, host: server.host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(client, registry);
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));
    multi = await buildMultiArchLayout(await client.scratch('multi'));
  });
  after(async () => {
    await client?.cleanup();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('skopeo pushes; a dry run plans what the run deletes; skopeo then sees only the kept tags, and the kept index whole', T, async () => {
    await skopeo.copy(busybox.source, ref('keep/app:old'), [], { creds: ALICE });
    await skopeo.copy(busybox.source, ref('keep/app:latest'), [], { creds: ALICE });
    await skopeo.copy(multi.source, ref('keep/app:multi'), ['--all'], { creds: ALICE });
    await skopeo.copy(multi.source, ref('keep/app:latest'), ['--all'], { creds: ALICE }); // latest moves to the index
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, 'untagged: true\nrules:\n  - tagsMatching: "{latest,multi}"\n');
    ok(await berth(['retention', 'set', 'keep', '--file', rules, ...remote()], as));

    const plan = JSON.parse(ok(await berth(['retention', 'run', 'keep', '--dry-run', '--json', ...remote()], as)).stdout);
    const app = plan.repositories.find((r: { repository: string }) => r.repository === 'keep/app');
    assert.deepEqual(app.deleteTags.map((t: { tag: string }) => t.tag), ['old']);
    assert.deepEqual(app.deleteManifests, [], 'untagged: the platforms of the kept index stay');
    assert.deepEqual((await skopeo.listTags(ref('keep/app'), { creds: ALICE })).sort(), ['latest', 'multi', 'old']);

    const result = JSON.parse(ok(await berth(['retention', 'run', 'keep', '--json', ...remote()], as)).stdout);
    assert.deepEqual(result.repositories.find((r: { repository: string }) => r.repository === 'keep/app').deleteTags, app.deleteTags);
    assert.deepEqual((await skopeo.listTags(ref('keep/app'), { creds: ALICE })).sort(), ['latest', 'multi']);
    const gone = await client.exec('skopeo', skopeo.inspectArgs(ref('keep/app:old'), ['--raw'], { creds: ALICE }));
    assert.notEqual(gone.code, 0, 'the deleted tag is gone');
    assert.match(gone.stderr, /manifest unknown/i);
    // The index and both of its platforms copy out whole.
    const out = await client.scratch('out');
    await skopeo.copy(ref('keep/app:multi'), `oci:${out}:multi`, ['--all'], { creds: ALICE });
    const raw = await skopeo.inspectRaw(ref('keep/app:multi'), [], { creds: ALICE });
    assert.equal(raw.digest, multi.indexDigest);

    // Nothing is left to do.
    const again = JSON.parse(ok(await berth(['retention', 'run', 'keep', '--dry-run', '--json', ...remote()], as)).stdout);
    assert.equal(again.text, 'would delete 0 tags, 0 B');
  });

  it('berth tag rollback moves latest back; podman pulls the image it pointed at before', T, async () => {
    const history = JSON.parse(ok(await berth(['tag', 'history', `${server.host}/keep/app:latest`, '--json', ...remote()], as)).stdout);
    assert.deepEqual(history.entries.map((e: { action: string; to: string }) => [e.action, e.to]), [['moved', multi.indexDigest], ['created', busybox.manifestDigest]]);
    const back = ok(await berth(['tag', 'rollback', 'keep/app:latest', ...remote()], as));
    assert.equal(back.stdout.trim(), `keep/app:latest moved back to ${busybox.manifestDigest} (from ${multi.indexDigest}), 1 move back`);
    assert.equal(await digestOf('keep/app', 'latest'), busybox.manifestDigest);

    const c = await createClientEnv(server.host);
    try {
      await c.run('podman', ['pull', TLS, '--creds', `${ALICE.user}:${ALICE.password}`, `${server.host}/keep/app:latest`]);
      const inspected = JSON.parse((await c.run('podman', ['image', 'inspect', `${server.host}/keep/app:latest`])).stdout) as { Digest: string }[];
      assert.equal(inspected[0]!.Digest, busybox.manifestDigest, 'podman pulled the rolled-back image');
    } finally {
      await c.cleanup();
    }
    // And forward again with --to (a short digest).
    ok(await berth(['tag', 'rollback', 'keep/app:latest', '--to', multi.indexDigest.slice(0, 19), ...remote()], as));
    const raw = await skopeo.inspectRaw(ref('keep/app:latest'), [], { creds: ALICE });
    assert.equal(raw.digest, multi.indexDigest);
  });
});
