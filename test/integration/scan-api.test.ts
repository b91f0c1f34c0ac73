// The scan feature through a real server and its API: a feed imported from the fixtures (real
// advisories), an image pushed and scanned on push, its report and SBOM referrer, the policy that
// refuses its pull (and lets HEAD and exempt accounts through), the registry-wide questions, a
// feed update that re-matches the stored inventory without reading a blob, and restore.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import {
  BOOKWORM_OS_RELEASE, dpkgStatus, getManifest, importFeed, layerOf, osvFixtures, pushIndex, pushLayers, trackerFixture, waitJob, waitReport, type PushedImage,
} from './scan-helpers.ts';

const base = (repo: string) => `/repositories/${repo.split('/')[0]}/${encodeURIComponent(repo.split('/').slice(1).join('/'))}`;

describe('scanning through the API', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  let bob: Creds;
  let image: PushedImage;
  const repo = 'alice/app';

  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    // The tracker's data first; the OSV records come later, as a feed update.
    await importFeed(server, ADMIN, trackerFixture(), 'application/json');
    const os = layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE });
    const packages = layerOf({
      'var/lib/dpkg/status': dpkgStatus([
        { name: 'tar', version: '1.34+dfsg-1.2+deb12u1' },
        { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
        { name: 'curl', version: '7.88.1-10+deb12u4' },
      ]),
      'app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }),
    });
    image = await pushLayers(server, alice, repo, '1.0', [os, packages]);
  });
  after(async () => { await server?.stop(); });

  it('an import answers what it loaded and switches the feed', async () => {
    const status = expectStatus(await call(server, 'GET', '/vulndb', { as: alice }), 200).body;
    assert.equal(status.active.imports.length, 1);
    assert.equal(status.active.imports[0].source, 'debian-tracker');
    assert.equal(status.active.imports[0].format, 'debian-tracker');
    assert.match(status.active.digest, /^sha256:[0-9a-f]{64}$/);
  });

  it('only administrators import', async () => {
    const res = await fetch(`${server.url}/api/v1/vulndb/imports`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}`, 'content-type': 'application/json' }, body: osvFixtures() });
    assert.equal(res.status, 403, await res.text());
  });

  it('a push is scanned: the report has exactly the findings the tracker data says', async () => {
    const report = await waitReport(server, alice, repo, '1.0');
    assert.equal(report.status, 'done', report.error);
    assert.equal(report.digest, image.digest);
    assert.deepEqual(report.inventory.os, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    assert.deepEqual(report.packages.map((p: { name: string; version: string; type: string }) => `${p.type} ${p.name} ${p.version}`).sort(),
      ['deb curl 7.88.1-10+deb12u4', 'deb libssl3 3.0.11-1~deb12u1', 'deb tar 1.34+dfsg-1.2+deb12u1', 'npm lodash 4.17.20']);
    const found = report.vulnerabilities.map((v: { id: string; package: string; installedVersion: string; fixedVersion: string | null; severity: string }) => `${v.id} ${v.package} ${v.installedVersion} ${v.fixedVersion ?? '-'} ${v.severity}`).sort();
    // tar's open issue (no fix); openssl's two: the open one, and the one fixed in ~deb12u2; curl's fix is older than its version.
    assert.deepEqual(found, [
      'CVE-2005-2541 tar 1.34+dfsg-1.2+deb12u1 - low',
      'CVE-2010-0928 libssl3 3.0.11-1~deb12u1 - low',
      'CVE-2023-5363 libssl3 3.0.11-1~deb12u1 3.0.11-1~deb12u2 unknown',
    ]);
    assert.deepEqual(report.summary, { critical: 0, high: 0, medium: 0, low: 2, unknown: 1 });
    assert.deepEqual(report.fixable, { critical: 0, high: 0, medium: 0, low: 0, unknown: 1 });
    assert.ok(report.feed && report.feed.ageSeconds >= 0, 'the report names its feed');
    const purl = report.packages.find((p: { name: string }) => p.name === 'libssl3').purl;
    assert.equal(purl, 'pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12');
  });

  it('Berth attaches a CycloneDX SBOM as a referrer of the image', async () => {
    const res = await fetch(`${server.url}/v2/${repo}/referrers/${image.digest}`, { headers: { authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}` } });
    assert.equal(res.status, 200);
    const index = await res.json() as { manifests: { artifactType: string; digest: string }[] };
    const sboms = index.manifests.filter((m) => m.artifactType === 'application/vnd.cyclonedx+json');
    assert.equal(sboms.length, 1, JSON.stringify(index));
    const sbom = await call(server, 'GET', `${base(repo)}/sbom/1.0`, { as: alice });
    assert.equal(sbom.status, 200, sbom.text);
    assert.match(sbom.headers.get('content-type') ?? '', /application\/vnd\.cyclonedx\+json/);
    assert.equal(sbom.body.bomFormat, 'CycloneDX');
    assert.equal(sbom.body.specVersion, '1.6');
    const os = sbom.body.components.filter((c: { type: string }) => c.type === 'operating-system');
    assert.deepEqual(os.map((c: { name: string; version: string }) => `${c.name} ${c.version}`), ['debian 12']);
    assert.deepEqual(sbom.body.components.filter((c: { purl?: string }) => c.purl).map((c: { purl: string }) => c.purl).sort(), [
      'pkg:deb/debian/curl@7.88.1-10%2Bdeb12u4?arch=amd64&distro=debian-12',
      'pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12',
      'pkg:deb/debian/tar@1.34%2Bdfsg-1.2%2Bdeb12u1?arch=amd64&distro=debian-12',
      'pkg:npm/lodash@4.17.20',
    ].sort());
    const spdx = await call(server, 'GET', `${base(repo)}/sbom/1.0?format=spdx`, { as: alice });
    assert.equal(spdx.status, 200, spdx.text);
    assert.equal(spdx.body.spdxVersion, 'SPDX-2.3');
    assert.equal(spdx.body.packages.filter((p: { primaryPackagePurpose?: string }) => p.primaryPackagePurpose !== 'CONTAINER').length, 4);
  });

  it('a stranger sees neither the report nor the SBOM of a private image', async () => {
    expectStatus(await call(server, 'GET', `${base(repo)}/reports/1.0`, { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', `${base(repo)}/sbom/1.0`, { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', `${base(repo)}/reports/1.0`), 404, 'NOT_FOUND');
  });

  it('a feed update re-matches the stored inventory: the npm findings appear, with the new feed', async () => {
    const before = await waitReport(server, alice, repo, '1.0');
    const imported = await importFeed(server, ADMIN, osvFixtures(), 'application/json');
    assert.equal(imported.records, 4);
    assert.match(imported.source, /^osv:/);
    const job = await waitJob(server, ADMIN, imported.rematchJob);
    assert.ok((job.result as { images: number }).images >= 1, JSON.stringify(job.result));
    const report = await waitReport(server, alice, repo, '1.0', (r) => r.feed?.id === imported.feedId);
    assert.notEqual(report.feed.id, before.feed.id);
    const npm = report.vulnerabilities.filter((v: { type: string }) => v.type === 'npm').map((v: { id: string; fixedVersion: string; severity: string; cvss: number }) => `${v.id} ${v.fixedVersion} ${v.severity} ${v.cvss}`).sort();
    assert.deepEqual(npm, ['GHSA-29mw-wpgm-hmr9 4.17.21 medium 5.3', 'GHSA-35jh-r3h4-6jhm 4.17.21 high 7.2']);
    // The tracker's findings are still there: the OSV import did not replace them.
    assert.equal(report.vulnerabilities.filter((v: { type: string }) => v.type === 'deb').length, 3);
    assert.equal(report.durationMs, 0, 're-matching read no layer');
  });

  it('filters: severity, fixable and package', async () => {
    const high = expectStatus(await call(server, 'GET', `${base(repo)}/reports/1.0?severity=high`, { as: alice }), 200).body;
    assert.deepEqual(high.vulnerabilities.map((v: { id: string }) => v.id), ['GHSA-35jh-r3h4-6jhm']);
    const fixable = expectStatus(await call(server, 'GET', `${base(repo)}/reports/1.0?fixable=true`, { as: alice }), 200).body;
    assert.deepEqual(fixable.vulnerabilities.map((v: { id: string }) => v.id).sort(), ['CVE-2023-5363', 'GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm']);
    const openssl = expectStatus(await call(server, 'GET', `${base(repo)}/reports/1.0?package=openssl`, { as: alice }), 200).body;
    assert.deepEqual(openssl.packages.map((p: { name: string }) => p.name), ['libssl3']);
    assert.deepEqual(openssl.vulnerabilities.map((v: { id: string }) => v.id).sort(), ['CVE-2010-0928', 'CVE-2023-5363'], 'a source package name finds its binaries\' findings');
    const summaries = expectStatus(await call(server, 'GET', `${base(repo)}/scan-summaries?digests=${image.digest},sha256:${'0'.repeat(64)}`, { as: alice }), 200).body;
    assert.deepEqual(Object.keys(summaries.summaries), [image.digest], 'a digest the repository does not hold is left out');
    assert.equal(summaries.summaries[image.digest].status, 'done');
    assert.equal(summaries.summaries[image.digest].pending, false);
    assert.deepEqual(summaries.summaries[image.digest].summary, high.summary);
  });

  it('which images hold a package (in a version range), and which an advisory affects', async () => {
    const all = expectStatus(await call(server, 'GET', '/scan/packages?name=openssl', { as: alice }), 200).body;
    assert.deepEqual(all.images.map((i: { repository: string; tags: string[]; package: { name: string } }) => `${i.repository}:${i.tags.join(',')} ${i.package.name}`), ['alice/app:1.0 libssl3']);
    const older = expectStatus(await call(server, 'GET', `/scan/packages?name=openssl&versions=${encodeURIComponent('<3.0.11-1~deb12u2')}`, { as: alice }), 200).body;
    assert.equal(older.total, 1);
    const newer = expectStatus(await call(server, 'GET', `/scan/packages?name=openssl&versions=${encodeURIComponent('>=3.0.11-1~deb12u2')}`, { as: alice }), 200).body;
    assert.equal(newer.total, 0);
    expectStatus(await call(server, 'GET', '/scan/packages?name=openssl&versions=%3E%3D', { as: alice }), 400, 'INVALID_REQUEST');
    // bob may not pull alice's images: he is told of none.
    assert.equal(expectStatus(await call(server, 'GET', '/scan/packages?name=openssl', { as: bob }), 200).body.total, 0);
    const byCve = expectStatus(await call(server, 'GET', '/scan/advisories/CVE-2021-23337', { as: alice }), 200).body;
    assert.deepEqual(byCve.images.map((i: { repository: string; findings: { package: string; fixedVersion: string }[] }) => `${i.repository} ${i.findings.map((f) => `${f.package}<${f.fixedVersion}`).join(',')}`), ['alice/app lodash<4.17.21']);
    const byId = expectStatus(await call(server, 'GET', '/scan/advisories/GHSA-35jh-r3h4-6jhm', { as: alice }), 200).body;
    assert.equal(byId.total, 1);
    assert.deepEqual(byId.advisory.map((a: { name: string }) => a.name).sort(), ['lodash', 'lodash-es']);
    assert.equal(expectStatus(await call(server, 'GET', '/scan/advisories/CVE-2099-0001', { as: alice }), 200).body.total, 0);
  });

  it('a policy refuses the pull with a message naming it and the worst findings; HEAD is not refused', async () => {
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: bob, body: { preventSeverity: 'high' } }), 404);
    const set = expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { preventSeverity: 'high' } }), 200).body;
    assert.equal(set.preventSeverity, 'high');
    const refused = await getManifest(server, alice, repo, '1.0');
    assert.equal(refused.status, 403);
    const body = await refused.json() as { errors: { code: string; message: string; detail: { policy: string; findings: { id: string }[] } }[] };
    assert.equal(body.errors[0]!.code, 'DENIED');
    assert.match(body.errors[0]!.message, /vulnerability policy of project alice/);
    assert.match(body.errors[0]!.message, /GHSA-35jh-r3h4-6jhm/);
    assert.deepEqual(body.errors[0]!.detail.findings.map((f) => f.id), ['GHSA-35jh-r3h4-6jhm']);
    assert.equal((await getManifest(server, alice, repo, '1.0', 'HEAD')).status, 200, 'HEAD is never gated');
    // The audit log has the change.
    for (let i = 0; ; i++) { // the log is written in batches
      const audit = expectStatus(await call(server, 'GET', '/audit?action=project.scan-policy', { as: ADMIN }), 200).body;
      if (audit.entries.some((e: { project: string; actor: string }) => e.project === 'alice' && e.actor === 'alice')) break;
      assert.ok(i < 50, `the policy change is audited: ${JSON.stringify(audit)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('allowlisted advisories, fixable-only, exempt accounts and a grace period let it through', async () => {
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { allowlist: [{ id: 'CVE-2021-23337', expiresAt: '2099-01-01T00:00:00Z' }] } }), 200);
    assert.equal((await getManifest(server, alice, repo, '1.0')).status, 200, 'allowlisted by its CVE alias');
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { allowlist: [{ id: 'CVE-2021-23337', expiresAt: '2020-01-01T00:00:00Z' }] } }), 200);
    assert.equal((await getManifest(server, alice, repo, '1.0')).status, 403, 'an expired entry no longer counts');
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { exempt: ['alice'] } }), 200);
    assert.equal((await getManifest(server, alice, repo, '1.0')).status, 200, 'an exempt account pulls');
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { exempt: [], graceSeconds: 3600 } }), 200);
    assert.equal((await getManifest(server, alice, repo, '1.0')).status, 200, 'within the grace period');
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { graceSeconds: 0, preventSeverity: 'none' } }), 200);
    assert.equal((await getManifest(server, alice, repo, '1.0')).status, 200);
  });

  it('an image not yet scanned is refused when the project says so', async () => {
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { scanOnPush: false, preventUnscanned: true } }), 200);
    const other = await pushLayers(server, alice, 'alice/unscanned', 'v1', [layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE })]);
    await new Promise((r) => setTimeout(r, 1500)); // long enough for a scan on push, had it been on
    const res = await getManifest(server, alice, 'alice/unscanned', other.digest);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /not been scanned/);
    const queued = expectStatus(await call(server, 'POST', `${base('alice/unscanned')}/scans`, { as: alice, body: { reference: 'v1' } }), 201).body;
    await waitJob(server, alice, queued.job);
    assert.equal((await getManifest(server, alice, 'alice/unscanned', 'v1')).status, 200, 'scanned on request: nothing blocks it');
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { scanOnPush: true, preventUnscanned: false } }), 200);
  });

  it('restore switches back to the previous feed and re-matches', async () => {
    const restored = expectStatus(await call(server, 'POST', '/vulndb/restore', { as: ADMIN }), 200).body;
    await waitJob(server, ADMIN, restored.rematchJob);
    const report = await waitReport(server, alice, repo, '1.0', (r) => r.feed?.id === restored.active.id);
    assert.equal(report.vulnerabilities.filter((v: { type: string }) => v.type === 'npm').length, 0, 'the OSV data is gone again');
    expectStatus(await call(server, 'POST', '/vulndb/restore', { as: alice }), 403, 'DENIED');
  });

  it('a multi-arch image is reported per platform, and its summary sums them', async () => {
    const amd = await pushLayers(server, alice, 'alice/multi', 'amd64', [layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE, 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }]) })]);
    const arm = await pushLayers(server, alice, 'alice/multi', 'arm64', [layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE, 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1', arch: 'arm64' }, { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl', arch: 'arm64' }]) })], { os: 'linux', architecture: 'arm64' });
    const index = await pushIndex(server, alice, 'alice/multi', 'latest', [{ image: amd, os: 'linux', architecture: 'amd64' }, { image: arm, os: 'linux', architecture: 'arm64' }]);
    const report = await waitReport(server, alice, 'alice/multi', 'latest', (r) => r.status === 'done');
    assert.equal(report.digest, index);
    assert.deepEqual(report.platforms.map((p: { platform: string; status: string; summary: { low: number } }) => `${p.platform} ${p.status} ${p.summary.low}`), ['linux/amd64 done 1', 'linux/arm64 done 2']);
    assert.deepEqual(report.vulnerabilities.map((v: { id: string; platform: string }) => `${v.platform} ${v.id}`).sort(), ['linux/amd64 CVE-2005-2541', 'linux/arm64 CVE-2005-2541', 'linux/arm64 CVE-2010-0928', 'linux/arm64 CVE-2023-5363']);
    const sum = expectStatus(await call(server, 'GET', `${base('alice/multi')}/scan-summaries?digests=${index}`, { as: alice }), 200).body.summaries[index];
    assert.deepEqual([sum.status, sum.summary.low, sum.summary.unknown], ['done', 3, 1]);
    const sbom = await call(server, 'GET', `${base('alice/multi')}/sbom/latest`, { as: alice });
    assert.equal(sbom.status, 400, 'an index asks which platform');
    assert.match(sbom.text, /linux\/amd64, linux\/arm64/);
    assert.equal((await call(server, 'GET', `${base('alice/multi')}/sbom/latest?platform=linux/arm64`, { as: alice })).body.components.filter((c: { purl?: string }) => c.purl).length, 2);
  });

  it('the routes are in the OpenAPI document', async () => {
    const doc = expectStatus(await call(server, 'GET', '/openapi.json'), 200).body;
    for (const p of ['/vulndb', '/vulndb/imports', '/vulndb/imports/oci', '/vulndb/restore', '/repositories/{project}/{repository}/scans', '/repositories/{project}/{repository}/reports/{reference}',
      '/repositories/{project}/{repository}/sbom/{reference}', '/projects/{name}/scan-policy', '/scan/packages', '/scan/advisories/{id}', '/jobs/{id}']) {
      assert.ok(doc.paths[p], `${p} documented`);
    }
    assert.ok(doc.paths['/vulndb/imports'].post.requestBody.content['application/octet-stream']);
  });
});
