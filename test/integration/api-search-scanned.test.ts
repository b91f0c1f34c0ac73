// GET /api/v1/search?scanned=true|false on SQLite, over real HTTP: a repository counts as scanned
// when one of its tags names an image with a scan report, or an index one of whose platform
// manifests has one (through manifest_refs). A scanned manifest that no tag names does not count,
// and a project that turns scan on push off keeps its pushes unscanned.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, dpkgStatus, importFeed, layerOf, pushIndex, pushLayers, trackerFixture, waitJob, waitReport, type PushedImage } from './scan-helpers.ts';

const base = (repo: string) => `/repositories/${repo.split('/')[0]}/${encodeURIComponent(repo.split('/').slice(1).join('/'))}`;

describe('api: search filter scanned', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;

  const image = (salt: string) => [
    layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE }),
    layerOf({ 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }]), [`salt/${salt}`]: salt }),
  ];
  /** Pushes an image under a temporary tag and removes the tag: the manifest stays, untagged. */
  const pushUntagged = async (repo: string, salt: string, platform?: { os: string; architecture: string }): Promise<PushedImage> => {
    const pushed = await pushLayers(server, alice, repo, `tmp-${salt}`, image(salt), platform);
    expectStatus(await call(server, 'DELETE', `${base(repo)}/tags/tmp-${salt}`, { as: alice }), 204);
    return pushed;
  };
  /** The names search answers, sorted; as null: anonymously. */
  const names = async (query: string, as: Creds | null = alice): Promise<string[]> => {
    const res = expectStatus(await call(server, 'GET', `/search${query}`, as ? { as } : {}), 200).body;
    const got = (res.results as { name: string }[]).map((r) => r.name).sort();
    assert.equal(res.total, got.length, `total counts what the page shows: ${JSON.stringify(res)}`);
    return got;
  };
  const report = async (repo: string, ref: string) => expectStatus(await call(server, 'GET', `${base(repo)}/reports/${ref}`, { as: alice }), 200).body;

  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    await importFeed(server, ADMIN, trackerFixture(), 'application/json');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'quiet', visibility: 'public' } }), 201);
    expectStatus(await call(server, 'PATCH', '/projects/quiet/scan-policy', { as: alice, body: { scanOnPush: false } }), 200);

    // alice/app: an image scanned on push.
    await pushLayers(server, alice, 'alice/app', '1.0', image('app'));
    // alice/multi: an index; its platforms are scanned on push, the index itself has no report row.
    const amd = await pushUntagged('alice/multi', 'multi-amd64');
    const arm = await pushUntagged('alice/multi', 'multi-arm64', { os: 'linux', architecture: 'arm64' });
    await pushIndex(server, alice, 'alice/multi', 'latest', [{ image: amd, os: 'linux', architecture: 'amd64' }, { image: arm, os: 'linux', architecture: 'arm64' }]);
    // quiet/plain: an image never scanned.
    await pushLayers(server, alice, 'quiet/plain', 'v1', image('plain'));
    // quiet/multi: an index over platforms never scanned.
    const qa = await pushUntagged('quiet/multi', 'quiet-amd64');
    const qb = await pushUntagged('quiet/multi', 'quiet-arm64', { os: 'linux', architecture: 'arm64' });
    await pushIndex(server, alice, 'quiet/multi', 'latest', [{ image: qa, os: 'linux', architecture: 'amd64' }, { image: qb, os: 'linux', architecture: 'arm64' }]);
    // quiet/mixed: its tag names an unscanned image; an untagged image is scanned on request.
    await pushLayers(server, alice, 'quiet/mixed', 'v1', image('mixed-tagged'));
    const loose = await pushUntagged('quiet/mixed', 'mixed-loose');
    const queued = expectStatus(await call(server, 'POST', `${base('quiet/mixed')}/scans`, { as: alice, body: { reference: loose.digest } }), 201).body;
    await waitJob(server, alice, queued.job);

    await waitReport(server, alice, 'alice/app', '1.0', (r) => r.status === 'done');
    await waitReport(server, alice, 'alice/multi', 'latest', (r) => r.status === 'done');
  });
  after(async () => { await server?.stop(); });

  it('the seeded images are (not) scanned as the test expects', async () => {
    assert.equal((await report('alice/multi', 'latest')).platforms.length, 2);
    assert.equal((await report('quiet/plain', 'v1')).status, 'not-scanned');
    assert.equal((await report('quiet/multi', 'latest')).status, 'not-scanned');
    assert.equal((await report('quiet/mixed', 'v1')).status, 'not-scanned');
    const loose = (await report('quiet/mixed', (await call(server, 'GET', `${base('quiet/mixed')}/tags`, { as: alice })).body.tags[0].digest));
    assert.equal(loose.status, 'not-scanned', 'the tag names the unscanned image');
  });

  it('scanned=true keeps the repositories with a scanned tag, an index through its platforms', async () => {
    assert.deepEqual(await names('?scanned=true'), ['alice/app', 'alice/multi']);
    assert.deepEqual(await names('?scanned=1&sort=name'), ['alice/app', 'alice/multi']);
  });

  it('scanned=false keeps the others, including one whose scanned manifest no tag names', async () => {
    assert.deepEqual(await names('?scanned=false'), ['quiet/mixed', 'quiet/multi', 'quiet/plain']);
  });

  it('without it, every repository; with other filters, both apply', async () => {
    assert.deepEqual(await names(''), ['alice/app', 'alice/multi', 'quiet/mixed', 'quiet/multi', 'quiet/plain']);
    assert.deepEqual(await names('?scanned=true&project=quiet'), []);
    assert.deepEqual(await names('?scanned=false&project=quiet&q=multi'), ['quiet/multi']);
    assert.deepEqual(await names('?scanned=true&q=multi'), ['alice/multi']);
  });

  it('visibility still applies: an anonymous caller is not told of a private scanned repository', async () => {
    expectStatus(await call(server, 'PATCH', '/projects/alice', { as: alice, body: { visibility: 'private' } }), 200);
    assert.deepEqual(await names('?scanned=true', null), []);
    assert.deepEqual(await names('?scanned=false', null), ['quiet/mixed', 'quiet/multi', 'quiet/plain']);
    expectStatus(await call(server, 'PATCH', '/projects/alice', { as: alice, body: { visibility: 'public' } }), 200);
    assert.deepEqual(await names('?scanned=true', null), ['alice/app', 'alice/multi']);
  });

  it('a scan made later moves the repository from false to true', async () => {
    const queued = expectStatus(await call(server, 'POST', `${base('quiet/plain')}/scans`, { as: alice, body: { reference: 'v1' } }), 201).body;
    await waitJob(server, alice, queued.job);
    assert.deepEqual(await names('?scanned=true'), ['alice/app', 'alice/multi', 'quiet/plain']);
    assert.deepEqual(await names('?scanned=false'), ['quiet/mixed', 'quiet/multi']);
  });

  it('refuses a value that is not a boolean, and is in the OpenAPI document', async () => {
    expectStatus(await call(server, 'GET', '/search?scanned=maybe'), 400, 'INVALID_REQUEST');
    const doc = expectStatus(await call(server, 'GET', '/openapi.json'), 200).body;
    const params = (doc.paths['/search'].get.parameters as { name: string }[]).map((p) => p.name);
    assert.ok(params.includes('scanned'), params.join(', '));
  });
});
