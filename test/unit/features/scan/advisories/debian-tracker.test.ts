// The Debian security tracker's JSON, shaped as security-tracker.debian.org/tracker/data/json
// serves it: statuses, fixed versions ("0" = never affected), urgencies, codenames, and the
// splitter that cuts the ~100 MB file into one entry per source package as the text arrives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTracker, parseTrackerPackage, releaseOfCodename, severityOfUrgency } from '../../../../../src/features/scan/advisories/debian-tracker.ts';

const OPENSSL = {
  'CVE-2024-0727': {
    description: 'Issue summary: Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash leading to a potential Denial of Service attack',
    scope: 'local',
    releases: {
      bookworm: { status: 'resolved', repositories: { bookworm: '3.0.11-1~deb12u2', 'bookworm-security': '3.0.13-1~deb12u1' }, fixed_version: '3.0.13-1~deb12u1', urgency: 'not yet assigned' },
      bullseye: { status: 'open', repositories: { bullseye: '1.1.1w-0+deb11u1' }, urgency: 'unimportant', nodsa: 'Minor issue', nodsa_reason: '' },
      sid: { status: 'resolved', repositories: { sid: '3.1.5-1' }, fixed_version: '3.1.5-1', urgency: 'not yet assigned' },
      trixie: { status: 'resolved', repositories: { trixie: '3.1.5-1' }, fixed_version: '3.1.5-1', urgency: 'not yet assigned' },
    },
  },
  'CVE-2010-0928': {
    description: 'OpenSSL 0.9.8i on the Gaisler Research LEON3 SoC ... fault-based attacks',
    scope: 'local',
    releases: {
      bookworm: { status: 'open', repositories: { bookworm: '3.0.11-1~deb12u2' }, urgency: 'unimportant' },
      buster: { status: 'open', repositories: { buster: '1.1.1n-0+deb10u3' }, urgency: 'end-of-life' },
    },
  },
  'CVE-2005-2946': {
    description: 'The default configuration on OpenSSL before 0.9.8 uses MD5 ...',
    releases: { bookworm: { status: 'resolved', repositories: { bookworm: '3.0.11-1~deb12u2' }, fixed_version: '0', urgency: 'low' } },
  },
  'TEMP-0000000-ABCDEF': {
    releases: {
      bookworm: { status: 'undetermined', repositories: { bookworm: '3.0.11-1~deb12u2' }, urgency: 'high**' },
      experimental: { status: 'open', urgency: 'low' },
      forky: { status: 'resolved', urgency: 'medium' },
    },
  },
};

describe('Debian tracker', () => {
  it('maps codenames and urgencies', () => {
    assert.equal(releaseOfCodename('buster'), 'debian:10');
    assert.equal(releaseOfCodename('bullseye'), 'debian:11');
    assert.equal(releaseOfCodename('bookworm'), 'debian:12');
    assert.equal(releaseOfCodename('trixie'), 'debian:13');
    assert.equal(releaseOfCodename('forky'), 'debian:14');
    assert.equal(releaseOfCodename('sid'), 'debian:unstable');
    assert.equal(releaseOfCodename('experimental'), undefined);
    const urgencies: [string, string][] = [
      ['high', 'high'],
      ['medium', 'medium'],
      ['low', 'low'],
      ['unimportant', 'low'],
      ['not yet assigned', 'unknown'],
      ['end-of-life', 'unknown'],
      ['high**', 'high'],
      ['weird', 'unknown'],
    ];
    for (const [u, want] of urgencies) assert.equal(severityOfUrgency(u), want, u);
  });

  it('turns one package entry into one row per issue and release', () => {
    const r = parseTrackerPackage('openssl', OPENSSL);
    const rows = r.affected.map((a) => `${a.advisory} ${a.release} ${JSON.stringify(a.ranges)} ${a.severity}`);
    assert.deepEqual(rows, [
      'CVE-2024-0727 debian:12 [{"fixed":"3.0.13-1~deb12u1"}] unknown',
      'CVE-2024-0727 debian:11 [] low',
      'CVE-2024-0727 debian:unstable [{"fixed":"3.1.5-1"}] unknown',
      'CVE-2024-0727 debian:13 [{"fixed":"3.1.5-1"}] unknown',
      'CVE-2010-0928 debian:12 [] low',
      'CVE-2010-0928 debian:10 [] unknown',
      'TEMP-0000000-ABCDEF debian:12 [] high',
    ]);
    assert.equal(r.notAffected, 1); // CVE-2005-2946: fixed_version "0"
    assert.equal(r.skipped, 2); // experimental (unknown codename), forky resolved without a version
    const first = r.affected[0]!;
    assert.deepEqual(first, {
      advisory: 'CVE-2024-0727',
      aliases: [],
      type: 'deb',
      name: 'openssl',
      release: 'debian:12',
      ranges: [{ fixed: '3.0.13-1~deb12u1' }],
      versions: [],
      severity: 'unknown',
      summary: OPENSSL['CVE-2024-0727'].description,
      links: ['https://security-tracker.debian.org/tracker/CVE-2024-0727'],
    });
    assert.equal(r.affected.find((a) => a.advisory.startsWith('TEMP'))!.summary, undefined);
  });

  it('can leave undetermined issues out and keep only some releases', () => {
    const r = parseTrackerPackage('openssl', OPENSSL, { includeUndetermined: false, codenames: ['bookworm'] });
    assert.deepEqual(r.affected.map((a) => `${a.advisory} ${a.release}`), ['CVE-2024-0727 debian:12', 'CVE-2010-0928 debian:12']);
  });

  it('parses a whole parsed file', () => {
    const r = parseTracker({ openssl: OPENSSL, zlib: { 'CVE-2023-45853': { releases: { bookworm: { status: 'resolved', fixed_version: '1:1.2.13.dfsg-1', urgency: 'unimportant' } } } } });
    assert.equal(r.affected.length, 8);
    assert.deepEqual(r.affected.at(-1)!.ranges, [{ fixed: '1:1.2.13.dfsg-1' }]);
    assert.throws(() => parseTracker([]), TypeError);
  });
});
