// Vulnerability scanning of real images pushed with skopeo to a `berth serve --auth builtin`,
// with the feed fixtures (real advisories) imported by `berth vulndb import --url`. Every
// expectation is worked out without Berth: the Debian inventory is dpkg-query on the image's own
// database, the Debian findings follow from the tracker's JSON with the real `dpkg
// --compare-versions` as the judge of "below the fix", the Python package is read from its
// metadata file, the npm one is what the real `npm ci` installed.
//   - a debootstrap bookworm rootfs (openssl, curl, zlib1g, bash), as one layer;
//   - the same packages distroless style (status.d/<package>: each package's control stanza, and
//     its md5sums; no status file);
//   - Debian's python3-jinja2 (its egg-info metadata) and the two jinja2 GHSAs above its version;
//   - an `npm ci` tree with lodash 4.17.20 and its two GHSAs;
//   - `berth scan REF` scans again and prints the report; `berth vulndb status` shows the feed.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok, type CliResult } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { debianRootfs, ensureDebianTool, extractFromRootfs, type Rootfs } from '../helpers/rootfs.ts';
import { FIXTURES, waitReport } from '../integration/scan-helpers.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { dpkgQueryLines, expectedTrackerFindings, findingLines, installedDebs, type InstalledDeb, type ReportFinding } from './helpers/debian-oracle.ts';
import type { Credentials, TestRegistry } from './helpers/registry.ts';
import { distrolessStatusD, gzipLayer, npmCiApp, tarLayer, writeImageLayout, type LayoutImage } from './helpers/scan-images.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const ADMIN: Credentials = { user: 'admin', password: 'e2e-Admin-pa55word' };
const ALICE: Credentials = { user: 'alice', password: 'e2e-Alice-pa55word' };
const T = { timeout: 600_000 };
const DEBIAN_INCLUDE = ['openssl', 'curl', 'zlib1g', 'bash'];

interface Report {
  repository: string; reference: string; digest: string; status: string; error: string | null; scannedAt: string | null;
  feed: { id: number; digest: string; dataTime: string; ageSeconds: number } | null;
  inventory: { os: { id: string; versionId: string } | null } | null;
  packages: { name: string; version: string; type: string; purl: string }[];
  vulnerabilities: (ReportFinding & { cvss: number | null })[];
}

const basic = (c: Credentials) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
const packageLines = (r: Report, type: string) => r.packages.filter((p) => p.type === type).map((p) => `${p.name} ${p.version}`).sort();

/** PEP 440 release versions made only of numbers ("3.1.2"), compared number by number. */
function releaseLessThan(a: string, b: string): boolean {
  for (const v of [a, b]) assert.match(v, /^\d+(\.\d+)*$/, `the test compares plain release versions only, not ${v}`);
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  }
  return false;
}

/** The core metadata headers (up to the first blank line) of a METADATA or PKG-INFO file. */
function metadataHeader(text: string, field: string): string | undefined {
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  return new RegExp(`^${field}:\\s*(.+?)\\s*$`, 'mi').exec(head)?.[1];
}

describe('scanning real images pushed with skopeo', { timeout: 40 * 60_000 }, () => {
  let server: BerthProcess;
  let client: ClientEnv;
  let skopeo: Skopeo;
  let debian: Rootfs;
  let tracker: Parameters<typeof expectedTrackerFindings>[0];
  /** The debootstrap image's own dpkg database, extracted. */
  let admindir: string;
  let installed: InstalledDeb[];
  let debianImage: LayoutImage;

  const cli = (args: string[], as: Credentials = ALICE): Promise<CliResult> =>
    berth([...args, '--url', server.url, '--user', as.user], { env: { BERTH_PASSWORD: as.password } });
  const report = async (ref: string): Promise<Report> => JSON.parse(ok(await cli(['scan', 'report', `${server.host}/${ref}`, '--json'])).stdout) as Report;

  /** Pushes a layout image with skopeo as alice; checks the registry serves the same manifest. */
  async function push(image: LayoutImage, name: string): Promise<void> {
    const digestFile = join(client.dir, `digest-${name.replace(/\W/g, '_')}`);
    await skopeo.copy(image.source, skopeo.ref(name), ['--digestfile', digestFile], { creds: ALICE });
    assert.equal((await readFile(digestFile, 'utf8')).trim(), image.manifestDigest, 'skopeo pushed the manifest as written');
  }

  /** Waits for the scan on push of repo:tag, then reads its report with `berth scan report --json`. */
  async function scannedOnPush(repo: string, tag: string, digest: string): Promise<Report> {
    const started = Date.now();
    await waitReport(server, [ALICE.user, ALICE.password], repo, tag, (r) => r.status !== 'not-scanned', 300_000);
    process.stderr.write(`[scan e2e] ${repo}:${tag} scanned on push ${Date.now() - started} ms after the push\n`);
    const r = await report(`${repo}:${tag}`);
    assert.equal(r.status, 'done', `the scan of ${repo}:${tag} failed: ${r.error}`);
    assert.equal(r.digest, digest);
    assert.ok(r.feed, 'the report names the feed it was matched with');
    return r;
  }

  before(async () => {
    requireTools('skopeo', 'tar');
    ensureDebianTool('dpkg-query', 'dpkg');
    debian = await debianRootfs({ include: DEBIAN_INCLUDE });
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
    const res = await fetch(`${server.url}/api/v1/users`, {
      method: 'POST', headers: { authorization: basic(ADMIN), 'content-type': 'application/json' }, body: JSON.stringify({ name: ALICE.user, password: ALICE.password }),
    });
    assert.equal(res.status, 201, await res.text());
    client = await createClientEnv(server.host);
    const registry: TestRegistry = { kind: 'berth', url: server.url, host: server.host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(client, registry);
    tracker = JSON.parse(await readFile(join(FIXTURES, 'debian-tracker.json'), 'utf8'));
    const root = await client.scratch('debian-root');
    extractFromRootfs(debian, root, ['./var/lib/dpkg']);
    admindir = join(root, 'var', 'lib', 'dpkg');
    installed = installedDebs(admindir);
    assert.ok(installed.length > 50, `a minbase rootfs has many packages, not ${installed.length}`);
  });

  after(async () => {
    if (process.env.E2E_SERVER_LOGS) console.log(server?.logs());
    await client?.cleanup();
    await server?.stop();
  });

  it('berth vulndb import --url loads the fixtures as an administrator, and alice may not', T, async () => {
    const denied = await cli(['vulndb', 'import', join(FIXTURES, 'debian-tracker.json')]);
    assert.notEqual(denied.code, 0, 'alice is not an administrator');
    assert.match(denied.stderr, /only system administrators manage the vulnerability feed/, denied.stderr);

    const tracked = JSON.parse(ok(await cli(['vulndb', 'import', join(FIXTURES, 'debian-tracker.json'), '--json'], ADMIN)).stdout) as { format: string; records: number; affected: number };
    assert.equal(tracked.format, 'debian-tracker');
    assert.equal(tracked.records, Object.keys(tracker).length, 'one record per source package of the tracker');
    // One affected entry per (issue, release), except the releases that never had the bug (fixed in "0").
    const entries = Object.values(tracker).flatMap((issues) => Object.values(issues).flatMap((i) => Object.values(i.releases))).filter((e) => e.fixed_version !== '0');
    assert.equal(tracked.affected, entries.length);

    // With --url the CLI sends one file: the OSV folder as a tar of its JSON files.
    const osvTar = join(client.dir, 'osv.tar');
    await client.run('tar', ['-C', FIXTURES, '-cf', osvTar, 'osv']);
    const osvFiles = (await readdir(join(FIXTURES, 'osv'))).filter((f) => f.endsWith('.json'));
    const osv = JSON.parse(ok(await cli(['vulndb', 'import', osvTar, '--json'], ADMIN)).stdout) as { format: string; records: number; invalid: number };
    assert.equal(osv.format, 'osv');
    assert.equal(osv.records, osvFiles.length);
    assert.equal(osv.invalid, 0);
  });

  it('a debootstrap bookworm image: the inventory is dpkg-query\'s, the findings are what the tracker implies', T, async () => {
    const layout = await client.scratch('debian-layout');
    debianImage = await writeImageLayout(layout, '12', [await gzipLayer(debian.tarball)]);
    await push(debianImage, 'alice/debian:12');
    const r = await scannedOnPush('alice/debian', '12', debianImage.manifestDigest);
    assert.deepEqual(r.inventory?.os && { id: r.inventory.os.id, versionId: r.inventory.os.versionId }, { id: 'debian', versionId: '12' });
    assert.deepEqual(packageLines(r, 'deb'), dpkgQueryLines(admindir), 'the deb packages are exactly dpkg-query -W on the image\'s database');
    assert.deepEqual([...new Set(r.packages.map((p) => p.type))], ['deb'], 'a minbase rootfs holds only Debian packages');
    const expected = expectedTrackerFindings(tracker, installed);
    assert.ok(expected.length > 10, `the fixtures affect a bookworm rootfs: ${expected.join('\n')}`);
    assert.deepEqual(findingLines(r.vulnerabilities, 'deb'), expected);
    assert.equal(r.vulnerabilities.length, expected.length, 'no findings besides the Debian ones');
    const ssl = r.packages.find((p) => p.name === 'libssl3');
    const version = installed.find((p) => p.name === 'libssl3')!.version;
    assert.equal(ssl?.purl, `pkg:deb/debian/libssl3@${encodeURIComponent(version)}?arch=amd64&distro=debian-12`);
  });

  it('the same packages distroless style (status.d/<package> control files, no status file): the same inventory', T, async () => {
    const from = await client.scratch('debian-os-release');
    extractFromRootfs(debian, from, ['./etc/os-release', './usr/lib/os-release']);
    const root = await client.scratch('distroless-root');
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'usr', 'lib'), { recursive: true });
    await writeFile(join(root, 'usr', 'lib', 'os-release'), await readFile(join(from, 'usr', 'lib', 'os-release')));
    await writeFile(join(root, 'etc', 'os-release'), await readFile(join(from, 'etc', 'os-release')));
    const names = await distrolessStatusD(admindir, root);
    assert.deepEqual(names.sort(), installed.map((p) => p.name).sort(), 'one status.d file per installed package');
    const libssl = await readFile(join(root, 'var', 'lib', 'dpkg', 'status.d', 'libssl3'), 'utf8');
    assert.doesNotMatch(libssl, /^Status:/m, 'a control file has no Status');
    assert.match(libssl, /^Source: openssl$/m);
    const layer = await tarLayer(root, join(await client.scratch('distroless-layer'), 'layer.tgz'));
    const listing = (await client.run('tar', ['-tzf', layer.file])).stdout.split('\n');
    assert.ok(!listing.includes('./var/lib/dpkg/status'), 'no status file');
    assert.ok(listing.includes('./var/lib/dpkg/status.d/libssl3.md5sums'));
    const image = await writeImageLayout(await client.scratch('distroless-layout'), '12', [layer]);
    await push(image, 'alice/distroless:12');
    const r = await scannedOnPush('alice/distroless', '12', image.manifestDigest);
    assert.deepEqual(packageLines(r, 'deb'), dpkgQueryLines(admindir), 'the same inventory as the full rootfs');
    assert.deepEqual(findingLines(r.vulnerabilities, 'deb'), expectedTrackerFindings(tracker, installed));
    assert.equal(r.vulnerabilities.length, findingLines(r.vulnerabilities, 'deb').length);
  });

  it('Debian\'s python3-jinja2: jinja2 at its metadata\'s version, and the jinja2 GHSAs fixed above it', T, async () => {
    const python = await debianRootfs({ include: ['python3-jinja2'] });
    const root = await client.scratch('python-root');
    extractFromRootfs(python, root, ['./var/lib/dpkg', './usr/lib/python3/dist-packages']);
    // Every Python distribution's core metadata in the image: *.dist-info/METADATA, *.egg-info/PKG-INFO.
    // (Debian bookworm's python3-jinja2 ships Jinja2-3.1.2.egg-info, not a dist-info.)
    const listing = (await client.run('tar', ['-tzf', python.tarball], { timeoutMs: 300_000 })).stdout.split('\n');
    const metadataFiles = listing.filter((p) => /\.dist-info\/METADATA$|\.egg-info\/PKG-INFO$/.test(p));
    assert.ok(listing.every((p) => !/\.egg-info$/.test(p)), 'no single-file egg-info in this image');
    const pypi: string[] = [];
    let jinja2: string | undefined;
    for (const file of metadataFiles) {
      const text = await readFile(join(root, file), 'utf8');
      const name = metadataHeader(text, 'Name')!.replace(/[-_.]+/g, '-').toLowerCase();
      const version = metadataHeader(text, 'Version')!;
      pypi.push(`${name} ${version}`);
      if (name === 'jinja2') jinja2 = version;
    }
    assert.ok(jinja2, `python3-jinja2 installs jinja2's metadata: ${metadataFiles.join(', ')}`);

    const image = await writeImageLayout(await client.scratch('python-layout'), '3', [await gzipLayer(python.tarball)]);
    await push(image, 'alice/python:3');
    const r = await scannedOnPush('alice/python', '3', image.manifestDigest);
    assert.deepEqual(packageLines(r, 'pypi'), pypi.sort(), 'the Python packages are those of the metadata files');
    assert.deepEqual(r.packages.filter((p) => p.name === 'jinja2').map((p) => `${p.type} ${p.version} ${p.purl}`), [`pypi ${jinja2} pkg:pypi/jinja2@${jinja2}`]);

    // The OSV fixtures' jinja2 advisories whose range holds the installed version.
    const expected: string[] = [];
    for (const file of await readdir(join(FIXTURES, 'osv'))) {
      const record = JSON.parse(await readFile(join(FIXTURES, 'osv', file), 'utf8')) as { id: string; affected: { package: { ecosystem: string; name: string }; ranges: { events: { introduced?: string; fixed?: string }[] }[] }[] };
      for (const a of record.affected.filter((x) => x.package.ecosystem === 'PyPI' && x.package.name.toLowerCase() === 'jinja2')) {
        for (const range of a.ranges) {
          const introduced = range.events.find((e) => e.introduced)?.introduced ?? '0';
          const fixed = range.events.find((e) => e.fixed)?.fixed;
          assert.ok(fixed, `${record.id} has a fix`);
          if ((introduced === '0' || !releaseLessThan(jinja2, introduced)) && releaseLessThan(jinja2, fixed)) expected.push(`${record.id} jinja2 ${jinja2} ${fixed}`);
        }
      }
    }
    assert.equal(expected.length, 2, `two jinja2 GHSAs of the fixtures are fixed above ${jinja2}: ${expected.join('; ')}`);
    assert.deepEqual(r.vulnerabilities.filter((v) => v.type === 'pypi').map((v) => `${v.id} ${v.package} ${v.installedVersion} ${v.fixedVersion}`).sort(), expected.sort());
    // The image's Debian packages are matched as well, with the same oracle.
    const pyAdmindir = join(root, 'var', 'lib', 'dpkg');
    assert.deepEqual(packageLines(r, 'deb'), dpkgQueryLines(pyAdmindir));
    assert.deepEqual(findingLines(r.vulnerabilities, 'deb'), expectedTrackerFindings(tracker, installedDebs(pyAdmindir)));
  });

  it('an `npm ci` tree: lodash 4.17.20 once, and its two GHSAs fixed in 4.17.21', T, async () => {
    const root = await client.scratch('node-root');
    const app = join(root, 'app');
    await npmCiApp(app, { lodash: '4.17.20' });
    const installedLodash = JSON.parse(await readFile(join(app, 'node_modules', 'lodash', 'package.json'), 'utf8')) as { version: string };
    assert.equal(installedLodash.version, '4.17.20', 'npm ci installed the pinned lodash');
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    assert.equal(lock.packages['node_modules/lodash']?.version, '4.17.20');
    await rm(join(root, '.npm-cache'), { recursive: true, force: true });
    const image = await writeImageLayout(await client.scratch('node-layout'), '1', [await tarLayer(root, join(await client.scratch('node-layer'), 'layer.tgz'))]);
    await push(image, 'alice/node:1');
    const r = await scannedOnPush('alice/node', '1', image.manifestDigest);
    assert.deepEqual(packageLines(r, 'npm'), ['lodash 4.17.20'], 'the app\'s one dependency is its only npm package');
    assert.deepEqual(r.packages.filter((p) => p.name === 'lodash').map((p) => `${p.type} ${p.version} ${p.purl}`), ['npm 4.17.20 pkg:npm/lodash@4.17.20'], 'lodash once, though both the lock file and node_modules list it');
    assert.deepEqual(r.vulnerabilities.map((v) => `${v.id} ${v.package} ${v.installedVersion} ${v.fixedVersion} ${v.severity} ${v.cvss}`).sort(), [
      'GHSA-29mw-wpgm-hmr9 lodash 4.17.20 4.17.21 medium 5.3',
      'GHSA-35jh-r3h4-6jhm lodash 4.17.20 4.17.21 high 7.2',
    ]);
  });

  it('berth scan REF --url scans the image again and prints its report', T, async () => {
    const before = await report('alice/debian:12');
    const scanned = ok(await cli(['scan', `${server.host}/alice/debian:12`]));
    assert.match(scanned.stderr, /queued as job \d+/);
    assert.match(scanned.stdout, new RegExp(`^alice/debian@${debianImage.manifestDigest} \\(`, 'm'));
    const expected = expectedTrackerFindings(tracker, installed);
    assert.match(scanned.stdout, new RegExp(`Debian GNU/Linux 12 \\(bookworm\\), ${installed.length} packages; ${expected.length} vulnerabilities`));
    // The findings table: one row per finding, ID SEVERITY PACKAGE INSTALLED FIXED.
    const rows = scanned.stdout.split('\n').filter((l) => /^(CVE|GHSA)-/.test(l)).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows.map(([id, severity, pkg, version, fixed]) => `${id} ${pkg} ${version} ${fixed === '(no' ? '-' : fixed} ${severity}`).sort(), expected);
    const after = await report('alice/debian:12');
    assert.ok(after.scannedAt && before.scannedAt && Date.parse(after.scannedAt) > Date.parse(before.scannedAt), `scanned again: ${before.scannedAt} -> ${after.scannedAt}`);
    assert.deepEqual(findingLines(after.vulnerabilities, 'deb'), expected);
  });

  it('berth vulndb status --url shows the active feed\'s digest and age', T, async () => {
    const api = await fetch(`${server.url}/api/v1/vulndb`, { headers: { authorization: basic(ALICE) } });
    assert.equal(api.status, 200);
    const { active } = await api.json() as { active: { id: number; digest: string; dataTime: string; imports: { source: string; digest: string }[] } };
    const shown = ok(await cli(['vulndb', 'status']));
    assert.match(shown.stdout, new RegExp(`^Feed ${active.id}: ${active.digest}$`, 'm'));
    const days = Number(/: ([\d.]+) days old/.exec(shown.stdout)?.[1]);
    const expectedDays = (Date.now() - Date.parse(active.dataTime)) / 86_400_000;
    assert.ok(Math.abs(days - expectedDays) < 0.11, `the age shown (${days} days) is the feed data's (${expectedDays.toFixed(2)} days)`);
    for (const i of active.imports) assert.match(shown.stdout, new RegExp(`^${i.source}\\s`, 'm'));
    assert.deepEqual(active.imports.map((i) => i.source).sort(), ['debian-tracker', 'osv:npm,pypi']);
    // The reports name the same feed.
    const r = await report('alice/debian:12');
    assert.equal(r.feed?.digest, active.digest);
  });
});
