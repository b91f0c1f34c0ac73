// The scan feature's web UI in a real chromium against a real Berth (auth builtin) holding
// synthetic Debian images scanned against the feed fixtures (the tracker's JSON and OSV records):
// the tags view's counts by severity (one request per page), "not scanned" and "scan failed";
// the report page with its feed age and the stale-feed warning, totals, findings filtered by the
// API (severity, fixable, package) with their links, the packages, SBOM downloads, the platform
// switcher of an index, and "Scan now" following its job; the project's scan policy saved by its
// owner (checked through the API) and read-only for a guest; Explore's "has a vulnerability
// scan" filter; and a server without the feature, which shows none of it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, call, expectStatus, type Creds } from '../integration/api-helpers.ts';
import {
  BOOKWORM_OS_RELEASE, dpkgStatus, importFeed, layerOf, osvFixtures, pushIndex, pushLayers, trackerFixture, waitReport, type PushedImage,
} from '../integration/scan-helpers.ts';
import { launch, screenshot, type Browser, signInAs } from './helpers/browser.ts';

const base = (repo: string) => `/repositories/${repo.split('/')[0]}/${encodeURIComponent(repo.split('/').slice(1).join('/'))}`;
const OS = () => layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE });
/** The packages of test/integration/scan-api.test.ts's image: tar, libssl3 (openssl), curl and lodash. */
const APP_PACKAGES = () => layerOf({
  'var/lib/dpkg/status': dpkgStatus([
    { name: 'tar', version: '1.34+dfsg-1.2+deb12u1' },
    { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
    { name: 'curl', version: '7.88.1-10+deb12u4' },
  ]),
  'app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }),
});

describe('scan UI in chromium', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;
  let page: Page;
  let alice: Creds;
  let gus: Creds;
  let app: PushedImage;

  before(async () => {
    // The fixtures' OSV data is from 2024: with a 24-hour limit the feed is stale.
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD }, config: { scan: { maxFeedAgeHours: 24 } } });
    alice = await addUser(server, 'alice');
    gus = await addUser(server, 'gus');
    await importFeed(server, ADMIN, trackerFixture(), 'application/json');
    await importFeed(server, ADMIN, osvFixtures(), 'application/json');

    // alice/app: 1.0 with known findings, "broken" whose layer is not gzip (its scan fails).
    app = await pushLayers(server, alice, 'alice/app', '1.0', [OS(), APP_PACKAGES()]);
    await pushLayers(server, alice, 'alice/app', 'broken', [Buffer.from('these bytes are not a gzipped tar at all')]);
    // alice/multi: an index over amd64 (tar, libssl3) and arm64 (tar, curl).
    const amd = await pushLayers(server, alice, 'alice/multi', 'tmp-amd64', [OS(), layerOf({ 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }, { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' }]) })]);
    const arm = await pushLayers(server, alice, 'alice/multi', 'tmp-arm64', [OS(), layerOf({ 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1', arch: 'arm64' }, { name: 'curl', version: '7.88.1-10+deb12u4', arch: 'arm64' }]) })], { os: 'linux', architecture: 'arm64' });
    await pushIndex(server, alice, 'alice/multi', 'latest', [{ image: amd, os: 'linux', architecture: 'amd64' }, { image: arm, os: 'linux', architecture: 'arm64' }]);
    for (const t of ['tmp-amd64', 'tmp-arm64']) expectStatus(await call(server, 'DELETE', `${base('alice/multi')}/tags/${t}`, { as: alice }), 204);
    await waitReport(server, alice, 'alice/app', '1.0', (r) => r.status === 'done');
    await waitReport(server, alice, 'alice/app', 'broken', (r) => r.status === 'failed');
    await waitReport(server, alice, 'alice/multi', 'latest', (r) => r.status === 'done');
    // From here on alice's project does not scan on push: 2.0 and alice/plain stay unscanned.
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { scanOnPush: false } }), 200);
    await pushLayers(server, alice, 'alice/app', '2.0', [OS(), layerOf({ 'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }]) })]);
    await pushLayers(server, alice, 'alice/plain', 'v1', [OS()]);
    // acme: alice's organisation, where gus is a guest.
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'acme', visibility: 'private' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/acme/members/gus', { as: alice, body: { role: 'guest' } }), 200);
    await pushLayers(server, alice, 'acme/tool', '1', [OS(), APP_PACKAGES()]);
    await waitReport(server, alice, 'acme/tool', '1', (r) => r.status === 'done');

    browser = await launch();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const url = (path: string) => `${server.url}${path}`;
  const signIn = (creds: Creds) => signInAs(browser, page, url(''), creds);
  const findingIds = async () => (await page.locator('table.findings tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-finding') ?? ''))).sort();
  const packageNames = async () => (await page.locator('table.packages tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-package') ?? ''))).sort();
  const totals = async () => Object.fromEntries(await page.locator('.sev-total').evaluateAll((els) => els.map((e) => [e.getAttribute('data-severity'), Number(e.querySelector('.sev-total-count')?.textContent)])));

  it('the tags view shows counts by severity, "not scanned" and "scan failed", from one request per page', async () => {
    await signIn(alice);
    const summaryRequests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/scan-summaries')) summaryRequests.push(r.url()); });
    await page.goto(url('/r/alice/app/-/tags?view=cards'));
    const scanned = page.locator('.tag[data-tag="1.0"] .tag-vulns');
    await scanned.locator('.sev').first().waitFor();
    const chips = Object.fromEntries(await scanned.locator('.sev').evaluateAll((els) => els.map((e) => [e.getAttribute('data-severity'), e.querySelector('.sev-count')?.textContent])));
    // tar's and openssl's open issues (low), openssl's fixed one (unknown), lodash's two (high, medium).
    assert.deepEqual(chips, { critical: '0', high: '1', medium: '1', low: '2', unknown: '1' });
    assert.equal(await scanned.getByRole('link').getAttribute('aria-label'), '1.0: 0 critical, 1 high, 1 medium, 2 low, 1 unknown; open the report');
    assert.equal(await page.locator('.tag[data-tag="2.0"] .tag-vulns').textContent(), 'VulnerabilitiesNot scanned');
    assert.equal(await page.locator('.tag[data-tag="broken"] .tag-vulns').textContent(), 'VulnerabilitiesScan failed');
    assert.equal(summaryRequests.length, 1, `one summaries request for the page: ${summaryRequests.join(' ')}`);
    const asked = new URL(summaryRequests[0]!).searchParams.get('digests')!.split(',');
    assert.equal(asked.length, 3);
    assert.ok(asked.includes(app.digest));
    await screenshot(page, 'scan-tags');

    // An index sums its platforms, as the API says.
    await page.goto(url('/r/alice/multi/-/tags?view=cards'));
    const multi = page.locator('.tag[data-tag="latest"] .tag-vulns');
    await multi.locator('.sev').first().waitFor();
    const api = expectStatus(await call(server, 'GET', `${base('alice/multi')}/reports/latest`, { as: alice }), 200).body;
    assert.equal(api.platforms.length, 2);
    const label = await multi.getByRole('link').getAttribute('aria-label');
    assert.equal(label, `latest: ${api.summary.critical} critical, ${api.summary.high} high, ${api.summary.medium} medium, ${api.summary.low} low${api.summary.unknown ? `, ${api.summary.unknown} unknown` : ''}; open the report`);
    assert.ok(api.summary.low >= 3, JSON.stringify(api.summary));

    // The chips link to the report.
    await page.goto(url('/r/alice/app/-/tags?view=cards'));
    await scanned.getByRole('link').click();
    await page.waitForURL(/\/r\/alice\/app\/-\/scan\/1\.0$/);
    await page.getByRole('heading', { name: 'Vulnerabilities of alice/app:1.0' }).waitFor();
  });

  it('the report: feed age, stale warning, totals, findings with links, packages', async () => {
    await page.goto(url('/r/alice/app/-/scan/1.0'));
    await page.locator('table.findings').waitFor();
    assert.deepEqual(await totals(), { critical: 0, high: 1, medium: 1, low: 2, unknown: 1, total: 5 });
    assert.deepEqual(await findingIds(), ['CVE-2005-2541', 'CVE-2010-0928', 'CVE-2023-5363', 'GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm']);
    // The feed: its data time and how old it was when matched; the active feed is past the limit.
    assert.match((await page.getByTestId('feed-line').textContent())!, /^Vulnerability data of .*2024.*, \d+ (years?|months?) old when matched/);
    assert.match((await page.getByTestId('stale-feed').textContent())!, /The vulnerability feed is stale\..* past the 24 hour limit/);
    // Each finding links to its advisory pages.
    const report = expectStatus(await call(server, 'GET', `${base('alice/app')}/reports/1.0`, { as: alice }), 200).body;
    const ghsa = report.vulnerabilities.find((v: { id: string }) => v.id === 'GHSA-35jh-r3h4-6jhm');
    const row = page.locator('tr[data-finding="GHSA-35jh-r3h4-6jhm"]');
    assert.deepEqual(await row.locator('.finding-links a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ghsa.links.slice(0, 5));
    assert.ok(ghsa.links.includes('https://nvd.nist.gov/vuln/detail/CVE-2021-23337'));
    assert.equal(await row.locator('.sev-badge').textContent(), 'High');
    assert.match((await row.textContent())!, /lodash.*4\.17\.20.*4\.17\.21/);
    assert.match((await page.locator('tr[data-finding="CVE-2005-2541"]').textContent())!, /no fix yet/);
    // The SBOM's packages.
    assert.deepEqual(await packageNames(), ['curl', 'libssl3', 'lodash', 'tar']);
    assert.match((await page.locator('tr[data-package="libssl3"]').textContent())!, /openssl 3\.0\.11-1~deb12u1.*pkg:deb\/debian\/libssl3@3\.0\.11-1~deb12u1\?arch=amd64&distro=debian-12/);
    await screenshot(page, 'scan-report');
  });

  it('the filters change the table through the API, and stay in the URL', async () => {
    const reports: string[] = [];
    const listen = (r: { url(): string }) => { if (r.url().includes('/reports/')) reports.push(r.url()); };
    page.on('request', listen);
    await page.goto(url('/r/alice/app/-/scan/1.0'));
    await page.locator('table.findings').waitFor();
    await page.getByLabel('Severity', { exact: true }).selectOption('high');
    await page.waitForURL(/severity=high/);
    await waitFor(async () => (await findingIds()).join() === 'GHSA-35jh-r3h4-6jhm', 'severity high and above leaves the lodash finding');
    assert.deepEqual(await totals(), { critical: 0, high: 1, medium: 1, low: 2, unknown: 1, total: 5 }, 'the totals are the image\'s, not the filter\'s');
    await page.getByLabel('Severity', { exact: true }).selectOption('');
    await page.getByLabel('Fix', { exact: true }).selectOption('true');
    await page.waitForURL(/fixable=true/);
    await waitFor(async () => (await findingIds()).join() === 'CVE-2023-5363,GHSA-29mw-wpgm-hmr9,GHSA-35jh-r3h4-6jhm', 'only fixable findings');
    await page.getByLabel('Fix', { exact: true }).selectOption('false');
    await waitFor(async () => (await findingIds()).join() === 'CVE-2005-2541,CVE-2010-0928', 'only findings without a fix');
    await page.getByLabel('Fix', { exact: true }).selectOption('');
    // The package filter: libssl3's findings (of its source package, openssl) and the package itself.
    await page.getByLabel('Package', { exact: true }).fill('libssl3');
    await page.waitForURL(/package=libssl3/);
    await waitFor(async () => (await findingIds()).join() === 'CVE-2010-0928,CVE-2023-5363', 'libssl3\'s findings');
    await waitFor(async () => (await packageNames()).join() === 'libssl3', 'the package list is filtered too');
    assert.ok(reports.some((u) => new URL(u).searchParams.get('severity') === 'high'), 'the API filtered by severity');
    assert.ok(reports.some((u) => new URL(u).searchParams.get('fixable') === 'true'), 'the API filtered by fix');
    assert.ok(reports.some((u) => new URL(u).searchParams.get('fixable') === 'false'), 'the API filtered by no fix');
    assert.ok(reports.some((u) => new URL(u).searchParams.get('package') === 'libssl3'), 'the API filtered by package');
    // A link with filters opens filtered.
    await page.goto(url('/r/alice/app/-/scan/1.0?fixable=true&package=libssl3'));
    await waitFor(async () => (await findingIds()).join() === 'CVE-2023-5363', 'fixable libssl3 findings from the URL');
    assert.equal(await page.getByLabel('Package', { exact: true }).inputValue(), 'libssl3');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await waitFor(async () => (await findingIds()).length === 5, 'cleared');
    page.off('request', listen);
  });

  it('downloads the SBOM as CycloneDX and SPDX', async () => {
    await page.goto(url('/r/alice/app/-/scan/1.0'));
    const [cdx] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the CycloneDX SBOM' }).click()]);
    assert.equal(cdx.suggestedFilename(), 'app-1.0.cdx.json');
    const bom = JSON.parse(await readFile((await cdx.path())!, 'utf8'));
    assert.equal(bom.bomFormat, 'CycloneDX');
    assert.deepEqual(bom.components.filter((c: { purl?: string }) => c.purl).map((c: { name: string }) => c.name).sort(), ['curl', 'libssl3', 'lodash', 'tar']);
    const [sp] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the SPDX SBOM' }).click()]);
    assert.equal(sp.suggestedFilename(), 'app-1.0.spdx.json');
    const spdx = JSON.parse(await readFile((await sp.path())!, 'utf8'));
    assert.equal(spdx.spdxVersion, 'SPDX-2.3');
    assert.ok(spdx.packages.some((p: { name: string }) => p.name === 'libssl3'));
  });

  it('switches platforms of a multi-arch image, with each platform\'s SBOM', async () => {
    await page.goto(url('/r/alice/multi/-/scan/latest'));
    await page.locator('table.findings').waitFor();
    const api = expectStatus(await call(server, 'GET', `${base('alice/multi')}/reports/latest`, { as: alice }), 200).body;
    const arm = api.platforms.find((p: { platform: string }) => p.platform === 'linux/arm64');
    assert.equal((await findingIds()).length, api.vulnerabilities.length);
    assert.deepEqual(await packageNames(), ['curl', 'libssl3', 'tar', 'tar']);
    await page.getByRole('group', { name: 'Platform' }).getByRole('button', { name: 'linux/arm64' }).click();
    await page.waitForURL(/platform=linux%2Farm64/);
    await waitFor(async () => (await packageNames()).join() === 'curl,tar', 'arm64\'s packages');
    const armIds = api.vulnerabilities.filter((v: { platform: string }) => v.platform === 'linux/arm64').map((v: { id: string }) => v.id).sort();
    assert.deepEqual(await findingIds(), armIds);
    assert.deepEqual(armIds, ['CVE-2005-2541']);
    const t = await totals();
    assert.deepEqual({ low: t.low, unknown: t.unknown, total: t.total }, { low: arm.summary.low, unknown: arm.summary.unknown, total: 1 });
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the SPDX SBOM for linux/arm64' }).click()]);
    const spdx = JSON.parse(await readFile((await dl.path())!, 'utf8'));
    assert.deepEqual(spdx.packages.filter((p: { primaryPackagePurpose?: string }) => p.primaryPackagePurpose !== 'CONTAINER').map((p: { name: string }) => p.name).sort(), ['curl', 'tar']);
    assert.equal(await page.getByRole('link', { name: /for linux\/amd64/ }).count(), 0, 'only the chosen platform\'s SBOM is offered');
    await screenshot(page, 'scan-report-platform');
  });

  it('"Scan now" scans an unscanned tag, follows the job and shows the report', async () => {
    await page.goto(url('/r/alice/app/-/scan/2.0'));
    await page.getByText('Not scanned yet.').waitFor();
    assert.equal((await findingIds()).length, 0);
    await page.getByRole('button', { name: 'Scan now' }).click();
    await page.getByText('Scan finished.').waitFor({ timeout: 60_000 });
    await waitFor(async () => (await findingIds()).join() === 'CVE-2005-2541', 'the new report\'s finding');
    assert.equal(await page.getByText('Not scanned yet.').count(), 0);
    assert.deepEqual(await packageNames(), ['tar']);
    const api = expectStatus(await call(server, 'GET', `${base('alice/app')}/reports/2.0`, { as: alice }), 200).body;
    assert.equal(api.status, 'done');
    // The tags view now counts it.
    await page.goto(url('/r/alice/app/-/tags?view=cards'));
    await page.locator('.tag[data-tag="2.0"] .tag-vulns .sev').first().waitFor();
  });

  it('the owner edits the project\'s scan policy in its settings; the API has it', async () => {
    await page.goto(url('/projects/acme/settings'));
    const form = page.getByRole('form', { name: 'Vulnerability scanning' });
    await form.waitFor();
    assert.equal(await form.getByLabel('Scan on push').isChecked(), true, 'the default: scan on push');
    await form.getByLabel('Scan on push').uncheck();
    await form.getByLabel('Refuse pulls of images with vulnerabilities of severity').selectOption('high');
    await form.getByLabel('Only fixable vulnerabilities count').check();
    await form.getByLabel('Refuse pulls of unscanned images').check();
    await form.getByLabel('Grace period', { exact: true }).fill('2');
    await form.getByLabel('Grace period unit').selectOption({ label: 'hours' });
    await form.getByRole('button', { name: 'Add advisory' }).click();
    await form.getByLabel('Advisory 1', { exact: true }).fill('CVE-2021-23337');
    await form.getByLabel('Expiry of advisory 1').fill('2099-01-01');
    await form.getByLabel('Reason for advisory 1').fill('lodash template is not used');
    await form.getByRole('button', { name: 'Add advisory' }).click();
    await form.getByLabel('Advisory 2', { exact: true }).fill('CVE-2005-2541');
    await form.getByLabel('Exempt accounts').fill('replicator robot$acme+ci');
    await form.getByRole('button', { name: 'Save scan policy' }).click();
    await form.getByText('Saved.').waitFor();
    const saved = expectStatus(await call(server, 'GET', '/projects/acme/scan-policy', { as: alice }), 200).body;
    assert.deepEqual(saved, {
      scanOnPush: false, preventSeverity: 'high', fixableOnly: true, preventUnscanned: true, graceSeconds: 7200,
      allowlist: [{ id: 'CVE-2021-23337', expiresAt: '2099-01-01T00:00:00Z', reason: 'lodash template is not used' }, { id: 'CVE-2005-2541' }],
      exempt: ['replicator', 'robot$acme+ci'],
    });
    // After a reload the form shows what was saved; removing an entry saves too.
    await page.reload();
    await form.waitFor();
    assert.equal(await form.getByLabel('Scan on push').isChecked(), false);
    assert.equal(await form.getByLabel('Grace period', { exact: true }).inputValue(), '2');
    assert.equal(await form.getByLabel('Grace period unit').inputValue(), '3600');
    assert.equal(await form.getByLabel('Expiry of advisory 1').inputValue(), '2099-01-01');
    await form.getByRole('button', { name: 'Remove advisory 2' }).click();
    await form.getByRole('button', { name: 'Save scan policy' }).click();
    await form.getByText('Saved.').waitFor();
    await waitFor(async () => (await call(server, 'GET', '/projects/acme/scan-policy', { as: alice })).body.allowlist.length === 1, 'the entry is removed');
    await screenshot(page, 'scan-policy');
    // A refusal from the server is shown, and changes nothing.
    await form.getByRole('button', { name: 'Add advisory' }).click();
    await form.getByLabel('Advisory 2', { exact: true }).fill('not an id!');
    await form.getByLabel('Advisory 2', { exact: true }).evaluate((e) => e.removeAttribute('pattern'));
    await form.getByRole('button', { name: 'Save scan policy' }).click();
    await form.getByRole('alert').waitFor();
    assert.equal((await call(server, 'GET', '/projects/acme/scan-policy', { as: alice })).body.allowlist.length, 1);
  });

  it('a guest reads the policy where the settings are, and can neither change it nor scan', async () => {
    await signIn(gus);
    await page.goto(url('/projects/acme'));
    // With trust (always on) beside scanning, a guest's tab holds both policies.
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.waitForURL(/\/projects\/acme\/settings$/);
    const form = page.getByRole('form', { name: 'Vulnerability scanning' });
    await form.waitFor();
    assert.equal(await page.getByRole('link', { name: 'Settings' }).count(), 0);
    assert.equal(await page.getByText('General').count(), 0, 'not the project\'s general settings');
    assert.equal(await form.getByRole('button', { name: /Save|Add advisory|Remove/ }).count(), 0);
    assert.ok(await form.getByText('Only the project\'s owners').isVisible());
    for (const label of ['Scan on push', 'Only fixable vulnerabilities count', 'Refuse pulls of unscanned images', 'Exempt accounts']) {
      assert.equal(await form.getByLabel(label).isDisabled(), true, `${label} is read-only`);
    }
    assert.equal(await form.getByLabel('Refuse pulls of images with vulnerabilities of severity').inputValue(), 'high');
    assert.equal(await form.getByLabel('Refuse pulls of images with vulnerabilities of severity').isDisabled(), true);
    assert.equal(await form.getByTestId('grace-period').textContent(), '2 hours');
    assert.equal(await form.getByLabel('Advisory 1', { exact: true }).inputValue(), 'CVE-2021-23337');
    assert.equal(await form.getByLabel('Exempt accounts').inputValue(), 'replicator robot$acme+ci');
    await screenshot(page, 'scan-policy-guest');
    // The guest sees the counts and the report, without "Scan now".
    await page.goto(url('/r/acme/tool/-/tags?view=cards'));
    await page.locator('.tag[data-tag="1"] .tag-vulns .sev').first().waitFor();
    await page.goto(url('/r/acme/tool/-/scan/1'));
    await page.locator('table.findings').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Scan now' }).count(), 0);
    // And the API agrees: a guest may not change it.
    expectStatus(await call(server, 'PATCH', '/projects/acme/scan-policy', { as: gus, body: { scanOnPush: true } }), 403);
  });

  it('Explore filters repositories that have a vulnerability scan', async () => {
    await signIn(alice);
    await page.goto(url('/search?sort=name'));
    await page.locator('.repo-list').waitFor();
    const names = () => page.locator('.repo-list .repo-link').allTextContents();
    await waitFor(async () => (await names()).join() === 'acme/tool,alice/app,alice/multi,alice/plain', 'every repository');
    await page.getByLabel('Has a vulnerability scan').check();
    await page.waitForURL(/scanned=1/);
    await waitFor(async () => (await names()).join() === 'acme/tool,alice/app,alice/multi', 'only scanned repositories');
    await page.getByRole('heading', { name: '3 repositories' }).waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('Has a vulnerability scan').isChecked(), true);
    await waitFor(async () => (await names()).join() === 'acme/tool,alice/app,alice/multi', 'the filter is in the URL');
    await page.getByLabel('Has a vulnerability scan').uncheck();
    await waitFor(async () => (await names()).length === 4, 'unfiltered again');
  });

  it('works at 390 px wide: the tags view and the report do not scroll sideways', async () => {
    const mobile = await browser.newPage({ width: 390, height: 844 });
    try {
      for (const path of ['/r/alice/app/-/tags?view=cards', '/r/alice/app/-/scan/1.0', '/r/alice/multi/-/scan/latest', '/projects/acme/settings']) {
        await mobile.goto(url(path));
        await mobile.locator('main .tag-vulns .sev, main table.findings, main form.scan-policy').first().waitFor();
        const width = await mobile.evaluate('document.documentElement.scrollWidth');
        assert.ok(Number(width) <= 390, `${path} is ${width} px wide at a 390 px viewport`);
      }
      await screenshot(mobile, 'mobile-scan-report');
    } finally {
      await mobile.close();
    }
  });

  it('raised no page errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});

describe('scan UI on a server without scanning', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let browser: Browser;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD }, config: { scan: { enabled: false } } });
    await pushLayers(server, ADMIN, 'library/base', '1', [OS()]);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows no scan column, filter or policy', async () => {
    const features = expectStatus(await call(server, 'GET', '/capabilities'), 200).body.features;
    assert.ok(!features.includes('scan'), features.join());
    const page = await browser.newPage();
    const asked: string[] = [];
    page.on('request', (r) => { if (/scan-summaries|scan-policy|\/reports\//.test(r.url())) asked.push(r.url()); });
    await page.goto(`${server.url}/r/library/base/-/tags?view=cards`);
    await page.locator('.tag[data-tag="1"]').waitFor();
    await page.goto(`${server.url}/search`);
    await page.locator('.repo-list').waitFor();
    assert.equal(await page.getByLabel('Has a vulnerability scan').count(), 0);
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Account: admin' }).waitFor();
    await page.goto(`${server.url}/projects/library/settings`);
    await page.getByRole('heading', { name: 'General' }).waitFor();
    await page.getByRole('button', { name: 'Save changes' }).waitFor();
    assert.equal(await page.getByRole('form', { name: 'Vulnerability scanning' }).count(), 0, 'no scan policy in the settings');
    await page.goto(`${server.url}/r/library/base/-/tags?view=cards`);
    await page.locator('.tag[data-tag="1"]').waitFor();
    // Give any late request its chance before counting.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await page.locator('.tag-vulns').count(), 0, 'no vulnerability column');
    assert.deepEqual(asked, [], 'no scan API was asked');
    assert.deepEqual(browser.problems, []);
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
