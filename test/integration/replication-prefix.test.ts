// A destination prefix (Harbor's destination namespace, docs/replication.md): the first path
// component of each name is replaced on the target. Berth -> Distribution 2.8.2 (team/app ->
// mirror/app, team/tools/cli -> mirror/tools/cli) and Distribution -> Berth into a project of
// Berth's (vendor/lib -> imported/lib, solo -> imported/solo); a rerun copies nothing; a prefix
// that is no repository path is refused; PATCH changes a rule (and disables it) without touching
// its stored password.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from './proxy-helpers.ts';
import { assertWhole, basic, getJson, headManifest, pushMultiArch, runRule, type MultiArch, type Registry } from './replication-helpers.ts';

const ADMIN_PASSWORD = 'replication-Prefix-1';

describe('replication with a destination prefix: Berth <-> Distribution 2.8', { timeout: 240_000 }, () => {
  let up: Upstream;
  let b: BerthProcess;
  let dist: Registry;
  let self: Registry;
  const env = { BERTH_PASSWORD: ADMIN_PASSWORD };
  const login = () => ['--url', b.url, '--user', 'admin'];
  const api = (path: string, init: { method?: string; body?: unknown } = {}) => fetch(`${b.url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: self.authorization!, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

  before(async () => {
    up = await startUpstream();
    b = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    dist = { url: up.directUrl, authorization: up.authorization };
    self = { url: b.url, authorization: basic('admin', ADMIN_PASSWORD) };
  });
  after(async () => {
    await b?.stop();
    await up?.stop();
  });

  describe('push: team/** -> mirror/**', () => {
    let app: MultiArch;
    let cli: MultiArch;
    before(async () => {
      assert.equal((await api('/projects', { method: 'POST', body: { name: 'team' } })).status, 201);
      app = await pushMultiArch(self, 'team/app', 'v1');
      cli = await pushMultiArch(self, 'team/tools/cli', 'v2');
      ok(await berth(['replicate', 'add', 'pfx', '--to', up.url, '--repos', 'team/**', '--dest-prefix', 'mirror', '--username', UPSTREAM_USER, '--password-stdin', ...login()], { env, stdin: `${UPSTREAM_PASSWORD}\n` }));
    });

    it('lands each repository under the prefix, whole (platforms, blobs, signature), and nothing under the old name', async () => {
      const run = await runRule(b.url, 'pfx', ADMIN_PASSWORD);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.equal(run.summary.failed, 0);
      await assertWhole(dist, 'mirror/app', 'v1', app);
      await assertWhole(dist, 'mirror/tools/cli', 'v2', cli);
      assert.deepEqual([...new Set(run.results.map((r) => r.repository))].sort(), ['mirror/app', 'mirror/tools/cli']);
      assert.equal((await getJson(dist, '/v2/team/app/tags/list')).status, 404, 'nothing under team/ on the target');
      // Distribution has no referrers API: the signature is listed in the prefixed repository's tag schema index.
      const fallback = await getJson<{ manifests: { digest: string }[] }>(dist, `/v2/mirror/app/manifests/${app.index.replace(':', '-')}`);
      assert.deepEqual(fallback.body.manifests.map((m) => m.digest), [app.signature]);
    });

    it('a rerun copies nothing (the HEADs ask for the prefixed names)', async () => {
      const run = await runRule(b.url, 'pfx', ADMIN_PASSWORD);
      assert.equal(run.state, 'done');
      assert.equal(run.summary.copied, 0, JSON.stringify(run.results));
      assert.equal(run.summary.blobsCopied, 0);
    });

    it('the list shows the prefix, that the rule is enabled and its last run', async () => {
      const rules = await (await api('/replication/rules')).json() as { name: string; destPrefix: string | null; enabled: boolean; hasPassword: boolean; lastRun: { state: string; summary: { copied: number } } | null }[];
      const rule = rules.find((r) => r.name === 'pfx')!;
      assert.equal(rule.destPrefix, 'mirror');
      assert.equal(rule.enabled, true);
      assert.equal(rule.hasPassword, true);
      assert.equal(rule.lastRun?.state, 'done');
      assert.equal(rule.lastRun?.summary.copied, 0, 'the newest run is the rerun');
    });

    it('PATCH changes the prefix and disables the rule; the stored password stays and still works', async () => {
      const res = await api('/replication/rules/pfx', { method: 'PATCH', body: { destPrefix: 'mirror2', tags: 'v1', enabled: false } });
      assert.equal(res.status, 200, await res.clone().text());
      const rule = await res.json() as { destPrefix: string; tags: string; enabled: boolean; hasPassword: boolean; username: string };
      assert.deepEqual([rule.destPrefix, rule.tags, rule.enabled, rule.hasPassword, rule.username], ['mirror2', 'v1', false, true, UPSTREAM_USER]);
      // A disabled rule still runs by hand, with the password it kept.
      const run = await runRule(b.url, 'pfx', ADMIN_PASSWORD);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.equal(await headManifest(dist, 'mirror2/app', 'v1'), app.index);
      assert.equal(await headManifest(dist, 'mirror2/tools/cli', 'v2'), undefined, 'tags v1 only');
      const bad = await api('/replication/rules/pfx', { method: 'PATCH', body: { destPrefix: 'Mirror/' } });
      assert.equal(bad.status, 400, await bad.clone().text());
      assert.match(await bad.text(), /dest-prefix/);
    });
  });

  describe('pull: vendor/* and solo -> the Berth project imported', () => {
    let lib: MultiArch;
    let solo: MultiArch;
    before(async () => {
      lib = await pushMultiArch(dist, 'vendor/lib', '1.0', { fallback: true });
      solo = await pushMultiArch(dist, 'solo', '1.0', { fallback: true });
      ok(await berth(['replicate', 'add', 'in', '--from', up.url, '--repos', '{vendor/*,library/solo}', '--dest-prefix', 'imported', '--username', UPSTREAM_USER, '--password-stdin', ...login()], { env, stdin: `${UPSTREAM_PASSWORD}\n` }));
    });

    it('copies into the project named by the prefix, made for the purpose', async () => {
      const run = await runRule(b.url, 'in', ADMIN_PASSWORD);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.equal(run.summary.failed, 0);
      await assertWhole(self, 'imported/lib', '1.0', lib);
      await assertWhole(self, 'imported/solo', '1.0', solo);
      assert.equal((await api('/projects/imported')).status, 200, 'the project imported exists');
      assert.equal((await api('/projects/vendor')).status, 404, 'no project vendor was made');
      assert.equal(await headManifest(self, 'library/solo', '1.0'), undefined);
      // The signature is Berth's referrer of the image now.
      const refs = await getJson<{ manifests: { digest: string }[] }>(self, `/v2/imported/lib/referrers/${lib.index}`, 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual(refs.body.manifests.map((m) => m.digest), [lib.signature]);
    });
  });

  it('refuses a prefix that is not a repository path, naming the flag', async () => {
    for (const prefix of ['Upper', 'a//b', '/lead', 'trail/', 'sp ace']) {
      const r = await berth(['replicate', 'add', `bad-${Math.random().toString(36).slice(2, 8)}`, '--to', up.url, '--repos', '**', '--dest-prefix', prefix, ...login()], { env });
      assert.notEqual(r.code, 0, `${prefix} is refused`);
      assert.match(r.stderr + r.stdout, /dest-prefix/, r.stderr);
    }
  });
});
