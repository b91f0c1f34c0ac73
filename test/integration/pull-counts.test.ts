// Pull counts over real HTTP (docs/discovery.md, Pull counts): manifest GETs by tag count for the
// repository and the tag; HEAD and blob GETs do not; a multi-arch pull (index, then one platform
// by digest) counts once; counts are flushed within about a second and at shutdown (SIGTERM).
// The counts are read from the server's SQLite file, so the test holds in every auth mode.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openMetadata } from '../../src/metadata/db.ts';
import { call, descriptor, expectStatus, getManifest, MediaType, pushImage, putManifest, repoName, sleep, startServer, type Server } from './helpers.ts';

async function counts(srv: Server, repository: string): Promise<{ repo: { pull_count: number; last_pulled_at: number | null } | undefined; tags: Record<string, number> }> {
  const m = await openMetadata({ dialect: 'sqlite', location: join(srv.dataDir, 'berth.db') });
  try {
    const repo = await m.db.selectFrom('repositories').select(['id', 'pull_count', 'last_pulled_at']).where('name', '=', repository).executeTakeFirst();
    const tags = repo ? await m.db.selectFrom('tags').select(['name', 'pull_count']).where('repository_id', '=', repo.id).execute() : [];
    return { repo: repo && { pull_count: Number(repo.pull_count), last_pulled_at: repo.last_pulled_at === null ? null : Number(repo.last_pulled_at) }, tags: Object.fromEntries(tags.map((t) => [t.name, Number(t.pull_count)])) };
  } finally {
    await m.close();
  }
}

/** Waits for the 1 s flush (polling the DB) until `done` holds, or fails with the last counts. */
async function eventually(srv: Server, repository: string, done: (c: Awaited<ReturnType<typeof counts>>) => boolean): Promise<Awaited<ReturnType<typeof counts>>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const c = await counts(srv, repository);
    if (done(c)) return c;
    if (Date.now() > deadline) assert.fail(`counts of ${repository} never matched: ${JSON.stringify(c)}`);
    await sleep(100);
  }
}

describe('pull counts', () => {
  let srv: Server;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('N GETs by tag count N for the repository and the tag; HEAD, blob GETs and by-digest GETs of other tags do not touch the tag', async () => {
    const repo = repoName('pulls');
    const img = await pushImage(srv, repo, { tag: 'latest' });
    await expectStatus(await putManifest(srv, repo, 'other', img.manifest, img.mediaType), 201);
    const before = Date.now();
    for (let i = 0; i < 5; i++) await expectStatus(await getManifest(srv, repo, 'latest'), 200);
    for (let i = 0; i < 3; i++) await expectStatus(await getManifest(srv, repo, 'latest', 'HEAD'), 200);
    await expectStatus(await call(srv, 'GET', `/v2/${repo}/blobs/${img.config.digest}`), 200);
    await expectStatus(await call(srv, 'GET', `/v2/${repo}/blobs/${img.layers[0]!.digest}`), 200);
    await expectStatus(await getManifest(srv, repo, img.digest), 200);
    const c = await eventually(srv, repo, (x) => x.repo?.pull_count === 6);
    assert.deepEqual(c.tags, { latest: 5, other: 0 });
    assert.ok(c.repo!.last_pulled_at! >= before - 1000, 'last_pulled_at is set');
    // Nothing more arrives later (HEADs and blob GETs were not merely slow).
    await sleep(1300);
    assert.equal((await counts(srv, repo)).repo!.pull_count, 6);
  });

  it('a multi-arch pull (index by tag, then one platform manifest by digest) counts once; a second platform GET from the same client too', async () => {
    const repo = repoName('pulls');
    const amd = await pushImage(srv, repo);
    const arm = await pushImage(srv, repo);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        descriptor(MediaType.OciManifest, amd.manifest, { platform: { os: 'linux', architecture: 'amd64' } }),
        descriptor(MediaType.OciManifest, arm.manifest, { platform: { os: 'linux', architecture: 'arm64' } }),
      ],
    }));
    await expectStatus(await putManifest(srv, repo, 'latest', index, MediaType.OciIndex), 201);
    await expectStatus(await getManifest(srv, repo, 'latest'), 200);
    await expectStatus(await getManifest(srv, repo, amd.digest), 200);
    await expectStatus(await getManifest(srv, repo, arm.digest), 200);
    const c = await eventually(srv, repo, (x) => (x.repo?.pull_count ?? 0) >= 1);
    await sleep(1300);
    const settled = await counts(srv, repo);
    assert.equal(settled.repo!.pull_count, 1, JSON.stringify(c));
    assert.equal(settled.tags.latest, 1);
    // A second client pull counts again.
    await expectStatus(await getManifest(srv, repo, 'latest'), 200);
    await expectStatus(await getManifest(srv, repo, amd.digest), 200);
    await eventually(srv, repo, (x) => x.repo?.pull_count === 2 && x.tags.latest === 2);
  });

  it('counts survive a SIGTERM restart: pulls not yet flushed are written at shutdown', async () => {
    const repo = repoName('pulls');
    await pushImage(srv, repo, { tag: 'v1' });
    for (let i = 0; i < 4; i++) await expectStatus(await getManifest(srv, repo, 'v1'), 200);
    // Stop at once, well inside the 1 s flush interval.
    assert.equal(await srv.stop(), 0);
    const c = await counts(srv, repo);
    assert.equal(c.repo!.pull_count, 4);
    assert.equal(c.tags.v1, 4);
    srv = await srv.restart();
    await expectStatus(await getManifest(srv, repo, 'v1'), 200);
    await eventually(srv, repo, (x) => x.repo?.pull_count === 5 && x.tags.v1 === 5);
  });
});
