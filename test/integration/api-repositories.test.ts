// /api/v1/repositories/{project}/{repository} over real HTTP (docs/discovery.md): the repository
// page per role, description and labels, stars, the tags view with platforms (a real multi-arch
// index and single-platform images), sort/filter/paging, retag, untag, manifest deletes, and
// nested names with %2F.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MediaType } from '../../src/core/mediatypes.ts';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { pushImageAs, pushIndexAs, putManifestAs, type Pushed } from './discovery-helpers.ts';

describe('api: repository pages', () => {
  let server: BerthProcess;
  let alice: Creds; // owner of acme (public) and secret (private)
  let mona: Creds; // maintainer of acme
  let dave: Creds; // developer of acme
  let gina: Creds; // guest of acme
  let eve: Creds; // no membership
  let app: { latest: Pushed; v1: Pushed };

  before(async () => {
    server = await startApiServer();
    [alice, mona, dave, gina, eve] = await Promise.all(['alice', 'mona', 'dave', 'gina', 'eve'].map((n) => addUser(server, n)));
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'acme', visibility: 'public' } }), 201);
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'secret', visibility: 'private' } }), 201);
    for (const [user, role] of [['mona', 'maintainer'], ['dave', 'developer'], ['gina', 'guest']] as const) {
      expectStatus(await call(server, 'PUT', `/projects/acme/members/${user}`, { as: alice, body: { role } }), 200);
    }
    const v1 = await pushImageAs(server, alice, 'acme/app', { tag: 'v1', architecture: 'arm', variant: 'v7' });
    const latest = await pushImageAs(server, alice, 'acme/app', { tag: 'latest' });
    app = { latest, v1 };
    await pushImageAs(server, alice, 'secret/app', { tag: 'latest' });
  });
  after(async () => { await server?.stop(); });

  it('GET: the detail with counts, badges, pull command, and each role\'s permissions', async () => {
    const d = expectStatus(await call(server, 'GET', '/repositories/acme/app'), 200).body;
    assert.equal(d.name, 'acme/app');
    assert.equal(d.project, 'acme');
    assert.equal(d.repository, 'app');
    assert.equal(d.tagCount, 2);
    assert.equal(d.visibility, 'public');
    assert.deepEqual(d.badges, { official: false, verifiedPublisher: false, sponsoredOss: false });
    assert.equal(d.pullCommand, `docker pull ${server.host}/acme/app:latest`);
    assert.equal(d.shortPullCommand, undefined);
    assert.equal(d.starred, false);
    assert.equal(d.pullCount, 0);
    assert.equal(d.lastPulledAt, null);
    assert.ok(d.lastPushedAt && Date.parse(d.lastPushedAt) <= Date.now());
    assert.ok(Date.parse(d.updatedAt) >= Date.parse(d.lastPushedAt));
    const expected: [Creds | undefined, string][] = [
      [undefined, '---'], [eve, '---'], [gina, '---'], [dave, 'p--'], [mona, 'pde'], [alice, 'pde'], [ADMIN, 'pde'],
    ];
    for (const [who, perms] of expected) {
      const p = expectStatus(await call(server, 'GET', '/repositories/acme/app', who ? { as: who } : {}), 200).body.permissions;
      assert.equal(`${p.push ? 'p' : '-'}${p.delete ? 'd' : '-'}${p.edit ? 'e' : '-'}`, perms, `permissions of ${who?.[0] ?? 'anonymous'}`);
    }
  });

  it('GET: library repositories are official and get the short pull command; the most recent tag when there is no latest', async () => {
    await pushImageAs(server, ADMIN, 'library/nginx', { tag: '1.0' });
    await pushImageAs(server, ADMIN, 'library/nginx', { tag: '1.1' });
    const d = expectStatus(await call(server, 'GET', '/repositories/library/nginx'), 200).body;
    assert.equal(d.badges.official, true);
    assert.equal(d.pullCommand, `docker pull ${server.host}/library/nginx:1.1`);
    assert.equal(d.shortPullCommand, `docker pull ${server.host}/nginx:1.1`);
    // Only admins push to library, so an owner elsewhere has no rights here.
    assert.deepEqual(expectStatus(await call(server, 'GET', '/repositories/library/nginx', { as: alice }), 200).body.permissions, { push: false, delete: false, edit: false });
  });

  it('GET: a private repository is 404 to outsiders and anonymous callers, as a missing one', async () => {
    expectStatus(await call(server, 'GET', '/repositories/secret/app', { as: alice }), 200);
    const hidden = expectStatus(await call(server, 'GET', '/repositories/secret/app'), 404, 'NOT_FOUND');
    const missing = expectStatus(await call(server, 'GET', '/repositories/acme/nothing'), 404, 'NOT_FOUND');
    assert.equal(hidden.body.errors[0].message.replace('secret/app', 'X'), missing.body.errors[0].message.replace('acme/nothing', 'X'));
    expectStatus(await call(server, 'GET', '/repositories/secret/app', { as: eve }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/repositories/secret/app/tags', { as: eve }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'PATCH', '/repositories/secret/app', { as: eve, body: { description: 'x' } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'PUT', '/repositories/secret/app/star', { as: eve }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'DELETE', '/repositories/secret/app/tags/latest', { as: eve }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/repositories/acme/Not%20Valid'), 404, 'NOT_FOUND');
  });

  it('PATCH: maintainers set the description and labels; developers and guests 403; anonymous 401; labels are validated', async () => {
    const d = expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: mona, body: { description: '# App\n\nIt *runs*.', labels: ['web', 'go', 'web', 'linux-amd64'] } }), 200).body;
    assert.equal(d.description, '# App\n\nIt *runs*.');
    assert.deepEqual(d.labels, ['web', 'go', 'linux-amd64']);
    expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: dave, body: { description: 'no' } }), 403, 'DENIED');
    expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: gina, body: { description: 'no' } }), 403, 'DENIED');
    expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: eve, body: { description: 'no' } }), 403, 'DENIED');
    expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { body: { description: 'no' } }), 401, 'UNAUTHORIZED');
    for (const labels of [['Web'], ['two words'], ['-x'], ['ok', ''], Array.from({ length: 21 }, (_, i) => `l${i}`), 'web', ['a'.repeat(33)]]) {
      expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: mona, body: { labels } }), 400, 'INVALID_REQUEST');
    }
    expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: mona, body: { description: 'x'.repeat(100 * 1024 + 1) } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: mona, body: { other: 1 } }), 400, 'INVALID_REQUEST');
    // Only labels: the description stays.
    const d2 = expectStatus(await call(server, 'PATCH', '/repositories/acme/app', { as: alice, body: { labels: [] } }), 200).body;
    assert.deepEqual(d2.labels, []);
    assert.equal(d2.description, '# App\n\nIt *runs*.');
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/acme/app'), 200).body.description, '# App\n\nIt *runs*.');
  });

  it('stars: idempotent, counted, shown as starred to the user only; anonymous 401', async () => {
    assert.deepEqual(expectStatus(await call(server, 'PUT', '/repositories/acme/app/star', { as: eve }), 200).body, { starred: true, starCount: 1 });
    assert.deepEqual(expectStatus(await call(server, 'PUT', '/repositories/acme/app/star', { as: eve }), 200).body, { starred: true, starCount: 1 });
    assert.deepEqual(expectStatus(await call(server, 'PUT', '/repositories/acme/app/star', { as: gina }), 200).body, { starred: true, starCount: 2 });
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/acme/app', { as: eve }), 200).body.starred, true);
    const anon = expectStatus(await call(server, 'GET', '/repositories/acme/app'), 200).body;
    assert.equal(anon.starred, false);
    assert.equal(anon.starCount, 2);
    assert.deepEqual(expectStatus(await call(server, 'DELETE', '/repositories/acme/app/star', { as: eve }), 200).body, { starred: false, starCount: 1 });
    assert.deepEqual(expectStatus(await call(server, 'DELETE', '/repositories/acme/app/star', { as: eve }), 200).body, { starred: false, starCount: 1 });
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/acme/app', { as: eve }), 200).body.starred, false);
    expectStatus(await call(server, 'PUT', '/repositories/acme/app/star'), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'PUT', '/repositories/acme/nothing/star', { as: eve }), 404, 'NOT_FOUND');
  });

  it('tags view: a multi-arch index shows each platform with its digest and size; a single image its config\'s platform', async () => {
    const amd = await pushImageAs(server, alice, 'acme/multi', { architecture: 'amd64', layerSize: 1500 });
    const arm = await pushImageAs(server, alice, 'acme/multi', { architecture: 'arm64', variant: 'v8', layerSize: 2500 });
    const index = await pushIndexAs(server, alice, 'acme/multi', 'latest', [
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    const page = expectStatus(await call(server, 'GET', '/repositories/acme/multi/tags'), 200).body;
    assert.equal(page.total, 1);
    const t = page.tags[0];
    assert.equal(t.name, 'latest');
    assert.equal(t.digest, index.digest);
    assert.equal(t.mediaType, MediaType.OciIndex);
    assert.deepEqual(t.platforms, [
      { os: 'linux', architecture: 'amd64', digest: amd.digest, size: amd.size, mediaType: MediaType.OciManifest },
      { os: 'linux', architecture: 'arm64', variant: 'v8', digest: arm.digest, size: arm.size, mediaType: MediaType.OciManifest },
    ]);
    assert.equal(t.size, amd.size + arm.size);
    assert.equal(t.pullCount, 0);
    assert.ok(Date.parse(t.pushedAt) > 0);

    const single = expectStatus(await call(server, 'GET', '/repositories/acme/app/tags?sort=name'), 200).body.tags;
    assert.deepEqual(single.map((x: { name: string }) => x.name), ['latest', 'v1']);
    assert.deepEqual(single[0].platforms, [{ os: 'linux', architecture: 'amd64', digest: app.latest.digest, size: app.latest.size, mediaType: MediaType.OciManifest }]);
    assert.deepEqual(single[1].platforms, [{ os: 'linux', architecture: 'arm', variant: 'v7', digest: app.v1.digest, size: app.v1.size, mediaType: MediaType.OciManifest }]);
    assert.equal(single[1].size, app.v1.size);
  });

  it('tags view: an artifact has no platforms and shows its artifactType', async () => {
    const empty = Buffer.from('{}');
    const { pushBlob } = await import('./discovery-helpers.ts');
    await pushBlob(server, alice, 'acme/app', empty);
    const { digestOf } = await import('../../src/core/digest.ts');
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: 'application/vnd.example.sbom',
      config: { mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: 2 },
      layers: [{ mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: 2 }],
    }));
    await putManifestAs(server, alice, 'acme/app', 'sbom', manifest, MediaType.OciManifest);
    const t = expectStatus(await call(server, 'GET', '/repositories/acme/app/tags?q=sbom'), 200).body.tags[0];
    assert.equal(t.artifactType, 'application/vnd.example.sbom');
    assert.deepEqual(t.platforms, []);
    expectStatus(await call(server, 'DELETE', '/repositories/acme/app/tags/sbom', { as: mona }), 204);
  });

  it('tags view: filter, sort by name, pushed and pulled, order and pages', async () => {
    const img = await pushImageAs(server, alice, 'acme/many');
    const names = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, '0')}`).concat(['a_b', 'axb']);
    for (const n of names) await putManifestAs(server, alice, 'acme/many', n, img.manifest, img.mediaType);
    const get = async (qs: string) => expectStatus(await call(server, 'GET', `/repositories/acme/many/tags?${qs}`), 200).body;
    const tagNames = (b: { tags: { name: string }[] }) => b.tags.map((t) => t.name);
    const p2 = await get('sort=name&n=10&page=2&q=t');
    assert.equal(p2.total, 30);
    assert.equal(p2.page, 2);
    assert.equal(p2.n, 10);
    assert.deepEqual(tagNames(p2), names.slice(10, 20));
    assert.deepEqual(tagNames(await get('sort=name&n=3&page=11&q=t')), []);
    const t1 = await get('q=T1&sort=name');
    assert.equal(t1.total, 10);
    assert.deepEqual(tagNames(await get('q=a_b')), ['a_b'], '"_" is not a wildcard');
    assert.deepEqual(tagNames(await get('q=%25')), []);
    // Default: most recently pushed first.
    assert.deepEqual(tagNames(await get('n=2')), ['axb', 'a_b']);
    assert.deepEqual(tagNames(await get('sort=pushed&order=asc&n=2')), ['t00', 't01']);
    assert.deepEqual(tagNames(await get('sort=name&order=desc&n=1')), ['t29']);
    for (const [tag, times] of [['t05', 3], ['t07', 1]] as const) {
      for (let i = 0; i < times; i++) {
        const r = await fetch(`${server.url}/v2/acme/many/manifests/${tag}`, { headers: { accept: MediaType.OciManifest } });
        assert.equal(r.status, 200);
        await r.arrayBuffer();
      }
    }
    const deadline = Date.now() + 5000;
    let pulled = await get('sort=pulled&n=3');
    while (pulled.tags[0].pullCount !== 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      pulled = await get('sort=pulled&n=3');
    }
    assert.deepEqual(pulled.tags.slice(0, 2).map((t: { name: string; pullCount: number }) => [t.name, t.pullCount]), [['t05', 3], ['t07', 1]]);
    assert.ok(pulled.tags[0].lastPulledAt);
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/acme/many'), 200).body.pullCount, 4);
    for (const bad of ['n=0', 'n=101', 'page=0', 'sort=size', 'order=up']) {
      expectStatus(await call(server, 'GET', `/repositories/acme/many/tags?${bad}`), 400, 'INVALID_REQUEST');
    }
  });

  it('tags view at 5,000 tags: pages come from SQL in order, the total counts every match', async () => {
    // Speed lives in the benchmark (issue 3), not in timed tests: this checks that deep pages,
    // sorts and filters are right at this size, which is what paging in SQL has to get right.
    const img = await pushImageAs(server, alice, 'acme/huge', { tag: 'latest' });
    const { openMetadata } = await import('../../src/metadata/db.ts');
    const { join } = await import('node:path');
    const m = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
    try {
      const repo = await m.db.selectFrom('repositories').select('id').where('name', '=', 'acme/huge').executeTakeFirstOrThrow();
      const now = Date.now();
      const rows = Array.from({ length: 5000 }, (_, i) => ({ repository_id: repo.id, name: `v${i}`, digest: img.digest, updated_at: now + 60_000 + i }));
      for (let i = 0; i < rows.length; i += 500) await m.db.insertInto('tags').values(rows.slice(i, i + 500)).execute();
    } finally {
      await m.close();
    }
    const names = ['latest', ...Array.from({ length: 5000 }, (_, i) => `v${i}`)];
    const byName = [...names].sort();
    const page = async (qs: string) => expectStatus(await call(server, 'GET', `/repositories/acme/huge/tags?${qs}`), 200).body;

    const newest = await page('');
    assert.equal(newest.total, 5001);
    assert.deepEqual(newest.tags.map((t: { name: string }) => t.name), Array.from({ length: 25 }, (_, i) => `v${4999 - i}`));
    const deep = await page('sort=name&page=100');
    assert.deepEqual(deep.tags.map((t: { name: string }) => t.name), byName.slice(99 * 25, 100 * 25));
    const filtered = await page('sort=pulled&q=9');
    assert.equal(filtered.total, names.filter((n) => n.includes('9')).length);
    const oldest = await page('page=201');
    assert.deepEqual(oldest.tags.map((t: { name: string }) => t.name), ['latest']);
    assert.equal(oldest.tags[0].platforms.length, 1);
  });

  it('retag: pushers tag an existing manifest (a push event, as for a client); guests and outsiders 403; unknown sources 404', async () => {
    const t = expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { as: dave, body: { name: 'stable', from: 'v1' } }), 201).body;
    assert.equal(t.name, 'stable');
    assert.equal(t.digest, app.v1.digest);
    assert.equal(t.platforms[0].architecture, 'arm');
    const byDigest = expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { as: dave, body: { name: 'pinned', from: app.latest.digest } }), 201).body;
    assert.equal(byDigest.digest, app.latest.digest);
    const r = await fetch(`${server.url}/v2/acme/app/manifests/stable`, { method: 'HEAD', headers: { accept: MediaType.OciManifest } });
    assert.equal(r.headers.get('docker-content-digest'), app.v1.digest);
    expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { as: gina, body: { name: 'x', from: 'v1' } }), 403, 'DENIED');
    expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { as: eve, body: { name: 'x', from: 'v1' } }), 403, 'DENIED');
    expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { body: { name: 'x', from: 'v1' } }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { as: dave, body: { name: 'x', from: 'nope' } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { as: dave, body: { name: 'x', from: `sha256:${'0'.repeat(64)}` } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'POST', '/repositories/acme/app/tags', { as: dave, body: { name: '-bad', from: 'v1' } }), 400, 'INVALID_REQUEST');
    // The audit log (fed by the registry's events) names the push of the new tag.
    const deadline = Date.now() + 3000;
    let entries: { action: string; actor: string; reference: string }[] = [];
    while (Date.now() < deadline) {
      entries = expectStatus(await call(server, 'GET', '/audit?project=acme&action=push', { as: ADMIN }), 200).body.entries;
      if (entries.some((e) => e.reference === `stable@${app.v1.digest}`)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(entries.some((e) => e.reference === `stable@${app.v1.digest}` && e.actor === 'dave'), JSON.stringify(entries.slice(0, 5)));
  });

  it('untag: maintainers remove a tag and the manifest stays; developers 403; a missing tag 404', async () => {
    await putManifestAs(server, alice, 'acme/app', 'gone', app.latest.manifest, app.latest.mediaType);
    expectStatus(await call(server, 'DELETE', '/repositories/acme/app/tags/gone', { as: dave }), 403, 'DENIED');
    expectStatus(await call(server, 'DELETE', '/repositories/acme/app/tags/gone', { as: mona }), 204);
    expectStatus(await call(server, 'DELETE', '/repositories/acme/app/tags/gone', { as: mona }), 404, 'NOT_FOUND');
    const tags = await (await fetch(`${server.url}/v2/acme/app/tags/list`)).json() as { tags: string[] };
    assert.ok(!tags.tags.includes('gone'));
    const r = await fetch(`${server.url}/v2/acme/app/manifests/${app.latest.digest}`, { headers: { accept: MediaType.OciManifest } });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  });

  it('delete manifest: by digest, with every tag on it; developers 403; a tag instead of a digest 400', async () => {
    const img = await pushImageAs(server, alice, 'acme/app', { tag: 'doomed' });
    await putManifestAs(server, alice, 'acme/app', 'doomed2', img.manifest, img.mediaType);
    expectStatus(await call(server, 'DELETE', `/repositories/acme/app/manifests/${img.digest}`, { as: dave }), 403, 'DENIED');
    expectStatus(await call(server, 'DELETE', '/repositories/acme/app/manifests/doomed', { as: mona }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'DELETE', `/repositories/acme/app/manifests/${img.digest}`, { as: mona }), 204);
    expectStatus(await call(server, 'DELETE', `/repositories/acme/app/manifests/${img.digest}`, { as: mona }), 404, 'NOT_FOUND');
    const r = await fetch(`${server.url}/v2/acme/app/manifests/${img.digest}`, { headers: { accept: MediaType.OciManifest, authorization: basic(alice) } });
    assert.equal(r.status, 404);
    await r.arrayBuffer();
    const names = expectStatus(await call(server, 'GET', '/repositories/acme/app/tags?q=doomed'), 200).body;
    assert.equal(names.total, 0);
  });

  it('nested names: acme/team%2Fapp addresses acme/team/app', async () => {
    await pushImageAs(server, alice, 'acme/team/app', { tag: 'latest' });
    const d = expectStatus(await call(server, 'GET', '/repositories/acme/team%2Fapp'), 200).body;
    assert.equal(d.name, 'acme/team/app');
    assert.equal(d.repository, 'team/app');
    assert.equal(d.pullCommand, `docker pull ${server.host}/acme/team/app:latest`);
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/acme/team%2fapp/tags'), 200).body.total, 1);
    expectStatus(await call(server, 'PUT', '/repositories/acme/team%2Fapp/star', { as: eve }), 200);
    expectStatus(await call(server, 'GET', '/repositories/acme/team/app'), 404, 'NOT_FOUND');
  });
});
