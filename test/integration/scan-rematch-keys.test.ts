// Re-matching reads stored package keys, not package rows: each distinct package is stored once
// (scan_package_keys) and each inventory lists its keys' ids. Inventories stored before the keys
// existed (an upgrade) have no ids: the next re-match fills them in from their package rows, and
// its findings are the ones a fresh scan of the same image finds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Sqlite from 'better-sqlite3';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, dpkgStatus, importFeed, layerOf, osvFixtures, pushLayers, trackerFixture, waitJob, waitReport, type PushedImage } from './scan-helpers.ts';

type Vulnerability = { id: string; package: string; installedVersion: string; fixedVersion: string | null; severity: string };
const rows = (vs: readonly Vulnerability[]) => vs.map((v) => `${v.id} ${v.package} ${v.installedVersion} ${v.fixedVersion ?? '-'} ${v.severity}`).sort();

describe('re-matching from stored package keys, and inventories stored before them', { timeout: 180_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  let app: PushedImage;
  let tools: PushedImage;
  const db = () => new Sqlite(join(server.dataDir, 'berth.db'));

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] } });
    alice = await addUser(server, 'alice');
    await importFeed(server, ADMIN, trackerFixture(), 'application/json');
    const os = layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE });
    app = await pushLayers(server, alice, 'alice/app', '1', [os, layerOf({
      'var/lib/dpkg/status': dpkgStatus([
        { name: 'tar', version: '1.34+dfsg-1.2+deb12u1' },
        { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
        { name: 'curl', version: '7.88.1-10+deb12u4' },
      ]),
      'app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }),
    })]);
    tools = await pushLayers(server, alice, 'alice/tools', '1', [os, layerOf({
      'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }, { name: 'curl', version: '7.88.1-10+deb12u4' }]),
    })]);
    for (const repo of ['alice/app', 'alice/tools']) assert.equal((await waitReport(server, alice, repo, '1')).status, 'done');
  });
  after(async () => { await server?.stop(); });

  it('stores each distinct package once, and each inventory lists its packages by key', () => {
    const d = db();
    try {
      const inventories = d.prepare('select manifest_digest, package_count, package_ids from scan_inventories').all() as { manifest_digest: string; package_count: number; package_ids: string }[];
      assert.equal(inventories.length, 2);
      for (const inv of inventories) assert.equal(inv.package_ids.split(',').length, inv.package_count, inv.manifest_digest);
      const keys = (d.prepare('select count(*) as n from scan_package_keys').get() as { n: number }).n;
      // app: tar, libssl3, curl, lodash; tools: tar and curl again.
      assert.equal(keys, 4);
      const shared = new Set(inventories[0]!.package_ids.split(',')).size + new Set(inventories[1]!.package_ids.split(',')).size - new Set(inventories.flatMap((i) => i.package_ids.split(','))).size;
      assert.equal(shared, 2, 'tar and curl are one key each');
    } finally {
      d.close();
    }
  });

  it('after an upgrade (no keys yet), a re-match fills them in and finds what a fresh scan finds', async () => {
    await server.stop();
    const d = db();
    d.prepare('update scan_inventories set package_ids = null').run();
    d.prepare('delete from scan_package_keys').run();
    d.close();
    server = await server.restart();

    const { rematchJob } = await importFeed(server, ADMIN, osvFixtures());
    await waitJob(server, ADMIN, rematchJob);
    const rematched = await waitReport(server, alice, 'alice/app', '1');
    assert.deepEqual(rows(rematched.vulnerabilities), [
      'CVE-2005-2541 tar 1.34+dfsg-1.2+deb12u1 - low',
      'CVE-2010-0928 libssl3 3.0.11-1~deb12u1 - low',
      'CVE-2023-5363 libssl3 3.0.11-1~deb12u1 3.0.11-1~deb12u2 unknown',
      'GHSA-29mw-wpgm-hmr9 lodash 4.17.20 4.17.21 medium',
      'GHSA-35jh-r3h4-6jhm lodash 4.17.20 4.17.21 high',
    ]);
    const toolsReport = await waitReport(server, alice, 'alice/tools', '1');
    assert.deepEqual(rows(toolsReport.vulnerabilities), ['CVE-2005-2541 tar 1.34+dfsg-1.2+deb12u1 - low']);

    const filled = db();
    try {
      const ids = filled.prepare('select package_ids from scan_inventories where manifest_digest = ?').get(app.digest) as { package_ids: string | null };
      assert.equal(ids.package_ids?.split(',').length, 4, 'the re-match filled in the ids');
      assert.equal((filled.prepare('select count(*) as n from scan_package_keys').get() as { n: number }).n, 4);
      assert.ok((filled.prepare('select package_ids from scan_inventories where manifest_digest = ?').get(tools.digest) as { package_ids: string | null }).package_ids);
    } finally {
      filled.close();
    }

    // A fresh scan reads the layers again: the same findings.
    const queued = expectStatus(await call(server, 'POST', '/repositories/alice/app/scans', { as: alice, body: { reference: '1', reindex: true } }), 201).body;
    await waitJob(server, alice, queued.job);
    const fresh = await waitReport(server, alice, 'alice/app', '1');
    assert.deepEqual(rows(fresh.vulnerabilities), rows(rematched.vulnerabilities));
  });
});
