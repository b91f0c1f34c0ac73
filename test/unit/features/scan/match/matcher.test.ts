// The matcher, rule by rule, with hand-made advisories: source and binary names, releases,
// ranges with several events, last_affected, limit, versions[], open issues, fixed versions,
// deduplication and alias merging, npm scopes, PyPI names, Go's "v", rpm and apk.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrackerPackage } from '../../../../../src/features/scan/advisories/debian-tracker.ts';
import { parseOsv } from '../../../../../src/features/scan/advisories/osv.ts';
import type { AffectedPackage, Finding } from '../../../../../src/features/scan/advisories/types.ts';
import type { OsRelease, Package, PackageType } from '../../../../../src/features/scan/inventory/types.ts';
import { fixedVersionFor, isAffected, match, matchAsync, matchKeys, mergeFindings, releaseKey, summarise, worst, type AdvisoryLookup } from '../../../../../src/features/scan/match/matcher.ts';

const BOOKWORM: OsRelease = { id: 'debian', versionId: '12.5', codename: 'bookworm' };

function pkg(type: PackageType, name: string, version: string, source?: { name: string; version: string }): Package {
  return { type, name, version, purl: `pkg:${type}/${name}@${version}`, location: 'x', ...(source ? { source } : {}) };
}

function ap(p: Partial<AffectedPackage> & Pick<AffectedPackage, 'advisory' | 'type' | 'name'>): AffectedPackage {
  return { aliases: [], ranges: [], versions: [], severity: 'medium', links: [], ...p };
}

/** A lookup over a list that returns everything of the name (whatever the release), and records its calls. */
function lookupOf(advisories: readonly AffectedPackage[]): AdvisoryLookup & { calls: string[] } {
  const calls: string[] = [];
  const fn: AdvisoryLookup = (type, name, release) => {
    calls.push(`${type} ${name} ${release ?? '-'}`);
    return advisories.filter((a) => a.type === type && a.name === name);
  };
  return Object.assign(fn, { calls });
}

function ids(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.package}@${f.installedVersion} ${f.advisory}${f.fixedVersion ? ` fixed ${f.fixedVersion}` : ''}`);
}

describe('release keys', () => {
  it('maps os-release to the keys advisories use', () => {
    assert.equal(releaseKey({ id: 'debian', versionId: '12.5' }), 'debian:12');
    assert.equal(releaseKey({ id: 'debian', versionId: '11' }), 'debian:11');
    assert.equal(releaseKey({ id: 'debian', versionId: '', codename: 'trixie' }), 'debian:13');
    assert.equal(releaseKey({ id: 'debian', versionId: '' }), 'debian:unstable');
    assert.equal(releaseKey({ id: 'alpine', versionId: '3.19.1' }), 'alpine:3.19');
    assert.equal(releaseKey({ id: 'alpine', versionId: '3.21.0_alpha20240807' }), 'alpine:edge');
    assert.equal(releaseKey({ id: 'ubuntu', versionId: '22.04' }), 'ubuntu:22.04');
    assert.equal(releaseKey({ id: 'rhel', versionId: '9.4' }), 'rhel:9');
    assert.equal(releaseKey({ id: 'almalinux', versionId: '9.3' }), 'almalinux:9');
    assert.equal(releaseKey({ id: 'rocky', versionId: '8.9' }), 'rocky:8');
    assert.equal(releaseKey({ id: 'wolfi', versionId: '20230201' }), 'wolfi:20230201');
    assert.equal(releaseKey(undefined), undefined);
  });
});

describe('matcher', () => {
  it('matches dpkg binary packages on their source name and version', () => {
    const advisories = [
      ap({ advisory: 'CVE-2024-0727', type: 'deb', name: 'openssl', release: 'debian:12', ranges: [{ fixed: '3.0.13-1~deb12u1' }], severity: 'medium' }),
      ap({ advisory: 'CVE-BINARY', type: 'deb', name: 'libssl3', release: 'debian:12' }), // advisories never name binaries
    ];
    const lookup = lookupOf(advisories);
    const packages = [pkg('deb', 'libssl3', '3.0.11-1~deb12u2', { name: 'openssl', version: '3.0.11-1~deb12u2' }), pkg('deb', 'openssl', '3.0.11-1~deb12u2')];
    const findings = match({ packages, os: BOOKWORM, lookup });
    assert.deepEqual(ids(findings), ['libssl3@3.0.11-1~deb12u2 CVE-2024-0727 fixed 3.0.13-1~deb12u1', 'openssl@3.0.11-1~deb12u2 CVE-2024-0727 fixed 3.0.13-1~deb12u1']);
    assert.deepEqual(findings[0]!.source, { name: 'openssl', version: '3.0.11-1~deb12u2' });
    assert.equal(findings[1]!.source, undefined); // its own source
    assert.equal(findings[0]!.purl, 'pkg:deb/libssl3@3.0.11-1~deb12u2');
    assert.deepEqual(lookup.calls, ['deb openssl debian:12']); // one query for both packages
  });

  it("uses the source's version, not a binNMU's binary version", () => {
    const advisories = [ap({ advisory: 'DSA-1', type: 'deb', name: 'zlib', release: 'debian:12', versions: ['1:1.2.13.dfsg-1'] })];
    const packages = [pkg('deb', 'zlib1g', '1:1.2.13.dfsg-1+b1', { name: 'zlib', version: '1:1.2.13.dfsg-1' })];
    assert.deepEqual(ids(match({ packages, os: BOOKWORM, lookup: lookupOf(advisories) })), ['zlib1g@1:1.2.13.dfsg-1+b1 DSA-1']);
  });

  it('never matches an advisory of another release, and gives no OS findings without a release', () => {
    const advisories = [
      ap({ advisory: 'CVE-11', type: 'deb', name: 'bash', release: 'debian:11', ranges: [{ fixed: '5.2.15-3' }] }),
      ap({ advisory: 'CVE-NONE', type: 'deb', name: 'bash', ranges: [{ fixed: '5.2.15-2' }] }),
      ap({ advisory: 'CVE-12', type: 'deb', name: 'bash', release: 'debian:12', ranges: [{ fixed: '5.2.15-2+b1' }] }),
      ap({ advisory: 'GHSA-x', type: 'npm', name: 'left-pad', ranges: [{ fixed: '1.1.0' }] }),
    ];
    const packages = [pkg('deb', 'bash', '5.2.15-2'), pkg('npm', 'left-pad', '1.0.0')];
    assert.deepEqual(ids(match({ packages, os: BOOKWORM, lookup: lookupOf(advisories) })), ['bash@5.2.15-2 CVE-12 fixed 5.2.15-2+b1', 'left-pad@1.0.0 GHSA-x fixed 1.1.0']);
    assert.deepEqual(ids(match({ packages, lookup: lookupOf(advisories) })), ['left-pad@1.0.0 GHSA-x fixed 1.1.0']);
    assert.deepEqual(ids(match({ packages, os: { id: 'debian', versionId: '11.9' }, lookup: lookupOf(advisories) })), ['bash@5.2.15-2 CVE-11 fixed 5.2.15-3', 'left-pad@1.0.0 GHSA-x fixed 1.1.0']);
  });

  it('reads ranges with several introduced and fixed events', () => {
    const a = ap({ advisory: 'GHSA-multi', type: 'npm', name: 'x', ranges: [{ introduced: '1.0.0', fixed: '1.0.2' }, { introduced: '3.0.0', fixed: '3.2.5' }] });
    const cases: [string, boolean, string | undefined][] = [
      ['0.9.0', false, undefined],
      ['1.0.0', true, '1.0.2'],
      ['1.0.1', true, '1.0.2'],
      ['1.0.2', false, undefined],
      ['2.0.0', false, undefined],
      ['3.0.0-rc.1', false, undefined],
      ['3.1.0', true, '3.2.5'],
      ['3.2.5', false, undefined],
    ];
    for (const [v, affected, fixed] of cases) {
      const got = match({ packages: [pkg('npm', 'x', v)], lookup: lookupOf([a]) });
      assert.equal(got.length, affected ? 1 : 0, v);
      if (affected) assert.equal(got[0]!.fixedVersion, fixed, v);
    }
  });

  it('reads last_affected and limit as inclusive and exclusive upper bounds', () => {
    const last = ap({ advisory: 'GHSA-last', type: 'maven', name: 'com.h2database:h2', ranges: [{ lastAffected: '2.1.214' }] });
    assert.equal(isAffected('2.1.214', last), true);
    assert.equal(isAffected('2.1.210', last), true);
    assert.equal(isAffected('2.2.220', last), false);
    assert.equal(fixedVersionFor('2.1.214', last), undefined);
    const limited = ap({ advisory: 'X', type: 'npm', name: 'x', ranges: [{ introduced: '1.0.0', limit: '2.0.0' }] });
    assert.equal(isAffected('1.5.0', limited), true);
    assert.equal(isAffected('2.0.0', limited), false);
    assert.equal(fixedVersionFor('1.5.0', limited), undefined); // a limit is not a fix
  });

  it('matches listed versions in the ecosystem order (PEP 440: 1.0 is 1.0.0)', () => {
    const a = ap({ advisory: 'PYSEC-1', type: 'pypi', name: 'foo', versions: ['1.0', '1.5.0'] });
    assert.equal(isAffected('1.0.0', a), true);
    assert.equal(isAffected('1.5', a), true);
    assert.equal(isAffected('1.5.1', a), false);
  });

  it('affects every version of an open issue with no fix', () => {
    const a = ap({ advisory: 'CVE-2023-50495', type: 'deb', name: 'ncurses', release: 'debian:12', severity: 'low' });
    const got = match({ packages: [pkg('deb', 'libtinfo6', '6.4-4', { name: 'ncurses', version: '6.4-4' })], os: BOOKWORM, lookup: lookupOf([a]) });
    assert.deepEqual(ids(got), ['libtinfo6@6.4-4 CVE-2023-50495']);
    assert.equal(got[0]!.fixedVersion, undefined);
    assert.equal(isAffected('anything at all', ap({ advisory: 'Y', type: 'npm', name: 'y' })), true);
  });

  it('gives the smallest fix above the installed version that is not itself affected', () => {
    const a = ap({ advisory: 'X', type: 'npm', name: 'x', ranges: [{ introduced: '1.0.0', fixed: '1.5.0' }, { introduced: '1.4.0', fixed: '1.6.0' }, { introduced: '2.0.0', fixed: '2.0.3' }] });
    assert.equal(fixedVersionFor('1.2.0', a), '1.6.0');
    assert.equal(fixedVersionFor('2.0.1', a), '2.0.3');
    const b = ap({ advisory: 'Y', type: 'deb', name: 'y', ranges: [{ fixed: '1.0-3' }, { introduced: '1.1-1', fixed: '1.1-4' }] });
    assert.equal(fixedVersionFor('1.0-1', b), '1.0-3');
  });

  it('merges a CVE reported by the tracker and by a DSA: the most severe severity, the lowest fix', () => {
    const advisories = [
      ap({ advisory: 'CVE-2023-4911', type: 'deb', name: 'glibc', release: 'debian:12', ranges: [{ fixed: '2.36-9+deb12u3' }], severity: 'high', links: ['https://security-tracker.debian.org/tracker/CVE-2023-4911'] }),
      ap({ advisory: 'DSA-5514-1', aliases: ['CVE-2023-4911'], type: 'deb', name: 'glibc', release: 'debian:12', ranges: [{ fixed: '2.36-9+deb12u4' }], severity: 'unknown', cvss: 7.8, summary: 'glibc - security update', links: ['https://osv.dev/vulnerability/DSA-5514-1'] }),
      ap({ advisory: 'DEBIAN-CVE-2023-4911', aliases: ['CVE-2023-4911'], type: 'deb', name: 'glibc', release: 'debian:12', ranges: [{ fixed: '2.36-9+deb12u3' }], severity: 'medium' }),
    ];
    const got = match({ packages: [pkg('deb', 'libc6', '2.36-9+deb12u2', { name: 'glibc', version: '2.36-9+deb12u2' })], os: BOOKWORM, lookup: lookupOf(advisories) });
    assert.equal(got.length, 1);
    const f = got[0]!;
    assert.equal(f.advisory, 'CVE-2023-4911');
    assert.deepEqual(f.aliases, ['DEBIAN-CVE-2023-4911', 'DSA-5514-1']);
    assert.equal(f.severity, 'high');
    assert.equal(f.cvss, 7.8);
    assert.equal(f.fixedVersion, '2.36-9+deb12u3');
    assert.equal(f.summary, 'glibc - security update');
    assert.deepEqual(f.links, ['https://security-tracker.debian.org/tracker/CVE-2023-4911', 'https://osv.dev/vulnerability/DSA-5514-1']);
  });

  it('merges through aliases transitively, and names a finding by an advisory that matched', () => {
    const advisories = [
      ap({ advisory: 'GHSA-h5c8-rqwp-cp95', aliases: ['CVE-2024-22195'], type: 'pypi', name: 'jinja2', ranges: [{ fixed: '3.1.3' }], severity: 'medium', cvss: 5.4 }),
      ap({ advisory: 'PYSEC-2024-999', aliases: ['GHSA-h5c8-rqwp-cp95'], type: 'pypi', name: 'jinja2', ranges: [{ fixed: '3.1.3' }], severity: 'unknown' }),
    ];
    const got = match({ packages: [pkg('pypi', 'Jinja2', '3.1.2')], lookup: lookupOf(advisories) });
    assert.deepEqual(ids(got), ['Jinja2@3.1.2 GHSA-h5c8-rqwp-cp95 fixed 3.1.3']);
    assert.deepEqual(got[0]!.aliases, ['CVE-2024-22195', 'PYSEC-2024-999']);
  });

  it('folds a DSA of several CVEs into their findings when all of them are there', () => {
    const dsa = ap({ advisory: 'DSA-5000-1', upstream: ['CVE-2024-1', 'CVE-2024-2'], type: 'deb', name: 'curl', release: 'debian:12', ranges: [{ fixed: '7.88.1-10+deb12u4' }] });
    const cve1 = ap({ advisory: 'CVE-2024-1', type: 'deb', name: 'curl', release: 'debian:12', ranges: [{ fixed: '7.88.1-10+deb12u5' }], severity: 'high' });
    const cve2 = ap({ advisory: 'CVE-2024-2', type: 'deb', name: 'curl', release: 'debian:12', ranges: [{ fixed: '7.88.1-10+deb12u5' }], severity: 'low' });
    const packages = [pkg('deb', 'curl', '7.88.1-10+deb12u1')];
    const both = match({ packages, os: BOOKWORM, lookup: lookupOf([dsa, cve1, cve2]) });
    assert.deepEqual(ids(both), ['curl@7.88.1-10+deb12u1 CVE-2024-1 fixed 7.88.1-10+deb12u4', 'curl@7.88.1-10+deb12u1 CVE-2024-2 fixed 7.88.1-10+deb12u4']);
    assert.deepEqual(both.map((f) => [f.severity, f.aliases]), [['high', ['DSA-5000-1']], ['low', ['DSA-5000-1']]]);
    // With one of its CVEs missing it stays a finding of its own.
    const one = match({ packages, os: BOOKWORM, lookup: lookupOf([dsa, cve1]) });
    assert.deepEqual(ids(one), ['curl@7.88.1-10+deb12u1 CVE-2024-1 fixed 7.88.1-10+deb12u5', 'curl@7.88.1-10+deb12u1 DSA-5000-1 fixed 7.88.1-10+deb12u4']);
  });

  it('deduplicates by advisory, package and installed version', () => {
    const a = ap({ advisory: 'GHSA-35jh-r3h4-6jhm', aliases: ['CVE-2021-23337'], type: 'npm', name: 'lodash', ranges: [{ fixed: '4.17.21' }], severity: 'high', cvss: 7.2 });
    const again = ap({ ...a, ranges: [{ introduced: '4.0.0', fixed: '4.17.21' }] });
    const packages = [pkg('npm', 'lodash', '4.17.20'), pkg('npm', 'lodash', '4.17.20'), pkg('npm', 'lodash', '4.17.15')];
    assert.deepEqual(ids(match({ packages, lookup: lookupOf([a, again]) })), ['lodash@4.17.15 GHSA-35jh-r3h4-6jhm fixed 4.17.21', 'lodash@4.17.20 GHSA-35jh-r3h4-6jhm fixed 4.17.21']);
  });

  it('matches npm scoped names exactly', () => {
    const a = ap({ advisory: 'GHSA-67hx-6x53-jw92', type: 'npm', name: '@babel/traverse', ranges: [{ fixed: '7.23.2' }], severity: 'critical' });
    assert.equal(match({ packages: [pkg('npm', '@babel/traverse', '7.23.0')], lookup: lookupOf([a]) }).length, 1);
    assert.equal(match({ packages: [pkg('npm', 'traverse', '7.23.0')], lookup: lookupOf([a]) }).length, 0);
    assert.equal(match({ packages: [pkg('npm', '@babel/traverse', '7.23.2')], lookup: lookupOf([a]) }).length, 0);
  });

  it('looks PyPI packages up by their PEP 503 name and reports the installed spelling', () => {
    const a = ap({ advisory: 'GHSA-x', type: 'pypi', name: 'zope-interface', ranges: [{ fixed: '5.0' }] });
    const lookup = lookupOf([a]);
    const got = match({ packages: [pkg('pypi', 'Zope.Interface', '4.7.2')], lookup });
    assert.deepEqual(ids(got), ['Zope.Interface@4.7.2 GHSA-x fixed 5.0']);
    assert.deepEqual(lookup.calls, ['pypi zope-interface -']);
  });

  it("compares Go versions with and without the v, and places an unplaceable version only in open issues", () => {
    const a = ap({ advisory: 'GO-2023-2102', aliases: ['CVE-2023-39325', 'GHSA-4374-p667-p6c8'], type: 'golang', name: 'golang.org/x/net', ranges: [{ fixed: '0.17.0' }], severity: 'high' });
    assert.deepEqual(ids(match({ packages: [pkg('golang', 'golang.org/x/net', 'v0.16.0')], lookup: lookupOf([a]) })), ['golang.org/x/net@v0.16.0 GO-2023-2102 fixed 0.17.0']);
    assert.equal(match({ packages: [pkg('golang', 'golang.org/x/net', 'v0.17.0')], lookup: lookupOf([a]) }).length, 0);
    assert.equal(match({ packages: [pkg('golang', 'golang.org/x/net', 'v0.0.0-20231010000000-abcdefabcdef')], lookup: lookupOf([a]) }).length, 1);
    const open = ap({ advisory: 'GO-OPEN', type: 'golang', name: 'example.com/m' });
    assert.deepEqual(ids(match({ packages: [pkg('golang', 'example.com/m', '(devel)')], lookup: lookupOf([a, open, { ...a, name: 'example.com/m' }]) })), ['example.com/m@(devel) GO-OPEN']);
  });

  it('matches rpm on the binary and the source name with the binary version (which has the epoch)', () => {
    const rhel = { id: 'rhel', versionId: '9.4' };
    const a = ap({ advisory: 'RHSA-2024:1', aliases: ['CVE-2024-0727'], type: 'rpm', name: 'openssl', release: 'rhel:9', ranges: [{ fixed: '1:3.0.7-27.el9' }], severity: 'low' });
    const b = ap({ advisory: 'RHSA-2024:1', aliases: ['CVE-2024-0727'], type: 'rpm', name: 'openssl-libs', release: 'rhel:9', ranges: [{ fixed: '1:3.0.7-27.el9' }], severity: 'low' });
    const p = pkg('rpm', 'openssl-libs', '1:3.0.7-24.el9', { name: 'openssl', version: '3.0.7-24.el9' });
    assert.deepEqual(matchKeys(p, 'rhel:9').map((k) => `${k.name} ${k.version}`), ['openssl-libs 1:3.0.7-24.el9', 'openssl 1:3.0.7-24.el9']);
    assert.deepEqual(ids(match({ packages: [p], os: rhel, lookup: lookupOf([a, b]) })), ['openssl-libs@1:3.0.7-24.el9 RHSA-2024:1 fixed 1:3.0.7-27.el9']);
    assert.equal(match({ packages: [pkg('rpm', 'openssl-libs', '1:3.0.7-27.el9', { name: 'openssl', version: '3.0.7-27.el9' })], os: rhel, lookup: lookupOf([a, b]) }).length, 0);
  });

  it('matches apk packages on their origin', () => {
    const a = ap({ advisory: 'CVE-2023-5678', type: 'apk', name: 'openssl', release: 'alpine:3.19', ranges: [{ fixed: '3.1.4-r1' }] });
    const got = match({ packages: [pkg('apk', 'libcrypto3', '3.1.4-r0', { name: 'openssl', version: '3.1.4-r0' })], os: { id: 'alpine', versionId: '3.19.0' }, lookup: lookupOf([a]) });
    assert.deepEqual(ids(got), ['libcrypto3@3.1.4-r0 CVE-2023-5678 fixed 3.1.4-r1']);
    assert.equal(match({ packages: [pkg('apk', 'libcrypto3', '3.1.4-r0', { name: 'openssl', version: '3.1.4-r0' })], os: { id: 'alpine', versionId: '3.18.5' }, lookup: lookupOf([a]) }).length, 0);
  });

  it('matchAsync gives what match gives, with one query per distinct key', async () => {
    const advisories = [ap({ advisory: 'CVE-1', type: 'deb', name: 'openssl', release: 'debian:12' }), ap({ advisory: 'GHSA-1', type: 'npm', name: 'x', ranges: [{ fixed: '2.0.0' }] })];
    const packages = [pkg('deb', 'libssl3', '3.0.11-1', { name: 'openssl', version: '3.0.11-1' }), pkg('deb', 'openssl', '3.0.11-1'), pkg('npm', 'x', '1.0.0')];
    const sync = lookupOf(advisories);
    let calls = 0;
    const got = await matchAsync({ packages, os: BOOKWORM, lookup: async (t, n, r) => (calls++, sync(t, n, r)) });
    assert.deepEqual(got, match({ packages, os: BOOKWORM, lookup: lookupOf(advisories) }));
    assert.equal(calls, 2);
  });

  it('mergeFindings leaves distinct issues alone', () => {
    const f: Finding = { advisory: 'CVE-1', aliases: [], package: 'p', type: 'npm', installedVersion: '1.0.0', severity: 'low', links: [], purl: 'pkg:npm/p@1.0.0' };
    assert.equal(mergeFindings([f, { ...f, advisory: 'CVE-2' }, { ...f, installedVersion: '1.0.1' }]).length, 3);
  });
});

describe('summaries', () => {
  const base: Finding = { advisory: '', aliases: [], package: 'p', type: 'npm', installedVersion: '1', severity: 'low', links: [], purl: 'pkg:npm/p@1' };
  const findings: Finding[] = [
    { ...base, advisory: 'CVE-3', severity: 'high', cvss: 7.5 },
    { ...base, advisory: 'CVE-1', severity: 'critical', cvss: 9.8 },
    { ...base, advisory: 'CVE-2', severity: 'high', cvss: 8.8 },
    { ...base, advisory: 'CVE-4', severity: 'high' },
    { ...base, advisory: 'CVE-0', severity: 'high', cvss: 7.5 },
    { ...base, advisory: 'CVE-5', severity: 'unknown' },
  ];

  it('counts every severity, zeros included', () => {
    assert.deepEqual(summarise(findings), { critical: 1, high: 4, medium: 0, low: 0, unknown: 1 });
    assert.deepEqual(summarise([]), { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
  });

  it('lists the worst first: severity, then CVSS, then id', () => {
    assert.deepEqual(worst(findings, 5).map((f) => f.advisory), ['CVE-1', 'CVE-2', 'CVE-0', 'CVE-3', 'CVE-4']);
    assert.deepEqual(worst(findings, 0), []);
  });
});

describe('parsers and matcher together', () => {
  it('matches rows of OSV records and of the Debian tracker as one finding per issue', () => {
    const rows = [
      ...parseOsv({
        id: 'DSA-5514-1',
        summary: 'glibc - security update',
        upstream: ['CVE-2023-4911', 'DEBIAN-CVE-2023-4911'],
        affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.36-9+deb12u3' }] }] }],
      }).affected,
      ...parseTrackerPackage('glibc', { 'CVE-2023-4911': { description: 'Looney Tunables', releases: { bookworm: { status: 'resolved', fixed_version: '2.36-9+deb12u3', urgency: 'high' } } } }).affected,
      ...parseOsv({
        id: 'GHSA-35jh-r3h4-6jhm',
        aliases: ['CVE-2021-23337'],
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
        affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
      }).affected,
    ];
    const packages = [pkg('deb', 'libc6', '2.36-9+deb12u1', { name: 'glibc', version: '2.36-9+deb12u1' }), pkg('npm', 'lodash', '4.17.20'), pkg('npm', 'lodash', '4.17.21')];
    const findings = match({ packages, os: BOOKWORM, lookup: lookupOf(rows) });
    assert.deepEqual(ids(findings), ['libc6@2.36-9+deb12u1 CVE-2023-4911 fixed 2.36-9+deb12u3', 'lodash@4.17.20 GHSA-35jh-r3h4-6jhm fixed 4.17.21']);
    assert.deepEqual(findings.map((f) => [f.severity, f.cvss, f.aliases]), [['high', undefined, ['DSA-5514-1']], ['high', 7.2, ['CVE-2021-23337']]]);
    assert.deepEqual(summarise(findings), { critical: 0, high: 2, medium: 0, low: 0, unknown: 0 });
  });
});

describe('matching with a shared memo keyed by stored package ids', () => {
  it('gives each inventory exactly the findings of a match without a memo, in the same order', () => {
    const advisories = [
      ap({ advisory: 'CVE-2024-0727', type: 'deb', name: 'openssl', release: 'debian:12', ranges: [{ fixed: '3.0.13-1~deb12u1' }], severity: 'medium' }),
      ap({ advisory: 'CVE-2010-0928', type: 'deb', name: 'openssl', release: 'debian:12', severity: 'low' }),
      ap({ advisory: 'CVE-2005-2541', type: 'deb', name: 'tar', release: 'debian:12', severity: 'low' }),
      ap({ advisory: 'GHSA-35jh-r3h4-6jhm', aliases: ['CVE-2021-23337'], type: 'npm', name: 'lodash', ranges: [{ introduced: '0', fixed: '4.17.21' }], severity: 'high' }),
      ap({ advisory: 'CVE-2021-23337', type: 'npm', name: 'lodash', ranges: [{ introduced: '0', fixed: '4.17.21' }], severity: 'medium' }),
    ];
    // Distinct packages, each with one id, as scan_package_keys stores them.
    const keys = [
      pkg('deb', 'libssl3', '3.0.11-1~deb12u2', { name: 'openssl', version: '3.0.11-1~deb12u2' }),
      pkg('deb', 'libssl3', '3.0.13-1~deb12u1', { name: 'openssl', version: '3.0.13-1~deb12u1' }),
      pkg('deb', 'openssl', '3.0.11-1~deb12u2'),
      pkg('deb', 'tar', '1.34+dfsg-1.2+deb12u1'),
      pkg('npm', 'lodash', '4.17.20'),
      pkg('npm', 'lodash', '4.17.21'),
      { ...pkg('deb', 'libc6', '2.36-9+deb12u4'), arch: 'amd64', purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64' },
      { ...pkg('deb', 'libc6', '2.36-9+deb12u4'), arch: 'i386', purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=i386' },
    ];
    const inventories = [[0, 2, 3, 4], [4, 3, 1], [5, 0, 6, 7], [7, 6, 3, 2, 0], [4], [0, 2, 3, 4]];
    const memo = new Map();
    const groupMemo = new Map();
    const lookup = lookupOf(advisories);
    for (const [n, ids] of inventories.entries()) {
      for (const os of [BOOKWORM, { id: 'debian', versionId: '11' }]) {
        const packages = ids.map((i) => keys[i]!);
        const plain = match({ packages, os, lookup });
        const keyed = match({ packages, os, lookup, memo, groupMemo, ids });
        assert.deepEqual(keyed, plain, `inventory ${n} on ${os.versionId}`);
      }
    }
    assert.ok(groupMemo.size > 0 && groupMemo.size < inventories.length * 8, `the memo is shared (${groupMemo.size} groups)`);
    assert.deepEqual(ids(match({ packages: [keys[4]!, keys[3]!, keys[0]!], os: BOOKWORM, lookup })), [
      // By type, package and version, then the most severe first.
      'libssl3@3.0.11-1~deb12u2 CVE-2024-0727 fixed 3.0.13-1~deb12u1', 'libssl3@3.0.11-1~deb12u2 CVE-2010-0928', 'tar@1.34+dfsg-1.2+deb12u1 CVE-2005-2541', 'lodash@4.17.20 CVE-2021-23337 fixed 4.17.21',
    ]);
  });
});
