// Replication against real registries on loopback (issue 15, section 2): Berth -> Distribution
// 2.8.2 (Debian's docker-registry, htpasswd auth, no referrers API: the signature goes through the
// tag schema's sha256-<hex> index) and Distribution -> Berth, each with a multi-arch image and a
// signature referrer; a rerun copies nothing; the peer's password is stored sealed, never listed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Sqlite from 'better-sqlite3';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from './proxy-helpers.ts';
import { assertWhole, basic, getJson, headManifest, pushMultiArch, runRule, type MultiArch, type Registry } from './replication-helpers.ts';

const ADMIN_PASSWORD = 'replication-Admin-1';

describe('replication: Berth <-> Distribution 2.8', { timeout: 240_000 }, () => {
  let up: Upstream;
  let b: BerthProcess;
  let dist: Registry;
  let self: Registry;
  const env = { BERTH_PASSWORD: ADMIN_PASSWORD };
  const login = () => ['--url', b.url, '--user', 'admin'];

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

  describe('Berth -> Distribution', () => {
    let image: MultiArch;
    before(async () => {
      image = await pushMultiArch(self, 'library/app', 'v1');
      await pushMultiArch(self, 'library/app', 'dev');
      const made = await fetch(`${b.url}/api/v1/projects`, { method: 'POST', headers: { authorization: self.authorization!, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'other' }) });
      assert.equal(made.status, 201);
      await pushMultiArch(self, 'other/skipped', 'v1');
      ok(await berth(['replicate', 'add', 'to-dist', '--to', up.url, '--repos', 'library/*', '--tags', 'v*', '--username', UPSTREAM_USER, '--password-stdin', ...login()], { env, stdin: `${UPSTREAM_PASSWORD}\n` }));
    });

    it('copies the index, both platforms, their blobs and the signature, in an order Distribution accepts', async () => {
      const run = await runRule(b.url, 'to-dist', ADMIN_PASSWORD);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.equal(run.summary.failed, 0);
      // index + 2 platforms + the signature; the fallback index is not an artifact of its own.
      assert.equal(run.summary.copied, 4, JSON.stringify(run.results));
      assert.equal(run.summary.blobsCopied, image.blobs.length);
      await assertWhole(dist, 'library/app', 'v1', image);
      // Distribution has no referrers API: the signature is listed in the tag schema's index.
      const fallback = await getJson<{ manifests: { digest: string; artifactType?: string }[] }>(dist, `/v2/library/app/manifests/${image.index.replace(':', '-')}`);
      assert.equal(fallback.status, 200);
      assert.deepEqual(fallback.body.manifests.map((m) => [m.digest, m.artifactType]), [[image.signature, 'application/vnd.dev.cosign.artifact.sig.v1+json']]);
      // The filters: dev is not v*, other/skipped is not library/*.
      const tags = await getJson<{ tags: string[] }>(dist, '/v2/library/app/tags/list');
      assert.deepEqual(tags.body.tags.filter((t) => !t.startsWith('sha256-')), ['v1']);
      assert.equal((await getJson(dist, '/v2/other/skipped/tags/list')).status, 404);
      // Order: each manifest's blobs and children are copied before it.
      const order = run.results.map((r) => r.digest);
      for (const c of image.children) assert.ok(order.indexOf(c) < order.indexOf(image.index), 'platforms before the index');
      assert.ok(order.indexOf(image.index) < order.indexOf(image.signature), 'the signature after its subject');
    });

    it('a rerun copies nothing: every artifact is skipped after a HEAD', async () => {
      const run = await runRule(b.url, 'to-dist', ADMIN_PASSWORD);
      assert.equal(run.state, 'done');
      assert.equal(run.summary.copied, 0, JSON.stringify(run.results));
      assert.equal(run.summary.blobsCopied + run.summary.blobsMounted, 0);
      assert.ok(run.results.length >= 2 && run.results.every((r) => r.status === 'skipped'), JSON.stringify(run.results));
    });

    it('a rerun puts a lost entry of the tag schema index back (the signature itself is skipped)', async () => {
      const path = `/v2/library/app/manifests/${image.index.replace(':', '-')}`;
      const head = await fetch(`${dist.url}${path}`, { method: 'HEAD', headers: { authorization: dist.authorization!, accept: 'application/vnd.oci.image.index.v1+json' } });
      const del = await fetch(`${dist.url}/v2/library/app/manifests/${head.headers.get('docker-content-digest')}`, { method: 'DELETE', headers: { authorization: dist.authorization! } });
      assert.equal(del.status, 202);
      assert.equal((await getJson(dist, path)).status, 404);
      const run = await runRule(b.url, 'to-dist', ADMIN_PASSWORD);
      assert.equal(run.summary.copied, 0);
      const fallback = await getJson<{ manifests: { digest: string }[] }>(dist, path);
      assert.deepEqual(fallback.body.manifests.map((m) => m.digest), [image.signature]);
    });

    it('a new tag of the same image is one manifest PUT: the platforms and blobs are there already', async () => {
      const r = await fetch(`${b.url}/v2/library/app/manifests/v1.0`, { method: 'PUT', headers: { authorization: self.authorization!, 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: image.indexBody });
      assert.equal(r.status, 201);
      const run = await runRule(b.url, 'to-dist', ADMIN_PASSWORD);
      assert.equal(run.summary.blobsCopied, 0);
      assert.deepEqual(run.results.filter((x) => x.status === 'copied').map((x) => x.reference), ['v1.0']);
    });

    it('lists the rule without its password, which the database holds sealed', async () => {
      const list = JSON.parse(ok(await berth(['replicate', 'list', '--json', ...login()], { env })).stdout) as { name: string; username: string; hasPassword: boolean }[];
      assert.deepEqual(list.map((r) => [r.name, r.username, r.hasPassword]), [['to-dist', UPSTREAM_USER, true]]);
      assert.ok(!JSON.stringify(list).includes(UPSTREAM_PASSWORD));
      const db = new Sqlite(join(b.dataDir, 'berth.db'), { readonly: true });
      const row = db.prepare('select password_sealed from replication_rules where name = ?').get('to-dist') as { password_sealed: string };
      db.close();
      assert.ok(row.password_sealed && !row.password_sealed.includes(UPSTREAM_PASSWORD) && !Buffer.from(row.password_sealed, 'base64').toString('latin1').includes(UPSTREAM_PASSWORD));
      assert.ok(!readFileSync(join(b.dataDir, 'berth.db')).includes(Buffer.from(UPSTREAM_PASSWORD)), 'the password is nowhere in the database file');
    });

    it('history lists the runs, and one run shows its per-artifact results', async () => {
      const runs = JSON.parse(ok(await berth(['replicate', 'history', 'to-dist', '--json', ...login()], { env })).stdout) as { id: number; state: string; trigger: string }[];
      assert.equal(runs.length, 4);
      assert.ok(runs.every((r) => r.state === 'done' && r.trigger === 'manual'));
      const one = JSON.parse(ok(await berth(['replicate', 'history', 'to-dist', '--run', String(runs[3]!.id), '--json', ...login()], { env })).stdout) as { results: { kind: string; status: string }[] };
      assert.deepEqual(one.results.map((r) => `${r.kind}:${r.status}`).sort(), ['child:copied', 'child:copied', 'index:copied', 'referrer:copied']);
      const text = ok(await berth(['replicate', 'history', 'to-dist', ...login()], { env })).stdout;
      assert.match(text, /RUN\s+TRIGGER\s+STATE/);
    });
  });

  describe('deletions to Distribution (which deletes manifests by digest, not tags)', () => {
    it('a tag deleted in Berth is deleted there by its manifest, when no other tag keeps it', async () => {
      ok(await berth(['replicate', 'add', 'del', '--to', up.url, '--repos', 'library/gone', '--deletions', '--username', UPSTREAM_USER, '--password-stdin', ...login()], { env, stdin: `${UPSTREAM_PASSWORD}\n` }));
      const image = await pushMultiArch(self, 'library/gone', 'tmp');
      const copied = await runRule(b.url, 'del', ADMIN_PASSWORD);
      assert.equal(copied.summary.copied, 4);
      assert.equal(await headManifest(dist, 'library/gone', 'tmp'), image.index);
      const untag = await fetch(`${b.url}/v2/library/gone/manifests/tmp`, { method: 'DELETE', headers: { authorization: self.authorization! } });
      assert.equal(untag.status, 202);
      const run = await runRule(b.url, 'del', ADMIN_PASSWORD);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.deepEqual(run.results.filter((r) => r.kind === 'tag-delete').map((r) => [r.reference, r.status]), [['tmp', 'deleted']]);
      assert.equal(await headManifest(dist, 'library/gone', 'tmp'), undefined);
      ok(await berth(['replicate', 'remove', 'del', ...login()], { env }));
    });
  });

  describe('Distribution -> Berth', () => {
    let image: MultiArch;
    before(async () => {
      image = await pushMultiArch(dist, 'tools/builder', '2.0', { fallback: true });
      ok(await berth(['replicate', 'add', 'from-dist', '--from', up.url, '--repos', 'tools/**', '--tags', '/^\\d+\\.\\d+$/', '--username', UPSTREAM_USER, '--password-stdin', ...login()], { env, stdin: `${UPSTREAM_PASSWORD}\n` }));
    });

    it('pulls the index, its platforms and the signature (found through the tag schema) into Berth', async () => {
      const run = await runRule(b.url, 'from-dist', ADMIN_PASSWORD);
      assert.equal(run.state, 'done', JSON.stringify(run));
      assert.equal(run.summary.copied, 4, JSON.stringify(run.results));
      await assertWhole(self, 'tools/builder', '2.0', image);
      // Berth indexes the signature: its referrers API lists it.
      const referrers = await getJson<{ manifests: { digest: string; artifactType: string }[] }>(self, `/v2/tools/builder/referrers/${image.index}`, 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual(referrers.body.manifests.map((m) => m.digest), [image.signature]);
      // The fallback index tag itself is not copied as an image.
      const tags = await getJson<{ tags: string[] }>(self, '/v2/tools/builder/tags/list');
      assert.deepEqual(tags.body.tags, ['2.0']);
    });

    it('a rerun copies nothing', async () => {
      const run = await runRule(b.url, 'from-dist', ADMIN_PASSWORD);
      assert.equal(run.summary.copied, 0, JSON.stringify(run.results));
      assert.equal(run.summary.blobsCopied, 0);
      assert.ok(run.results.every((r) => r.status === 'skipped'));
    });
  });

  describe('refusals', () => {
    for (const [what, args, message] of [
      ['both directions', ['--to', 'http://127.0.0.1:9', '--from', 'http://127.0.0.1:9', '--repos', '**'], /exactly one of --to/],
      ['a bad cron', ['--to', 'http://127.0.0.1:9', '--repos', '**', '--schedule', '61 * * * *'], /--schedule: minute: 61 is out of range/],
      ['a bad regex', ['--to', 'http://127.0.0.1:9', '--repos', '**', '--tags', '/(/'], /not a regular expression/],
      ['credentials in the URL', ['--to', 'http://u:p@127.0.0.1:9', '--repos', '**'], /--username and --password-stdin/],
      ['on-push for a pull rule', ['--from', 'http://127.0.0.1:9', '--repos', '**', '--on-push'], /push rules/],
    ] as const) {
      it(`refuses ${what}`, async () => {
        const r = await berth(['replicate', 'add', 'bad', ...args, ...login()], { env });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, message);
      });
    }

    it('a run of a missing rule is a 404, an unreachable peer a failed run', async () => {
      const r = await berth(['replicate', 'run', 'nope', ...login()], { env });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no replication rule nope/);
      ok(await berth(['replicate', 'add', 'dead', '--to', 'http://127.0.0.1:9', '--repos', 'library/*', ...login()], { env }));
      const dead = await berth(['replicate', 'run', 'dead', '--json', ...login()], { env });
      assert.equal(dead.code, 1, dead.stderr);
      const run = JSON.parse(dead.stdout) as { state: string; error: string };
      assert.equal(run.state, 'failed');
      assert.match(run.error, /cannot reach the upstream 127\.0\.0\.1:9/);
      ok(await berth(['replicate', 'remove', 'dead', ...login()], { env }));
    });
  });
});
