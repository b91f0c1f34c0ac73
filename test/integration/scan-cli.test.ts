// The scan commands of the real CLI (node bin/berth.mjs), against a running server with --url and
// --user, and offline on the same data directory with --data: berth vulndb import (a file, a
// folder, oci://), status and restore; berth scan REF and berth scan report REF --json; berth
// find package|advisory; and the policy flags of berth project update, which a real pull obeys.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok, type CliResult } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, FIXTURES, dpkgStatus, getManifest, layerOf, osvFixtures, pushLayers, waitReport } from './scan-helpers.ts';

function fails(r: CliResult, message: RegExp): CliResult {
  assert.equal(r.code, 1, `expected exit 1\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  return r;
}

describe('berth vulndb, berth scan, berth find and the policy flags', { timeout: 300_000 }, () => {
  let dir: string;
  let server: BerthProcess;
  let alice: Creds;
  let osvFile: string;
  const as = (c: Creds) => ({ env: { BERTH_PASSWORD: c[1] } });
  const remote = (c: Creds) => ['--url', server.url, '--user', c[0]];
  const offline = () => ['--data', server.dataDir];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-scan-cli-'));
    osvFile = join(dir, 'osv.json');
    await writeFile(osvFile, osvFixtures());
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] } });
    alice = await addUser(server, 'alice');
    await pushLayers(server, alice, 'alice/app', '1.0', [
      layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE }),
      layerOf({
        'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }, { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' }]),
        'srv/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.20' }),
      }),
    ]);
    // Scanned on push before any feed exists: packages, and no findings yet.
    const first = await waitReport(server, alice, 'alice/app', '1.0');
    assert.equal(first.vulnerabilities.length, 0);
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('vulndb status says there is no feed yet', async () => {
    assert.match(ok(await berth(['vulndb', 'status', ...remote(alice)], as(alice))).stdout, /No vulnerability feed yet/);
    assert.deepEqual(JSON.parse(ok(await berth(['vulndb', 'status', '--json', ...offline()])).stdout).active, null);
  });

  it('vulndb import PATH offline loads the tracker data and re-matches the stored image before it returns', async () => {
    const r = ok(await berth(['vulndb', 'import', join(FIXTURES, 'debian-tracker.json'), ...offline()]));
    assert.match(r.stdout, /Imported \d+ records .* as debian-tracker; feed \d+ \(sha256:[0-9a-f]{12}\) is active/);
    const status = JSON.parse(ok(await berth(['vulndb', 'status', '--json', ...offline()])).stdout);
    assert.ok(r.stdout.includes(`feed ${status.active.id} (${status.active.digest.slice(0, 19)})`), 'the digest printed is the active feed\'s');
    assert.match(r.stdout, /Re-matched 1 images .*: 1 have new advisories/);
    assert.match(r.stderr, /re-matched 1 images/, 'progress on stderr');
    const report = JSON.parse(ok(await berth(['scan', 'report', 'alice/app:1.0', '--json', ...offline()])).stdout);
    assert.deepEqual(report.vulnerabilities.map((v: { id: string }) => v.id).sort(), ['CVE-2005-2541', 'CVE-2010-0928', 'CVE-2023-5363']);
  });

  it('vulndb import with --url uploads a file, shows the server\'s progress and is refused to non-administrators', async () => {
    fails(await berth(['vulndb', 'import', osvFile, ...remote(alice)], as(alice)), /only system administrators/);
    fails(await berth(['vulndb', 'import', join(FIXTURES, 'osv'), ...remote(ADMIN)], as(ADMIN)), /is a folder: with --url, send one file/);
    const r = ok(await berth(['vulndb', 'import', osvFile, ...remote(ADMIN)], as(ADMIN)));
    assert.match(r.stdout, /Imported 4 records \(\d+ affected packages\) as osv:npm,pypi/);
    assert.match(r.stdout, /being re-matched in the background \(job \d+\)/);
    assert.match(r.stderr, /uploaded \d+ of \d+ MiB/);
    assert.match(r.stderr, /switching the feed/);
    const status = JSON.parse(ok(await berth(['vulndb', 'status', '--json', ...remote(alice)], as(alice))).stdout);
    assert.deepEqual(status.active.imports.map((i: { source: string }) => i.source).sort(), ['debian-tracker', 'osv:npm,pypi']);
    const text = ok(await berth(['vulndb', 'status', ...remote(alice)], as(alice))).stdout;
    assert.match(text, new RegExp(`Feed ${status.active.id}: ${status.active.digest}`));
    assert.match(text, /days old/);
  });

  it('scan REF queues a scan, waits, and prints the report; scan report --json has the contract\'s fields', async () => {
    const r = ok(await berth(['scan', `${server.host}/alice/app:1.0`, ...remote(alice)], as(alice)));
    assert.match(r.stderr, /queued as job \d+/);
    assert.match(r.stdout, /Debian GNU\/Linux 12 \(bookworm\), 3 packages; 5 vulnerabilities: 0 critical, 1 high, 1 medium, 2 low, 1 unknown/);
    assert.match(r.stdout, /GHSA-35jh-r3h4-6jhm\s+high\s+lodash\s+4\.17\.20\s+4\.17\.21/);
    assert.match(r.stdout, /CVE-2005-2541\s+low\s+tar\s+1\.34\+dfsg-1\.2\+deb12u1\s+\(no fix\)/);
    const report = JSON.parse(ok(await berth(['scan', 'report', 'alice/app:1.0', '--json', ...remote(alice)], as(alice))).stdout);
    for (const p of report.packages) for (const k of ['name', 'version', 'type', 'purl']) assert.equal(typeof p[k], 'string', `packages[].${k}`);
    for (const v of report.vulnerabilities) {
      for (const k of ['id', 'package', 'installedVersion', 'severity']) assert.equal(typeof v[k], 'string', `vulnerabilities[].${k}`);
      assert.ok(v.fixedVersion === null || typeof v.fixedVersion === 'string');
      assert.ok(['critical', 'high', 'medium', 'low', 'unknown'].includes(v.severity));
    }
    assert.deepEqual(report.vulnerabilities.map((v: { id: string; fixedVersion: string | null }) => `${v.id} ${v.fixedVersion}`).sort(), [
      'CVE-2005-2541 null', 'CVE-2010-0928 null', 'CVE-2023-5363 3.0.11-1~deb12u2', 'GHSA-29mw-wpgm-hmr9 4.17.21', 'GHSA-35jh-r3h4-6jhm 4.17.21',
    ]);
    const high = JSON.parse(ok(await berth(['scan', 'report', 'alice/app:1.0', '--json', '--severity', 'high', ...remote(alice)], as(alice))).stdout);
    assert.deepEqual(high.vulnerabilities.map((v: { id: string }) => v.id), ['GHSA-35jh-r3h4-6jhm']);
    // Offline, the same report.
    const local = JSON.parse(ok(await berth(['scan', 'report', 'alice/app:1.0', '--json', ...offline()])).stdout);
    assert.deepEqual(local.vulnerabilities.length, 5);
  });

  it('scan refuses what it cannot do, saying what to do next', async () => {
    const bob = await addUser(server, 'bob');
    fails(await berth(['scan', 'alice/app:1.0', ...remote(bob)], as(bob)), /no repository alice\/app/);
    fails(await berth(['scan', 'alice/app:nope', ...remote(alice)], as(alice)), /manifest unknown/);
    fails(await berth(['scan', 'Alice/App!!', ...remote(alice)], as(alice)), /Give an image reference/);
    fails(await berth(['scan', ...remote(alice)], as(alice)), /which image\?/);
    fails(await berth(['vulndb', 'import', join(dir, 'missing.json'), ...offline()]), /does not exist/);
  });

  it('project update --prevent-severity makes a pull fail with the policy\'s message; none lets it through', async () => {
    const set = ok(await berth(['project', 'update', 'alice', '--prevent-severity', 'high', ...remote(alice)], as(alice)));
    assert.match(set.stdout, /pulls of images with high or worse vulnerabilities are refused/);
    const refused = await getManifest(server, alice, 'alice/app', '1.0');
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /vulnerability policy of project alice.*GHSA-35jh-r3h4-6jhm/);
    ok(await berth(['project', 'update', 'alice', '--prevent-severity', 'none', ...remote(alice)], as(alice)));
    assert.equal((await getManifest(server, alice, 'alice/app', '1.0')).status, 200);
    // --no-scan-on-push, offline this time; the API shows it.
    assert.match(ok(await berth(['project', 'update', 'alice', '--no-scan-on-push', ...offline()])).stdout, /scan on push is off/);
    // The server reads a changed policy within a second (its cache): an offline change shows by then.
    let scanOnPush: boolean | undefined;
    for (let i = 0; i < 30 && scanOnPush !== false; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      scanOnPush = expectStatus(await call(server, 'GET', '/projects/alice/scan-policy', { as: alice }), 200).body.scanOnPush;
    }
    assert.equal(scanOnPush, false);
    const json = JSON.parse(ok(await berth(['project', 'update', 'alice', '--scan-on-push', '--prevent-severity', 'critical', '--fixable-only', '--grace-period', '2h', '--allow-cve', 'CVE-2021-23337:2099-12-31', '--json', ...remote(alice)], as(alice))).stdout);
    assert.deepEqual({ ...json.scanPolicy, allowlist: json.scanPolicy.allowlist.map((a: { id: string }) => a.id) }, {
      scanOnPush: true, preventSeverity: 'critical', fixableOnly: true, preventUnscanned: false, graceSeconds: 7200, allowlist: ['CVE-2021-23337'], exempt: [],
    });
    fails(await berth(['project', 'update', 'alice', '--prevent-severity', 'severe', ...remote(alice)], as(alice)), /Allowed choices are critical, high, medium, low, none/);
    const bob: Creds = ['bob', 'bob-password'];
    fails(await berth(['project', 'update', 'alice', '--prevent-severity', 'low', ...remote(bob)], as(bob)), /no project named alice/);
    ok(await berth(['project', 'update', 'alice', '--prevent-severity', 'none', '--no-fixable-only', '--grace-period', '0', ...offline()]));
  });

  it('find package and find advisory answer from the stored inventories', async () => {
    const pkg = JSON.parse(ok(await berth(['find', 'package', 'openssl', '--versions', '<3.0.11-1~deb12u2', '--json', ...remote(alice)], as(alice))).stdout);
    assert.deepEqual(pkg.images.map((i: { repository: string; tags: string[]; package: { name: string; version: string } }) => `${i.repository}:${i.tags} ${i.package.name} ${i.package.version}`), ['alice/app:1.0 libssl3 3.0.11-1~deb12u1']);
    const none = JSON.parse(ok(await berth(['find', 'package', 'openssl', '--versions', '>=3.0.12', '--json', ...offline()])).stdout);
    assert.equal(none.total, 0);
    const table = ok(await berth(['find', 'package', 'lodash', '--type', 'npm', ...remote(alice)], as(alice)));
    assert.match(table.stdout, /alice\/app\s+1\.0\s+sha256:[0-9a-f]{12}\s+lodash\s+4\.17\.20\s+npm/);
    const adv = ok(await berth(['find', 'advisory', 'CVE-2023-5363', ...remote(alice)], as(alice)));
    assert.match(adv.stdout, /alice\/app\s+1\.0\s+\S+\s+libssl3\s+3\.0\.11-1~deb12u1\s+3\.0\.11-1~deb12u2/);
    fails(await berth(['find', 'package', 'openssl', '--versions', '<<1', ...remote(alice)], as(alice)), /not a condition/);
  });

  it('vulndb import oci:// pulls a feed artifact from a registry (Berth itself), with --url and offline', async () => {
    await pushLayers(server, alice, 'alice/feed', 'latest', [layerOf({ 'GHSA-35jh-r3h4-6jhm.json': osvFixtures(['GHSA-35jh-r3h4-6jhm']) })]);
    const ref = `oci://${server.host}/alice/feed:latest`;
    fails(await berth(['vulndb', 'import', ref, ...offline()]), /401|unauthorized|authentication/i);
    const viaServer = ok(await berth(['vulndb', 'import', ref, '--registry-user', 'alice', ...remote(ADMIN)], { env: { BERTH_PASSWORD: ADMIN[1], BERTH_REGISTRY_PASSWORD: alice[1] } }));
    // It replaces the npm part of the OSV data and keeps the PyPI part.
    assert.match(viaServer.stdout, /Imported 1 records .* as osv:npm,pypi;/);
    const offlineImport = ok(await berth(['vulndb', 'import', ref, '--registry-user', 'alice', ...offline()], { env: { BERTH_REGISTRY_PASSWORD: alice[1] } }));
    assert.match(offlineImport.stdout, /Imported 1 records/);
    // The npm data now holds one advisory: the other lodash finding is gone after the re-match.
    const report = JSON.parse(ok(await berth(['scan', 'report', 'alice/app:1.0', '--json', ...offline()])).stdout);
    assert.deepEqual(report.vulnerabilities.filter((v: { type: string }) => v.type === 'npm').map((v: { id: string }) => v.id), ['GHSA-35jh-r3h4-6jhm']);
  });

  it('vulndb restore goes back to the previous feed', async () => {
    const before = JSON.parse(ok(await berth(['vulndb', 'status', '--json', ...offline()])).stdout);
    const r = ok(await berth(['vulndb', 'restore', ...offline()]));
    assert.match(r.stdout, new RegExp(`Feed ${before.active.previousId} .* is active again`));
    const report = JSON.parse(ok(await berth(['scan', 'report', 'alice/app:1.0', '--json', ...offline()])).stdout);
    assert.equal(report.vulnerabilities.filter((v: { type: string }) => v.type === 'npm').length, 1, 'the feed before the last oci import (same data)');
  });
});
