// Scanning with two instances on one PostgreSQL database and one store: a push to one instance
// is scanned exactly once (by whichever instance takes the job), a feed imported through the
// other re-matches every image once, and both answer the same report.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { ADMIN, addUser, call, expectStatus, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, dpkgStatus, importFeed, layerOf, osvFixtures, pushLayers, trackerFixture, waitJob, waitReport } from './scan-helpers.ts';

describe('scanning on PostgreSQL with two instances', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let one: BerthProcess;
  let two: BerthProcess;
  let alice: Creds;

  before(async () => {
    db = await createTestDatabase('berth_scan');
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-scan-pg-'));
    const env = { BERTH_ADMIN_PASSWORD: ADMIN[1], BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url };
    one = await startBerth({ auth: 'builtin', dataDir, env });
    two = await startBerth({ auth: 'builtin', dataDir, env });
    alice = await addUser(one, 'alice');
    await importFeed(two, ADMIN, trackerFixture(), 'application/json');
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await db?.drop();
  });

  it('a push is scanned once, and both instances serve its report', async () => {
    const images = [];
    for (let i = 0; i < 6; i++) {
      images.push(await pushLayers(i % 2 ? one : two, alice, `alice/app${i}`, '1', [layerOf({
        'etc/os-release': BOOKWORM_OS_RELEASE,
        'var/lib/dpkg/status': dpkgStatus([{ name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' }]),
        'app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.20', salt: i }),
      })]));
    }
    for (let i = 0; i < 6; i++) {
      const a = await waitReport(one, alice, `alice/app${i}`, '1');
      const b = await waitReport(two, alice, `alice/app${i}`, '1');
      assert.deepEqual(a.vulnerabilities.map((v: { id: string }) => v.id).sort(), ['CVE-2010-0928', 'CVE-2023-5363']);
      assert.deepEqual(b.vulnerabilities, a.vulnerabilities);
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const jobs = (await client.query("select payload, attempts, state from jobs where kind = 'scan.image'")).rows as { payload: string; attempts: number; state: string }[];
    await client.end();
    for (const image of images) {
      const mine = jobs.filter((j) => j.payload.includes(image.digest));
      assert.equal(mine.length, 1, 'one job per push');
      assert.deepEqual([mine[0]!.state, Number(mine[0]!.attempts)], ['done', 1], 'run once');
    }
  });

  it('a feed imported through one instance re-matches every image once', async () => {
    const imported = await importFeed(one, ADMIN, osvFixtures(), 'application/json');
    const job = await waitJob(two, ADMIN, imported.rematchJob);
    assert.equal((job.result as { images: number }).images, 6);
    const report = await waitReport(two, alice, 'alice/app3', '1', (r) => r.feed?.id === imported.feedId);
    assert.deepEqual(report.vulnerabilities.map((v: { id: string }) => v.id).sort(), ['CVE-2010-0928', 'CVE-2023-5363', 'GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm']);
    const found = expectStatus(await call(one, 'GET', '/scan/advisories/CVE-2021-23337', { as: alice }), 200).body;
    assert.equal(found.total, 6);
    const pkgs = expectStatus(await call(two, 'GET', `/scan/packages?name=openssl&versions=${encodeURIComponent('<3.0.11-1~deb12u2')}`, { as: alice }), 200).body;
    assert.equal(pkgs.total, 6);
  });

  it('an import of one part keeps the other parts (rows handed over in SQL)', async () => {
    const npmOnly = await importFeed(two, ADMIN, osvFixtures(['GHSA-35jh-r3h4-6jhm']), 'application/json');
    assert.equal(npmOnly.source, 'osv:npm,pypi');
    const status = expectStatus(await call(one, 'GET', '/vulndb', { as: alice }), 200).body;
    const osv = status.active.imports.find((i: { source: string }) => i.source === 'osv:npm,pypi');
    assert.ok(osv.affected >= 3, `the npm entries plus the two PyPI ones: ${JSON.stringify(osv)}`);
    const jinja = expectStatus(await call(one, 'GET', '/scan/advisories/GHSA-h5c8-rqwp-cp95', { as: alice }), 200).body;
    assert.deepEqual(jinja.advisory.map((a: { name: string }) => a.name), ['jinja2']);
  });
});
