// A scan queued by a push survives the server being killed: the job row is written in the push's
// own transaction, so after SIGKILL in the middle of reading the layer, the restarted server
// (same data directory, same address) takes the job again and finishes the report.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Sqlite from 'better-sqlite3';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, dpkgStatus, importFeed, layerOf, pushLayers, trackerFixture, waitReport } from './scan-helpers.ts';

describe('a scan interrupted by a crash is resumed by the next start', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] } });
    alice = await addUser(server, 'alice');
    await importFeed(server, ADMIN, trackerFixture(), 'application/json');
  });
  after(async () => { await server?.stop(); });

  it('SIGKILL while scanning, restart, and the report is there', async () => {
    // Incompressible bytes in front of the package database: reading the layer takes a while.
    const big = layerOf({ 'opt/blob.bin': randomBytes(192 * 1024 * 1024), 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }]) });
    const image = await pushLayers(server, alice, 'alice/big', '1', [layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE }), big]);
    await server.kill();
    const db = new Sqlite(join(server.dataDir, 'berth.db'), { readonly: true });
    const job = db.prepare("select state, attempts from jobs where kind = 'scan.image' and payload like ?").get(`%${image.digest}%`) as { state: string; attempts: number } | undefined;
    const report = db.prepare('select status from scan_reports where manifest_digest = ?').get(image.digest);
    db.close();
    assert.ok(job, 'the push queued its scan in the same transaction');
    assert.notEqual(job.state, 'done', 'killed before the scan finished');
    assert.equal(report, undefined);
    server = await server.restart();
    const done = await waitReport(server, alice, 'alice/big', '1', (r) => r.status === 'done', 120_000);
    assert.deepEqual(done.vulnerabilities.map((v: { id: string }) => v.id), ['CVE-2005-2541']);
  });
});
