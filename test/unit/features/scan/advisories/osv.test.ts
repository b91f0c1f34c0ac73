// OSV records, shaped as the schema (ossf/osv-schema) and the databases that export it write
// them, mapped field by field: ecosystems and releases, ranges built from event timelines,
// versions[], severities (CVSS v3 computed, database words as fallbacks), aliases and upstream,
// withdrawn records, and what is skipped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapEcosystem, OsvFormatError, parseOsv, rangesFromEvents } from '../../../../../src/features/scan/advisories/osv.ts';
import { dpkg, maven, semver } from '../../../../../src/features/scan/versions/index.ts';

const LODASH = {
  schema_version: '1.4.0',
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-02-16T08:15:03Z',
  published: '2021-05-06T16:05:51Z',
  aliases: ['CVE-2021-23337'],
  summary: 'Command Injection in lodash',
  details: '`lodash` versions prior to 4.17.21 are vulnerable to Command Injection via the template function.',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    { package: { ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }], database_specific: { source: 'https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/2021/05/GHSA-35jh-r3h4-6jhm/GHSA-35jh-r3h4-6jhm.json' } },
    { package: { ecosystem: 'npm', name: 'lodash-es', purl: 'pkg:npm/lodash-es' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] },
  ],
  references: [
    { type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' },
    { type: 'WEB', url: 'https://github.com/lodash/lodash/commit/3469357cff396a26c363f8c1b5a91dde28ba4b1c' },
    { type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' },
  ],
  database_specific: { cwe_ids: ['CWE-77', 'CWE-94'], severity: 'HIGH', github_reviewed: true },
};

const JINJA2 = {
  schema_version: '1.4.0',
  id: 'GHSA-h5c8-rqwp-cp95',
  modified: '2024-01-11T16:33:21Z',
  aliases: ['CVE-2024-22195'],
  summary: 'Jinja vulnerable to HTML attribute injection when passing user input as keys to xmlattr filter',
  affected: [{ package: { ecosystem: 'PyPI', name: 'Jinja2', purl: 'pkg:pypi/jinja2' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.3' }] }] }],
  references: [{ type: 'WEB', url: 'https://github.com/pallets/jinja/security/advisories/GHSA-h5c8-rqwp-cp95' }],
  database_specific: { severity: 'MODERATE', github_reviewed: true },
};

const GLIBC_DSA = {
  id: 'DSA-5514-1',
  modified: '2023-10-03T16:00:00Z',
  summary: 'glibc - security update',
  upstream: ['CVE-2023-4911', 'DEBIAN-CVE-2023-4911'],
  affected: [
    { package: { ecosystem: 'Debian:11', name: 'glibc', purl: 'pkg:deb/debian/glibc?arch=source' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.31-13+deb11u7' }] }] },
    { package: { ecosystem: 'Debian:12', name: 'glibc', purl: 'pkg:deb/debian/glibc?arch=source' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.36-9+deb12u3' }] }] },
  ],
};

// GO-2023-2102 (HTTP/2 rapid reset): SEMVER ranges without the "v", several pairs for the stdlib.
const RAPID_RESET = {
  id: 'GO-2023-2102',
  modified: '2023-10-11T00:00:00Z',
  aliases: ['CVE-2023-39325', 'GHSA-4374-p667-p6c8'],
  summary: 'HTTP/2 rapid reset can cause excessive work in net/http',
  affected: [
    { package: { name: 'stdlib', ecosystem: 'Go' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.20.10' }, { introduced: '1.21.0-0' }, { fixed: '1.21.3' }] }], ecosystem_specific: { imports: [{ path: 'net/http' }] } },
    { package: { name: 'golang.org/x/net', ecosystem: 'Go' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }] }] },
  ],
};

describe('OSV ecosystems', () => {
  it('maps ecosystems to package types and release keys', () => {
    const cases: [string, unknown][] = [
      ['Debian:12', { type: 'deb', release: 'debian:12' }],
      ['Debian:11', { type: 'deb', release: 'debian:11' }],
      ['Debian:sid', { type: 'deb', release: 'debian:unstable' }],
      ['Ubuntu:22.04:LTS', { type: 'deb', release: 'ubuntu:22.04' }],
      ['Ubuntu:23.10', { type: 'deb', release: 'ubuntu:23.10' }],
      ['Alpine:v3.19', { type: 'apk', release: 'alpine:3.19' }],
      ['Alpine:v3.9', { type: 'apk', release: 'alpine:3.9' }],
      ['npm', { type: 'npm' }],
      ['PyPI', { type: 'pypi' }],
      ['Go', { type: 'golang' }],
      ['Maven', { type: 'maven' }],
      ['Maven:https://maven.google.com', { type: 'maven' }],
      ['Red Hat:enterprise_linux:9::appstream', { type: 'rpm', release: 'rhel:9' }],
      ['Red Hat:rhel_eus:8.6::baseos', { type: 'rpm', release: 'rhel:8' }],
      ['AlmaLinux:9', { type: 'rpm', release: 'almalinux:9' }],
      ['Rocky Linux:8', { type: 'rpm', release: 'rocky:8' }],
      ['Debian', undefined],
      ['Alpine', undefined],
      ['Alpine:3.19', undefined], // the schema requires the "v"
      ['Ubuntu:Pro:18.04:LTS', undefined],
      ['Red Hat', undefined],
      ['AlmaLinux', undefined],
      ['crates.io', undefined],
      ['RubyGems', undefined],
      ['npm2', undefined],
    ];
    for (const [eco, want] of cases) assert.deepEqual(mapEcosystem(eco), want, eco);
  });
});

describe('OSV ranges', () => {
  it('turns an event timeline into intervals, sorted in the ecosystem order', () => {
    const ev = (...xs: [string, string][]) => xs.map(([kind, version]) => ({ kind: kind as 'introduced', version }));
    assert.deepEqual(rangesFromEvents(ev(['introduced', '0']), semver), [{}]);
    assert.deepEqual(rangesFromEvents(ev(['introduced', '0'], ['fixed', '1.0.2']), semver), [{ fixed: '1.0.2' }]);
    assert.deepEqual(rangesFromEvents(ev(['introduced', '1.0.0'], ['fixed', '1.0.2'], ['introduced', '3.0.0'], ['fixed', '3.2.5']), semver), [
      { introduced: '1.0.0', fixed: '1.0.2' },
      { introduced: '3.0.0', fixed: '3.2.5' },
    ]);
    // Out of order in the record; sorted by the ecosystem's order (Maven: 2.0-beta9 < 2.12.2 < 2.13.0).
    assert.deepEqual(rangesFromEvents(ev(['introduced', '2.13.0'], ['fixed', '2.15.0'], ['introduced', '2.0-beta9'], ['fixed', '2.12.2']), maven), [
      { introduced: '2.0-beta9', fixed: '2.12.2' },
      { introduced: '2.13.0', fixed: '2.15.0' },
    ]);
    // dpkg order: ~ before everything.
    assert.deepEqual(rangesFromEvents(ev(['fixed', '1.0-1'], ['introduced', '1.0~rc1-1']), dpkg), [{ introduced: '1.0~rc1-1', fixed: '1.0-1' }]);
    // A second introduced inside an open interval changes nothing; a fix with nothing open neither.
    assert.deepEqual(rangesFromEvents(ev(['introduced', '1.0.0'], ['introduced', '1.5.0'], ['fixed', '2.0.0'], ['fixed', '3.0.0']), semver), [{ introduced: '1.0.0', fixed: '2.0.0' }]);
    assert.deepEqual(rangesFromEvents(ev(['introduced', '1.0.0'], ['last_affected', '1.4.2']), semver), [{ introduced: '1.0.0', lastAffected: '1.4.2' }]);
    assert.deepEqual(rangesFromEvents(ev(['fixed', '1.0.0']), semver), []); // no introduced: nothing
  });

  it('keeps the record order for events at equal versions (a fix and a re-introduction)', () => {
    const ev = (...xs: [string, string][]) => xs.map(([kind, version]) => ({ kind: kind as 'introduced', version }));
    assert.deepEqual(rangesFromEvents(ev(['introduced', '1.0.0'], ['fixed', '1.2.0'], ['introduced', '1.2.0'], ['fixed', '1.5.0']), semver), [
      { introduced: '1.0.0', fixed: '1.2.0' },
      { introduced: '1.2.0', fixed: '1.5.0' },
    ]);
  });

  it('caps intervals at the largest limit, "*" meaning none', () => {
    const ev = (...xs: [string, string][]) => xs.map(([kind, version]) => ({ kind: kind as 'introduced', version }));
    assert.deepEqual(rangesFromEvents(ev(['introduced', '1.0.0'], ['limit', '1.5.0'], ['limit', '2.0.0']), semver), [{ introduced: '1.0.0', limit: '2.0.0' }]);
    assert.deepEqual(rangesFromEvents(ev(['introduced', '1.0.0'], ['limit', '*']), semver), [{ introduced: '1.0.0' }]);
  });

  it('keeps the record order when a version cannot be sorted in the ecosystem order', () => {
    const ev = (...xs: [string, string][]) => xs.map(([kind, version]) => ({ kind: kind as 'introduced', version }));
    // "1.0" is not semver: the record's order is kept as it is.
    assert.deepEqual(rangesFromEvents(ev(['introduced', '1.0'], ['fixed', '1.2.0']), semver), [{ introduced: '1.0', fixed: '1.2.0' }]);
  });
});

describe('OSV records', () => {
  it('maps a GHSA record field by field', () => {
    const r = parseOsv(LODASH);
    assert.equal(r.id, 'GHSA-35jh-r3h4-6jhm');
    assert.equal(r.modified, '2024-02-16T08:15:03Z');
    assert.equal(r.skipped, 0);
    assert.equal(r.affected.length, 2);
    assert.deepEqual(r.affected[0], {
      advisory: 'GHSA-35jh-r3h4-6jhm',
      aliases: ['CVE-2021-23337'],
      type: 'npm',
      name: 'lodash',
      ranges: [{ fixed: '4.17.21' }],
      versions: [],
      severity: 'high',
      cvss: 7.2,
      summary: 'Command Injection in lodash',
      links: ['https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm', 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337', 'https://github.com/lodash/lodash/commit/3469357cff396a26c363f8c1b5a91dde28ba4b1c'],
    });
    assert.equal(r.affected[1]!.name, 'lodash-es');
  });

  it("normalises PyPI names and falls back to GHSA's own severity word", () => {
    const [a] = parseOsv(JINJA2).affected;
    assert.equal(a!.type, 'pypi');
    assert.equal(a!.name, 'jinja2');
    assert.equal(a!.severity, 'medium'); // MODERATE
    assert.equal(a!.cvss, undefined);
    assert.deepEqual(a!.ranges, [{ fixed: '3.1.3' }]);
    const named = parseOsv({ ...JINJA2, affected: [{ ...JINJA2.affected[0], package: { ecosystem: 'PyPI', name: 'Zope.Interface' } }] });
    assert.equal(named.affected[0]!.name, 'zope-interface');
  });

  it('maps Debian records to source packages per release, and folds a single upstream CVE into the aliases', () => {
    const r = parseOsv(GLIBC_DSA);
    assert.deepEqual(r.affected.map((a) => [a.type, a.name, a.release, a.ranges]), [
      ['deb', 'glibc', 'debian:11', [{ fixed: '2.31-13+deb11u7' }]],
      ['deb', 'glibc', 'debian:12', [{ fixed: '2.36-9+deb12u3' }]],
    ]);
    assert.deepEqual(r.affected[0]!.aliases, ['CVE-2023-4911']);
    assert.deepEqual(r.affected[0]!.upstream, ['CVE-2023-4911', 'DEBIAN-CVE-2023-4911']);
    assert.equal(r.affected[0]!.severity, 'unknown');
    // A DSA of several CVEs keeps them as upstream only.
    const multi = parseOsv({ ...GLIBC_DSA, upstream: ['CVE-2024-1', 'CVE-2024-2'] });
    assert.deepEqual(multi.affected[0]!.aliases, []);
    assert.deepEqual(multi.affected[0]!.upstream, ['CVE-2024-1', 'CVE-2024-2']);
  });

  it("reads a DEBIAN-CVE record's urgency and its versions list", () => {
    const r = parseOsv({
      id: 'DEBIAN-CVE-2024-58382',
      upstream: ['CVE-2024-58382'],
      details: 'league/commonmark versions before 2.6.0 contain polynomial time complexity vulnerabilities in Markdown parsing.\n\nMore text.',
      affected: [
        {
          package: { name: 'php-league-commonmark', ecosystem: 'Debian:12', purl: 'pkg:deb/debian/php-league-commonmark?arch=source&distro=bookworm' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
          versions: ['2.3.9-1', '2.3.9-1+deb12u1', '2.3.9-1'],
          ecosystem_specific: { urgency: 'low' },
        },
      ],
    });
    const [a] = r.affected;
    assert.deepEqual(a!.ranges, [{}]);
    assert.deepEqual(a!.versions, ['2.3.9-1', '2.3.9-1+deb12u1']);
    assert.equal(a!.severity, 'low');
    assert.deepEqual(a!.aliases, ['CVE-2024-58382']);
    assert.equal(a!.summary, 'league/commonmark versions before 2.6.0 contain polynomial time complexity vulnerabilities in Markdown parsing.');
    assert.deepEqual(parseOsv({ id: 'X', affected: [{ package: { ecosystem: 'Debian:12', name: 'p' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0-1' }] }], versions: ['0.9-1'] }] }, { keepVersionsWithRanges: false }).affected[0]!.versions, []);
  });

  it('reads Go SEMVER ranges with several pairs', () => {
    const r = parseOsv(RAPID_RESET);
    assert.deepEqual(r.affected.map((a) => [a.type, a.name, a.release, a.ranges]), [
      ['golang', 'stdlib', undefined, [{ fixed: '1.20.10' }, { introduced: '1.21.0-0', fixed: '1.21.3' }]],
      ['golang', 'golang.org/x/net', undefined, [{ fixed: '0.17.0' }]],
    ]);
    assert.deepEqual(r.affected[1]!.aliases, ['CVE-2023-39325', 'GHSA-4374-p667-p6c8']);
    assert.equal(r.affected[1]!.severity, 'unknown');
  });

  it('maps Alpine, Red Hat, AlmaLinux and Rocky records to their release keys', () => {
    const rec = (ecosystem: string, name: string, fixed: string) => ({ id: 'X-1', affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }] });
    assert.deepEqual(parseOsv(rec('Alpine:v3.19', 'openssl', '3.1.4-r1')).affected.map((a) => [a.type, a.release, a.ranges]), [['apk', 'alpine:3.19', [{ fixed: '3.1.4-r1' }]]]);
    assert.deepEqual(parseOsv(rec('Red Hat:enterprise_linux:9::baseos', 'openssl-libs', '1:3.0.7-27.el9')).affected.map((a) => [a.type, a.release]), [['rpm', 'rhel:9']]);
    assert.deepEqual(parseOsv(rec('AlmaLinux:9', 'openssl', '1:3.0.7-27.el9')).affected.map((a) => [a.type, a.release]), [['rpm', 'almalinux:9']]);
    assert.deepEqual(parseOsv(rec('Rocky Linux:9', 'openssl', '1:3.0.7-27.el9')).affected.map((a) => [a.type, a.release]), [['rpm', 'rocky:9']]);
  });

  it('skips unknown ecosystems, GIT-only entries and entries without a package, and counts them', () => {
    const r = parseOsv({
      id: 'OSV-2024-1',
      affected: [
        { package: { ecosystem: 'crates.io', name: 'smallvec' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.6.1' }] }] },
        { package: { ecosystem: 'RubyGems', name: 'rack' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
        { package: { ecosystem: 'crates.io', name: 'other' } },
        { package: { ecosystem: 'npm', name: 'git-only' }, ranges: [{ type: 'GIT', repo: 'https://github.com/a/b', events: [{ introduced: 'abc' }, { fixed: 'def' }] }] },
        { package: { ecosystem: 'npm', name: 'git-and-versions' }, ranges: [{ type: 'GIT', repo: 'https://github.com/a/b', events: [{ introduced: 'abc' }] }], versions: ['1.0.0'] },
        { package: { ecosystem: 'npm' } },
        { ranges: [] },
        'junk',
      ],
    });
    assert.equal(r.skipped, 7);
    assert.deepEqual(r.skippedEcosystems, ['RubyGems', 'crates.io']);
    assert.deepEqual(r.affected.map((a) => [a.name, a.ranges, a.versions]), [['git-and-versions', [], ['1.0.0']]]);
  });

  it('takes the severity from the entry first, then CVSS v3, then the words, then CVSS v2', () => {
    const base = { id: 'S-1', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }] };
    const sev = (rec: object) => {
      const a = parseOsv(rec).affected[0]!;
      return [a.severity, a.cvss];
    };
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] }), ['critical', 9.8]);
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N' }] }), ['low', 3.1]);
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' }] }), ['critical', 10]);
    // Per-package severity wins over the record's.
    assert.deepEqual(
      sev({
        ...base,
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
        affected: [{ ...base.affected[0], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N' }] }],
      }),
      ['low', 3.1],
    );
    // v4 only: no score here, so the database's word decides.
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }], database_specific: { severity: 'CRITICAL' } }), ['critical', undefined]);
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }] }), ['unknown', undefined]);
    assert.deepEqual(sev({ ...base, affected: [{ ...base.affected[0], ecosystem_specific: { severity: 'MODERATE' } }] }), ['medium', undefined]);
    assert.deepEqual(sev({ ...base, affected: [{ ...base.affected[0], database_specific: { severity: 'LOW' } }] }), ['low', undefined]);
    assert.deepEqual(sev({ ...base, severity: [{ type: 'Ubuntu', score: 'negligible' }] }), ['low', undefined]);
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' }] }), ['high', 10]);
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' }], database_specific: { severity: 'MODERATE' } }), ['medium', 10]);
    assert.deepEqual(sev({ ...base, severity: [{ type: 'CVSS_V3', score: 'not a vector' }] }), ['unknown', undefined]);
  });

  it('imports nothing of a withdrawn record', () => {
    const r = parseOsv({ ...LODASH, withdrawn: '2024-03-01T00:00:00Z' });
    assert.equal(r.withdrawn, '2024-03-01T00:00:00Z');
    assert.deepEqual(r.affected, []);
  });

  it('refuses what is not an OSV record', () => {
    for (const bad of [null, 'x', [], {}, { id: '' }, { id: 7 }]) assert.throws(() => parseOsv(bad), OsvFormatError);
    assert.deepEqual(parseOsv({ id: 'EMPTY-1' }).affected, []);
  });
});
