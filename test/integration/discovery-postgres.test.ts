// The repository page, pull counts, stars and sessions on PostgreSQL: the same SQL (the pull
// counter's CASE updates, the tags page's escaped LIKE and counts, the star transaction, the
// session join) must run on the scale-out dialect too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MediaType } from '../../src/core/mediatypes.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { ADMIN, ADMIN_PASSWORD, call, expectStatus } from './api-helpers.ts';
import { pushImageAs, pushIndexAs, putManifestAs } from './discovery-helpers.ts';

describe('discovery on PostgreSQL', () => {
  let db: TestDatabase;
  let server: BerthProcess;
  before(async () => {
    db = await createTestDatabase('berth_discovery');
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url } });
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('pull counts, the page, labels, stars, the tags view and a session', async () => {
    const amd = await pushImageAs(server, ADMIN, 'library/app', { tag: 'a_b' });
    const arm = await pushImageAs(server, ADMIN, 'library/app', { architecture: 'arm64', variant: 'v8' });
    await putManifestAs(server, ADMIN, 'library/app', 'axb', amd.manifest, amd.mediaType);
    const index = await pushIndexAs(server, ADMIN, 'library/app', 'latest', [
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    for (const tag of ['a_b', 'a_b', 'latest']) {
      const r = await fetch(`${server.url}/v2/library/app/manifests/${tag}`, { headers: { accept: `${MediaType.OciManifest}, ${MediaType.OciIndex}` } });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    const deadline = Date.now() + 5000;
    let d = expectStatus(await call(server, 'GET', '/repositories/library/app'), 200).body;
    while (d.pullCount < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      d = expectStatus(await call(server, 'GET', '/repositories/library/app'), 200).body;
    }
    assert.equal(d.pullCount, 3);
    assert.ok(d.lastPulledAt);
    assert.equal(d.tagCount, 3);
    assert.equal(d.pullCommand, `docker pull ${server.host}/library/app:latest`);
    const patched = expectStatus(await call(server, 'PATCH', '/repositories/library/app', { as: ADMIN, body: { description: 'hi', labels: ['web'] } }), 200).body;
    assert.deepEqual([patched.description, patched.labels], ['hi', ['web']]);
    assert.deepEqual(expectStatus(await call(server, 'PUT', '/repositories/library/app/star', { as: ADMIN }), 200).body, { starred: true, starCount: 1 });
    assert.deepEqual(expectStatus(await call(server, 'PUT', '/repositories/library/app/star', { as: ADMIN }), 200).body, { starred: true, starCount: 1 });
    const pulled = expectStatus(await call(server, 'GET', '/repositories/library/app/tags?sort=pulled'), 200).body;
    assert.equal(pulled.total, 3);
    assert.deepEqual(pulled.tags.map((t: { name: string; pullCount: number }) => [t.name, t.pullCount]), [['a_b', 2], ['latest', 1], ['axb', 0]]);
    const latest = pulled.tags[1];
    assert.equal(latest.digest, index.digest);
    assert.deepEqual(latest.platforms.map((p: { architecture: string; size: number }) => [p.architecture, p.size]), [['amd64', amd.size], ['arm64', arm.size]]);
    assert.deepEqual(pulled.tags[0].platforms.map((p: { os: string; architecture: string }) => `${p.os}/${p.architecture}`), ['linux/amd64']);
    assert.deepEqual(expectStatus(await call(server, 'GET', '/repositories/library/app/tags?q=A_B'), 200).body.tags.map((t: { name: string }) => t.name), ['a_b']);

    const signIn = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    assert.equal(signIn.status, 200);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { name: string }).name, 'admin');
    const starred = await fetch(`${server.url}/api/v1/repositories/library/app`, { headers: { cookie } });
    assert.equal(((await starred.json()) as { starred: boolean }).starred, true);
  });
});
