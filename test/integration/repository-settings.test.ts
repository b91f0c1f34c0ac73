// Repository settings through the API (issue 17, section 3): a short description separate from the
// README (at most 100 characters, one line), searchable on SQLite and PostgreSQL; and deleting a
// repository: every tag and manifest through the registry (untag and delete audit entries as for
// a client's deletes, immutability rules respected before anything goes), then the row, so it is
// gone from the catalog, /v2 and the API, and GC frees its bytes. Only maintainers, owners and
// administrators edit or delete (403 for developers and guests); unknown or hidden is 404.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { storedDigests } from '../helpers/gc-checks.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { layerOf, pushIndex, pushLayers } from './scan-helpers.ts';

interface Entry { actor: string; action: string; project: string | null; repository: string | null; reference: string | null; address: string | null; detail: string | null }

const SHORT = 'A tiny web server for static sites, built from scratch.';

async function waitJob(server: BerthProcess, id: number): Promise<{ state: string; result: { blobs: number } }> {
  for (let i = 0; i < 300; i++) {
    const job = expectStatus(await call(server, 'GET', `/jobs/${id}`, { as: ADMIN }), 200).body as { state: string; result: { blobs: number } };
    if (job.state === 'done' || job.state === 'failed') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

/** The names search finds for `q` (as the caller). */
async function found(server: BerthProcess, q: string, as?: Creds): Promise<string[]> {
  const body = expectStatus(await call(server, 'GET', `/search?q=${encodeURIComponent(q)}`, as ? { as } : {}), 200).body as { results: { name: string; shortDescription: string }[] };
  return body.results.map((r) => r.name);
}

describe('repository settings: the short description and deleting a repository', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let owner: Creds;
  let maintainer: Creds;
  let developer: Creds;
  let guest: Creds;
  let outsider: Creds;

  before(async () => {
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_GC_REVIEW_DELAY_SECONDS: '1', BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_GC_INTERVAL_SECONDS: '3600', BERTH_SCAN_ENABLED: 'false' },
    });
    owner = await addUser(server, 'olga');
    maintainer = await addUser(server, 'max');
    developer = await addUser(server, 'dev');
    guest = await addUser(server, 'gus');
    outsider = await addUser(server, 'otto');
    expectStatus(await call(server, 'POST', '/projects', { as: owner, body: { name: 'web', visibility: 'private' } }), 201);
    for (const [who, role] of [[maintainer, 'maintainer'], [developer, 'developer'], [guest, 'guest']] as const) {
      expectStatus(await call(server, 'PUT', `/projects/web/members/${who[0]}`, { as: owner, body: { role } }), 200);
    }
  });
  after(async () => {
    await server?.stop();
  });

  async function entries(query: string): Promise<Entry[]> {
    return (expectStatus(await call(server, 'GET', `/audit?limit=1000${query}`, { as: ADMIN }), 200).body as { entries: Entry[] }).entries;
  }
  /** Waits (bounded) for audit entries matching `match`; registry events are written in batches. */
  async function audited(query: string, match: (e: Entry) => boolean, atLeast = 1): Promise<Entry[]> {
    let hits: Entry[] = [];
    for (let i = 0; i < 60; i++) {
      hits = (await entries(query)).filter(match);
      if (hits.length >= atLeast) return hits;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`expected ${atLeast} audit entries for ${query}, found ${hits.length}`);
  }

  it('keeps the short description apart from the README, in the page, in search, and in the audit log', async () => {
    await pushLayers(server, owner, 'web/site', 'latest', [layerOf({ 'index.html': 'hello' })]);
    const readme = '# web/site\n\nThe long story, in **markdown**.\n\n```sh\ndocker run web/site\n```\n';
    const patched = expectStatus(await call(server, 'PATCH', '/repositories/web/site', { as: maintainer, body: { shortDescription: `  ${SHORT}  `, description: readme } }), 200).body;
    assert.equal(patched.shortDescription, SHORT, 'stored trimmed');
    assert.equal(patched.description, readme);
    const page = expectStatus(await call(server, 'GET', '/repositories/web/site', { as: guest }), 200).body;
    assert.deepEqual([page.shortDescription, page.description], [SHORT, readme]);
    // Changing one leaves the other.
    const relabelled = expectStatus(await call(server, 'PATCH', '/repositories/web/site', { as: owner, body: { labels: ['static'] } }), 200).body;
    assert.deepEqual([relabelled.shortDescription, relabelled.description, relabelled.labels], [SHORT, readme, ['static']]);
    const readmeOnly = expectStatus(await call(server, 'PATCH', '/repositories/web/site', { as: owner, body: { description: 'Only the README.' } }), 200).body;
    assert.equal(readmeOnly.shortDescription, SHORT);

    // A word found only in the short description finds the repository; the summary carries it.
    assert.deepEqual(await found(server, 'scratch', guest), ['web/site']);
    const hit = expectStatus(await call(server, 'GET', '/search?q=scratch', { as: guest }), 200).body.results[0];
    assert.equal(hit.shortDescription, SHORT);
    assert.deepEqual(await found(server, 'scratch', outsider), [], 'not for those who may not read it');
    // An update re-indexes: the old words go.
    expectStatus(await call(server, 'PATCH', '/repositories/web/site', { as: owner, body: { shortDescription: 'Serves pages quickly.' } }), 200);
    assert.deepEqual(await found(server, 'scratch', guest), []);
    assert.deepEqual(await found(server, 'quickly', guest), ['web/site']);
    // docker search prints the short description.
    const v1 = await fetch(`${server.url}/v1/search?q=quickly`, { headers: { authorization: basic(guest) } });
    assert.equal(v1.status, 200);
    assert.equal(((await v1.json()) as { results: { description: string }[] }).results[0]?.description, 'Serves pages quickly.');

    const updates = await audited('&action=repository.update', (e) => e.repository === 'web/site');
    assert.ok(updates.some((e) => e.actor === 'max' && e.project === 'web' && /127\.0\.0\.1/.test(e.address ?? '') && JSON.parse(e.detail!).changed.includes('shortDescription')), JSON.stringify(updates));
  });

  it('refuses a short description over 100 characters or over one line, and accepts exactly 100', async () => {
    await pushLayers(server, owner, 'web/limits', 'latest', [layerOf({ 'a.txt': 'a' })]);
    const hundred = 'é'.repeat(100);
    assert.equal(expectStatus(await call(server, 'PATCH', '/repositories/web/limits', { as: owner, body: { shortDescription: hundred } }), 200).body.shortDescription, hundred);
    const long = expectStatus(await call(server, 'PATCH', '/repositories/web/limits', { as: owner, body: { shortDescription: 'x'.repeat(101) } }), 400);
    assert.match(long.text, /100 characters/);
    expectStatus(await call(server, 'PATCH', '/repositories/web/limits', { as: owner, body: { shortDescription: 'two\nlines' } }), 400);
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/web/limits', { as: owner }), 200).body.shortDescription, hundred, 'a refusal changes nothing');
  });

  it('lets only maintainers, owners and administrators edit or delete; 404 for unknown and hidden', async () => {
    await pushLayers(server, owner, 'web/guarded', 'latest', [layerOf({ 'a.txt': 'g' })]);
    for (const who of [developer, guest]) {
      expectStatus(await call(server, 'PATCH', '/repositories/web/guarded', { as: who, body: { shortDescription: 'mine' } }), 403, 'DENIED');
      expectStatus(await call(server, 'DELETE', '/repositories/web/guarded', { as: who }), 403, 'DENIED');
      const perms = expectStatus(await call(server, 'GET', '/repositories/web/guarded', { as: who }), 200).body.permissions;
      assert.equal(perms.edit, false, `${who[0]} is not offered the settings`);
    }
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/web/guarded', { as: maintainer }), 200).body.permissions.edit, true);
    // Those who may not read it, and names that do not exist, get the same 404.
    const hidden = expectStatus(await call(server, 'DELETE', '/repositories/web/guarded', { as: outsider }), 404, 'NOT_FOUND');
    const unknown = expectStatus(await call(server, 'DELETE', '/repositories/web/nothing-here', { as: owner }), 404, 'NOT_FOUND');
    assert.equal(hidden.body.errors[0].message.replace('guarded', 'X'), unknown.body.errors[0].message.replace('nothing-here', 'X'));
    expectStatus(await call(server, 'DELETE', '/repositories/web/guarded'), 401);
    // Still there, untouched.
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/web/guarded/tags', { as: owner }), 200).body.total, 1);
  });

  it('deletes a repository: every tag and manifest through the registry, then the row; GC frees the bytes', async () => {
    const amd = await pushLayers(server, maintainer, 'web/app', 'amd', [layerOf({ 'amd.txt': randomBytes(3000) })]);
    const arm = await pushLayers(server, maintainer, 'web/app', 'arm', [layerOf({ 'arm.txt': randomBytes(3000) })], { os: 'linux', architecture: 'arm64' });
    const index = await pushIndex(server, maintainer, 'web/app', 'latest', [{ image: amd, os: 'linux', architecture: 'amd64' }, { image: arm, os: 'linux', architecture: 'arm64' }]);
    await pushLayers(server, maintainer, 'web/app', 'v1', [layerOf({ 'v1.txt': randomBytes(3000) })]);
    // A repository beside it shares nothing and stays.
    const other = await pushLayers(server, maintainer, 'web/other', 'latest', [layerOf({ 'other.txt': randomBytes(3000) })]);
    const gone = [amd.digest, arm.digest, index, ...amd.layers, ...arm.layers];
    const before = await storedDigests(server.dataDir);
    for (const d of gone) assert.ok(before.has(d), `${d} is stored`);

    // An immutable tag stops the delete before anything goes.
    const rule = expectStatus(await call(server, 'POST', '/projects/web/immutable-rules', { as: owner, body: { repos: 'app', tags: 'v*' } }), 201).body as { id: number };
    const refused = expectStatus(await call(server, 'DELETE', '/repositories/web/app', { as: maintainer }), 409, 'TAG_IMMUTABLE');
    assert.match(refused.body.errors[0].message, /v1/);
    assert.equal(expectStatus(await call(server, 'GET', '/repositories/web/app/tags', { as: owner }), 200).body.total, 4, 'no tag went');
    expectStatus(await call(server, 'DELETE', `/projects/web/immutable-rules/${rule.id}`, { as: owner }), 204);

    const res = await call(server, 'DELETE', '/repositories/web/app', { as: maintainer });
    assert.equal(res.status, 204, res.text);

    // Gone from the API, the catalog, /v2 and search.
    expectStatus(await call(server, 'GET', '/repositories/web/app', { as: owner }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/repositories/web/app/tags', { as: owner }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'DELETE', '/repositories/web/app', { as: owner }), 404, 'NOT_FOUND');
    const catalog = await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: basic(ADMIN) } });
    const names = ((await catalog.json()) as { repositories: string[] }).repositories;
    assert.ok(!names.includes('web/app') && names.includes('web/other'), JSON.stringify(names));
    const tags = await fetch(`${server.url}/v2/web/app/tags/list`, { headers: { authorization: basic(owner) } });
    assert.equal(tags.status, 404, await tags.text());
    const manifest = await fetch(`${server.url}/v2/web/app/manifests/${amd.digest}`, { method: 'HEAD', headers: { authorization: basic(owner), accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(manifest.status, 404);
    const projectRepos = expectStatus(await call(server, 'GET', '/projects/web/repositories', { as: owner }), 200).body as { repositories: { name: string }[] };
    assert.ok(!projectRepos.repositories.some((r) => r.name === 'web/app'));
    assert.deepEqual(await found(server, 'app', owner), []);

    // Audited as a client's deletes are (each manifest, each tag), and the repository itself.
    const deletes = await audited('&action=delete', (e) => e.repository === 'web/app' && e.actor === 'max', 4);
    assert.deepEqual(new Set(deletes.map((e) => e.reference)), new Set([amd.digest, arm.digest, index, deletes.find((e) => JSON.parse(e.detail ?? '{}').tags?.includes('v1'))?.reference]));
    const untags = await audited('&action=untag', (e) => e.repository === 'web/app', 4);
    assert.deepEqual(untags.map((e) => e.reference!.split('@')[0]).sort(), ['amd', 'arm', 'latest', 'v1']);
    const [entry] = await audited('&action=repository.delete', (e) => e.repository === 'web/app');
    assert.equal(entry!.actor, 'max');
    assert.equal(entry!.project, 'web');
    assert.match(entry!.address ?? '', /127\.0\.0\.1/);
    assert.deepEqual(JSON.parse(entry!.detail!), { manifests: 4, tags: 4 });

    // A push under the name starts a new, empty repository.
    await pushLayers(server, maintainer, 'web/app', 'fresh', [layerOf({ 'fresh.txt': 'new' })]);
    const again = expectStatus(await call(server, 'GET', '/repositories/web/app', { as: owner }), 200).body;
    assert.deepEqual([again.tagCount, again.shortDescription], [1, '']);

    // GC frees what only the deleted repository held; the other repository keeps its own.
    await new Promise((r) => setTimeout(r, 3000));
    const run = expectStatus(await call(server, 'POST', '/gc/runs', { as: ADMIN, body: {} }), 201).body as { job: number };
    assert.equal((await waitJob(server, run.job)).state, 'done');
    const after = await storedDigests(server.dataDir);
    for (const d of gone) assert.ok(!after.has(d), `${d} is freed`);
    for (const d of [other.digest, ...other.layers]) assert.ok(after.has(d), `${d} of web/other stays`);
  });
});

describe('the short description on PostgreSQL', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let server: BerthProcess;
  before(async () => {
    db = await createTestDatabase('berth_short_desc');
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url, BERTH_SCAN_ENABLED: 'false' } });
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('round-trips, is searched (and re-indexed), and the repository deletes', async () => {
    await pushLayers(server, ADMIN, 'library/pgsite', 'latest', [layerOf({ 'a.txt': 'pg' })]);
    const patched = expectStatus(await call(server, 'PATCH', '/repositories/library/pgsite', { as: ADMIN, body: { shortDescription: SHORT, description: '# README\n\nunrelated words' } }), 200).body;
    assert.equal(patched.shortDescription, SHORT);
    assert.deepEqual(await found(server, 'scratch'), ['library/pgsite']);
    assert.deepEqual(await found(server, 'unrelated'), ['library/pgsite'], 'the README is still searched');
    expectStatus(await call(server, 'PATCH', '/repositories/library/pgsite', { as: ADMIN, body: { shortDescription: 'Serves pages quickly.' } }), 200);
    assert.deepEqual(await found(server, 'scratch'), []);
    assert.deepEqual(await found(server, 'quickly'), ['library/pgsite']);
    expectStatus(await call(server, 'PATCH', '/repositories/library/pgsite', { as: ADMIN, body: { shortDescription: 'y'.repeat(101) } }), 400);

    expectStatus(await call(server, 'DELETE', '/repositories/library/pgsite', { as: ADMIN }), 204);
    expectStatus(await call(server, 'GET', '/repositories/library/pgsite'), 404, 'NOT_FOUND');
    assert.deepEqual(await found(server, 'quickly'), []);
  });
});
