// Realistic, deterministic data for the scan workloads (lib/scan.ts, lib/rematch.ts): the
// packages of Debian bookworm images (the debootstrap minbase + openssl, curl, zlib1g, bash that
// test/helpers/rootfs.ts builds, read from its dpkg status file, plus packages images often
// add), npm and PyPI packages, each with a ladder of older versions; inventories made of them
// the way the layer reader would report them; and a vulnerability feed (the fixtures of
// test/fixtures/vulndb plus generated Debian tracker issues, Debian OSV records and npm / PyPI
// OSV records) whose advisories affect some of those versions and not others.
//
// Images differ by age: an image built a while ago carries older point releases (+deb12uN,
// ~deb12uN) of the packages Debian updated in stable, and older npm / PyPI versions, so the same
// advisory affects some images and not others, as in a real registry.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { purlFor } from '../../src/features/scan/inventory/purl.ts';
import type { Inventory, OsRelease, Package, RawPackage } from '../../src/features/scan/inventory/types.ts';
import { rng } from './search.ts';

export const BOOKWORM: OsRelease = { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
export const BOOKWORM_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n' +
  'VERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n';

export const FIXTURES = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'vulndb');
const FIXTURE_OSV = ['GHSA-35jh-r3h4-6jhm', 'GHSA-29mw-wpgm-hmr9', 'GHSA-h5c8-rqwp-cp95', 'GHSA-h75v-3vvj-5mfj'];

// "binary version [source [source version]]": the dpkg status of debootstrap --variant=minbase
// --include=openssl,curl,zlib1g,bash bookworm (105 packages).
const BASE_DEBS = [
  'adduser 3.134', 'apt 2.6.1', 'base-files 12.4+deb12u15',
  'base-passwd 3.6.1', 'bash 5.2.15-2+b13 bash 5.2.15-2', 'bsdutils 1:2.38.1-5+deb12u3 util-linux 2.38.1-5+deb12u3',
  'coreutils 9.1-1', 'curl 7.88.1-10+deb12u15', 'dash 0.5.12-2',
  'debconf 1.5.82', 'debian-archive-keyring 2023.3+deb12u2', 'debianutils 5.7-0.5~deb12u1',
  'diffutils 1:3.8-4', 'dpkg 1.21.23', 'e2fsprogs 1.47.0-2+b2 e2fsprogs 1.47.0-2',
  'findutils 4.9.0-4', 'gcc-12-base 12.2.0-14+deb12u1 gcc-12', 'gpgv 2.2.40-1.1+deb12u2 gnupg2',
  'grep 3.8-5', 'gzip 1.12-1', 'hostname 3.23+nmu1',
  'init-system-helpers 1.65.2+deb12u1', 'libacl1 2.3.1-3 acl', 'libapt-pkg6.0 2.6.1 apt',
  'libattr1 1:2.5.1-4 attr', 'libaudit-common 1:3.0.9-1 audit', 'libaudit1 1:3.0.9-1 audit',
  'libblkid1 2.38.1-5+deb12u3 util-linux', 'libbrotli1 1.0.9-2+b6 brotli 1.0.9-2', 'libbz2-1.0 1.0.8-5+b1 bzip2 1.0.8-5',
  'libc-bin 2.36-9+deb12u14 glibc', 'libc6 2.36-9+deb12u14 glibc', 'libcap-ng0 0.8.3-1+b3 libcap-ng 0.8.3-1',
  'libcap2 1:2.66-4+deb12u3+b1 libcap2 1:2.66-4+deb12u3', 'libcom-err2 1.47.0-2+b2 e2fsprogs 1.47.0-2', 'libcrypt1 1:4.4.33-2 libxcrypt',
  'libcurl4 7.88.1-10+deb12u15 curl', 'libdb5.3 5.3.28+dfsg2-1 db5.3', 'libdebconfclient0 0.270 cdebconf',
  'libext2fs2 1.47.0-2+b2 e2fsprogs 1.47.0-2', 'libffi8 3.4.4-1 libffi', 'libgcc-s1 12.2.0-14+deb12u1 gcc-12',
  'libgcrypt20 1.10.1-3+deb12u1', 'libgmp10 2:6.2.1+dfsg1-1.1 gmp', 'libgnutls30 3.7.9-2+deb12u7 gnutls28',
  'libgpg-error0 1.46-1 libgpg-error', 'libgssapi-krb5-2 1.20.1-2+deb12u5 krb5', 'libhogweed6 3.8.1-2 nettle',
  'libidn2-0 2.3.3-1+b1 libidn2 2.3.3-1', 'libk5crypto3 1.20.1-2+deb12u5 krb5', 'libkeyutils1 1.6.3-2 keyutils',
  'libkrb5-3 1.20.1-2+deb12u5 krb5', 'libkrb5support0 1.20.1-2+deb12u5 krb5', 'libldap-2.5-0 2.5.13+dfsg-5 openldap',
  'liblz4-1 1.9.4-1 lz4', 'liblzma5 5.4.1-1+deb12u1 xz-utils', 'libmd0 1.0.4-2 libmd',
  'libmount1 2.38.1-5+deb12u3 util-linux', 'libnettle8 3.8.1-2 nettle', 'libnghttp2-14 1.52.0-1+deb12u3 nghttp2',
  'libp11-kit0 0.24.1-2 p11-kit', 'libpam-modules 1.5.2-6+deb12u2 pam', 'libpam-modules-bin 1.5.2-6+deb12u2 pam',
  'libpam-runtime 1.5.2-6+deb12u2 pam', 'libpam0g 1.5.2-6+deb12u2 pam', 'libpcre2-8-0 10.42-1 pcre2',
  'libpsl5 0.21.2-1 libpsl', 'librtmp1 2.4+20151223.gitfa8646d.1-2+b2 rtmpdump 2.4+20151223.gitfa8646d.1-2', 'libsasl2-2 2.1.28+dfsg-10 cyrus-sasl2',
  'libsasl2-modules-db 2.1.28+dfsg-10 cyrus-sasl2', 'libseccomp2 2.5.4-1+deb12u1 libseccomp', 'libselinux1 3.4-1+b6 libselinux 3.4-1',
  'libsemanage-common 3.4-1 libsemanage', 'libsemanage2 3.4-1+b5 libsemanage 3.4-1', 'libsepol2 3.4-2.1 libsepol',
  'libsmartcols1 2.38.1-5+deb12u3 util-linux', 'libss2 1.47.0-2+b2 e2fsprogs 1.47.0-2', 'libssh2-1 1.10.0-3+b1 libssh2 1.10.0-3',
  'libssl3 3.0.20-1~deb12u2 openssl', 'libstdc++6 12.2.0-14+deb12u1 gcc-12', 'libsystemd0 252.39-1~deb12u2 systemd',
  'libtasn1-6 4.19.0-2+deb12u1', 'libtinfo6 6.4-4 ncurses', 'libudev1 252.39-1~deb12u2 systemd',
  'libunistring2 1.0-2 libunistring', 'libuuid1 2.38.1-5+deb12u3 util-linux', 'libxxhash0 0.8.1-1 xxhash',
  'libzstd1 1.5.4+dfsg2-5 libzstd', 'login 1:4.13+dfsg1-1+deb12u2 shadow', 'logsave 1.47.0-2+b2 e2fsprogs 1.47.0-2',
  'mawk 1.3.4.20200120-3.1', 'mount 2.38.1-5+deb12u3 util-linux', 'ncurses-base 6.4-4 ncurses',
  'ncurses-bin 6.4-4 ncurses', 'openssl 3.0.20-1~deb12u2', 'passwd 1:4.13+dfsg1-1+deb12u2 shadow',
  'perl-base 5.36.0-7+deb12u3 perl', 'sed 4.9-1+deb12u1', 'sysvinit-utils 3.06-4 sysvinit',
  'tar 1.34+dfsg-1.2+deb12u1', 'tzdata 2026b-0+deb12u1', 'usr-is-merged 37~deb12u1 usrmerge',
  'util-linux 2.38.1-5+deb12u3', 'util-linux-extra 2.38.1-5+deb12u3 util-linux', 'zlib1g 1:1.2.13.dfsg-1 zlib',
];

// Packages images add on top of the base (plausible bookworm versions): each image takes some.
const EXTRA_DEBS = [
  'ca-certificates 20230311+deb12u1', 'libsqlite3-0 3.40.1-2+deb12u1 sqlite3', 'libexpat1 2.5.0-1+deb12u1 expat',
  'libreadline8 8.2-1.3 readline', 'readline-common 8.2-1.3 readline', 'libncursesw6 6.4-4 ncurses',
  'netbase 6.4', 'media-types 10.0.0', 'procps 2:4.0.2-3', 'libproc2-0 2:4.0.2-3 procps',
  'less 590-2.1~deb12u2', 'libgdbm6 1.23-3 gdbm', 'libpython3.11-minimal 3.11.2-6+deb12u6 python3.11',
  'python3.11-minimal 3.11.2-6+deb12u6 python3.11', 'libpython3.11-stdlib 3.11.2-6+deb12u6 python3.11', 'python3.11 3.11.2-6+deb12u6',
  'python3-minimal 3.11.2-1+b1 python3-defaults 3.11.2-1', 'python3 3.11.2-1+b1 python3-defaults 3.11.2-1', 'git 1:2.39.5-0+deb12u2',
  'git-man 1:2.39.5-0+deb12u2 git', 'liberror-perl 0.17029-2', 'libcurl3-gnutls 7.88.1-10+deb12u15 curl',
  'libxml2 2.9.14+dfsg-1.3~deb12u4', 'libicu72 72.1-3+deb12u1 icu', 'openssh-client 1:9.2p1-2+deb12u7 openssh',
  'libedit2 3.1-20221030-2 libedit', 'libbsd0 0.11.7-2 libbsd', 'libcbor0.8 0.8.0-2+b1 libcbor 0.8.0-2',
  'libfido2-1 1.12.0-2+b1 libfido2 1.12.0-2', 'xz-utils 5.4.1-1+deb12u1', 'libmagic1 1:5.44-3 file',
  'libmagic-mgc 1:5.44-3 file', 'file 1:5.44-3', 'wget 1.21.3-1+deb12u1',
  'libpq5 15.14-0+deb12u1 postgresql-15', 'libjpeg62-turbo 1:2.1.5-2 libjpeg-turbo', 'libpng16-16 1.6.39-2 libpng1.6',
  'libfreetype6 2.12.1+dfsg-5+deb12u4 freetype', 'fontconfig-config 2.14.1-4 fontconfig', 'libfontconfig1 2.14.1-4 fontconfig',
  'libtiff6 4.5.0-6+deb12u3 tiff', 'libwebp7 1.2.4-0.2+deb12u1 libwebp', 'libuv1 1.44.2-1+deb12u1',
  'nodejs 18.20.4+dfsg-1~deb12u1', 'libnode108 18.20.4+dfsg-1~deb12u1 nodejs', 'libyaml-0-2 0.2.5-1 libyaml',
];

// npm and PyPI packages an application image carries (a node app, a Python app).
const NPM = ('lodash express debug ms minimist qs semver axios follow-redirects body-parser cookie send serve-static path-to-regexp ' +
  'json5 ws tar glob minimatch brace-expansion yargs-parser moment underscore jsonwebtoken jquery handlebars ejs node-fetch ' +
  'tough-cookie word-wrap ansi-regex nanoid postcss socket.io-parser xml2js async chalk commander uuid dotenv mime cross-spawn ' +
  'http-proxy-middleware webpack braces micromatch ip undici ajv fast-xml-parser loader-utils terser decode-uri-component ' +
  'shell-quote y18n request sshpk mongoose sequelize @babel/traverse @grpc/grpc-js').split(' ');
const PYPI = ('Jinja2 requests urllib3 certifi idna charset-normalizer setuptools pip wheel six PyYAML MarkupSafe cryptography cffi ' +
  'pycparser Django Flask Werkzeug click itsdangerous numpy pandas Pillow SQLAlchemy aiohttp protobuf grpcio gunicorn paramiko lxml').split(' ');

// Real version histories where the fixtures need them (lodash < 4.17.21, jinja2 < 3.1.3 / 3.1.4).
const KNOWN_LADDERS: Record<string, string[]> = {
  lodash: ['4.17.11', '4.17.15', '4.17.19', '4.17.20', '4.17.21'],
  Jinja2: ['2.11.3', '3.0.3', '3.1.2', '3.1.3', '3.1.4', '3.1.6'],
};

export interface DebSpec {
  readonly name: string;
  readonly version: string;
  /** Present when the status file names a Source: (its version is the binary's unless given). */
  readonly source?: { readonly name: string; readonly version: string };
}

function parseDeb(line: string): DebSpec {
  const [name, version, source, sourceVersion] = line.split(' ') as [string, string, string?, string?];
  return { name, version, ...(source ? { source: { name: source, version: sourceVersion ?? version } } : {}) };
}

export const BASE_PACKAGES: readonly DebSpec[] = BASE_DEBS.map(parseDeb);
const EXTRA_PACKAGES: readonly DebSpec[] = EXTRA_DEBS.map(parseDeb);
const sourceOf = (d: DebSpec): string => d.source?.name ?? d.name;
const sourceVersionOf = (d: DebSpec): string => d.source?.version ?? d.version;

const POINT = /([+~]deb12u)(\d+)/;

/** How many stable point releases (+deb12uN / ~deb12uN) a version carries (0: none). */
export function pointReleases(version: string): number {
  const m = POINT.exec(version);
  return m ? Number(m[2]) : 0;
}

/** The version `back` point releases before this one (back >= N: the release's own version). */
export function olderDeb(version: string, back: number): string {
  const m = POINT.exec(version);
  if (!m || back <= 0) return version;
  const n = Number(m[2]) - back;
  return n <= 0 ? version.replace(POINT, '') : version.replace(POINT, `${m[1]}${n}`);
}

/** Six increasing semver versions for a package (deterministic), oldest first. */
function ladderOf(name: string): string[] {
  const known = KNOWN_LADDERS[name];
  if (known) return known;
  const h = createHash('sha256').update(name).digest();
  const major = 1 + (h[0]! % 5);
  let minor = h[1]! % 4;
  const out: string[] = [];
  for (let i = 0; i < 6; i++) {
    out.push(`${major}.${minor}.${h[2 + i]! % 12}`);
    minor += 1 + (h[8 + i]! % 3);
  }
  return out;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Index into a ladder for an image of this age (0 newest .. 1 oldest), with some spread. */
function pickByAge<T>(ladder: readonly T[], age: number, random: () => number): T {
  const back = Math.min(ladder.length - 1, Math.max(0, Math.round(age * (ladder.length - 1) + (random() - 0.5))));
  return ladder[ladder.length - 1 - back]!;
}

const purls = new Map<string, string>();
/** purlFor, remembered: images share most (name, version) pairs. */
function purlOf(p: RawPackage): string {
  const key = `${p.type}\u0000${p.name}\u0000${p.version}`;
  let purl = purls.get(key);
  if (purl === undefined) {
    purl = purlFor(p, BOOKWORM);
    if (purls.size < 100_000) purls.set(key, purl);
  }
  return purl;
}

export interface SyntheticImage {
  /** The inventory as the layer reader reports it. */
  readonly inventory: Inventory;
  readonly debs: readonly DebSpec[];
  readonly npm: readonly { name: string; version: string }[];
  readonly pypi: readonly { name: string; version: string }[];
}

/**
 * Image number `i` (deterministic): the bookworm base, some extra debs (105-150 in all), and for
 * a quarter of the images a node app (30-60 npm packages), for a fifth a Python app (12-30 PyPI
 * packages); versions by the image's age.
 */
export function syntheticImage(i: number): SyntheticImage {
  const random = rng(0x5ca9 + i * 7919);
  const age = random() ** 1.5; // more recent images than old ones
  const extras = shuffled(EXTRA_PACKAGES, random).slice(0, Math.floor(random() * (EXTRA_PACKAGES.length + 1)));
  const backBySource = new Map<string, number>();
  const debs: DebSpec[] = [...BASE_PACKAGES, ...extras].map((d) => {
    const src = sourceOf(d);
    let back = backBySource.get(src);
    if (back === undefined) {
      const n = pointReleases(sourceVersionOf(d));
      back = Math.min(n, Math.round(age * n + (random() < 0.15 ? 1 : 0)));
      backBySource.set(src, back);
    }
    if (back === 0) return d;
    return { name: d.name, version: olderDeb(d.version, back), ...(d.source ? { source: { name: d.source.name, version: olderDeb(d.source.version, back) } } : {}) };
  });
  const kind = random();
  const npm = kind < 0.25 ? shuffled(NPM, random).slice(0, 30 + Math.floor(random() * 31)).map((name) => ({ name, version: pickByAge(ladderOf(name), age, random) })) : [];
  const pypi = kind >= 0.25 && kind < 0.45 ? shuffled(PYPI, random).slice(0, 12 + Math.floor(random() * 19)).map((name) => ({ name, version: pickByAge(ladderOf(name), age, random) })) : [];
  const raw: RawPackage[] = [
    ...debs.map((d): RawPackage => ({ type: 'deb', name: d.name, version: d.version, arch: 'amd64', location: 'var/lib/dpkg/status', ...(d.source ? { source: d.source } : {}) })),
    ...npm.map((p): RawPackage => ({ type: 'npm', name: p.name, version: p.version, licenses: ['MIT'], location: `app/node_modules/${p.name}/package.json` })),
    ...pypi.map((p): RawPackage => ({ type: 'pypi', name: p.name, version: p.version, location: `usr/local/lib/python3.11/site-packages/${p.name}-${p.version}.dist-info/METADATA` })),
  ];
  const packages: Package[] = raw.map((p) => ({ ...p, purl: purlOf(p) }));
  return { inventory: { os: BOOKWORM, packages }, debs, npm, pypi };
}

/** A dpkg status file listing these packages. */
export function dpkgStatusOf(debs: readonly DebSpec[]): string {
  return debs.map((d) => [
    `Package: ${d.name}`, 'Status: install ok installed', 'Priority: optional', 'Section: misc', `Installed-Size: ${100 + (d.name.length * 37) % 900}`,
    'Maintainer: Debian Developers <debian-devel@lists.debian.org>', 'Architecture: amd64',
    ...(d.source ? [`Source: ${d.source.name}${d.source.version !== d.version ? ` (${d.source.version})` : ''}`] : []),
    `Version: ${d.version}`, `Description: ${d.name} (bench image)`, '',
  ].join('\n')).join('\n');
}

export function npmPackageJson(name: string, version: string): string {
  return JSON.stringify({ name, version, license: 'MIT', description: `${name} (bench image)`, main: 'index.js' }, null, 2);
}

export function pythonMetadata(name: string, version: string): string {
  return `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: ${name} (bench image)\nLicense: BSD-3-Clause\n\n`;
}

/** The npm and PyPI packages an image with a node app and a Python app would carry (the big image). */
export function appPackages(count: number): { npm: { name: string; version: string }[]; pypi: { name: string; version: string }[] } {
  const random = rng(77);
  return {
    npm: NPM.slice(0, count).map((name) => ({ name, version: pickByAge(ladderOf(name), 0.5, random) })),
    pypi: PYPI.slice(0, Math.ceil(count / 2)).map((name) => ({ name, version: pickByAge(ladderOf(name), 0.5, random) })),
  };
}

// ---- The feed --------------------------------------------------------------------------------

const URGENCIES: readonly [string, number][] = [['unimportant', 0.3], ['low', 0.25], ['medium', 0.22], ['high', 0.1], ['not yet assigned', 0.13]];
const CVSS = [
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N',
  'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N',
];
// Sources with many issues in the real tracker get more here.
const BUSY = new Set(['glibc', 'openssl', 'curl', 'systemd', 'perl', 'krb5', 'gnutls28', 'util-linux', 'git', 'python3.11', 'nodejs', 'libxml2',
  'openssh', 'tiff', 'sqlite3', 'expat', 'ncurses', 'pam', 'shadow', 'tar', 'gcc-12', 'icu', 'freetype', 'libwebp', 'postgresql-15', 'wget', 'gnupg2']);

function weighted<T>(choices: readonly [T, number][], random: () => number): T {
  let x = random();
  for (const [v, w] of choices) {
    if (x < w) return v;
    x -= w;
  }
  return choices[choices.length - 1]![0];
}

const GHSA_ALPHABET = '23456789cfghjmpqrvwx';
function ghsaId(seq: number): string {
  const h = createHash('sha256').update(`ghsa-${seq}`).digest();
  const part = (o: number): string => Array.from({ length: 4 }, (_, k) => GHSA_ALPHABET[h[o + k]! % GHSA_ALPHABET.length]).join('');
  return `GHSA-${part(0)}-${part(4)}-${part(8)}`;
}

export interface SyntheticFeed {
  /** The Debian tracker JSON: the fixture's packages plus generated issues. */
  readonly tracker: Buffer;
  /** A JSON array of OSV records: the fixtures plus generated npm, PyPI and Debian:12 records. */
  readonly osv: Buffer;
  readonly trackerIssues: number;
  readonly osvRecords: number;
  /** Advisories in both files. */
  readonly advisories: number;
}

/**
 * About `count` advisories: three quarters Debian tracker issues over the source packages of the
 * images (fixed in some point release 15%, open 2%, never affecting bookworm 33%, fixed before
 * its release 50%; an issue is a finding for each binary package of its source), a fifth
 * npm and PyPI records with ranges below some versions in use, the rest DSA records in OSV's
 * Debian:12 ecosystem for issues with a point-release fix (their upstream CVE is in the tracker).
 */
export function syntheticFeed(count: number): SyntheticFeed {
  const random = rng(0xfeed);
  const tracker = JSON.parse(readFileSync(join(FIXTURES, 'debian-tracker.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const osv: unknown[] = FIXTURE_OSV.map((id) => JSON.parse(readFileSync(join(FIXTURES, 'osv', `${id}.json`), 'utf8')) as unknown);
  const fixtureIssues = Object.values(tracker).reduce((n, issues) => n + Object.keys(issues).length, 0);

  // One entry per source package: its newest source version in the images.
  const sources = new Map<string, string>();
  for (const d of [...BASE_PACKAGES, ...EXTRA_PACKAGES]) if (!sources.has(sourceOf(d))) sources.set(sourceOf(d), sourceVersionOf(d));
  const names = [...sources.keys()];
  const weights = names.map((s) => (BUSY.has(s) ? 6 : 1) * (0.5 + random()));
  const total = weights.reduce((a, b) => a + b, 0);
  const trackerTarget = Math.round(count * 0.75);
  const dsaTarget = Math.round(count * 0.05);
  const langTarget = Math.max(0, count - trackerTarget - dsaTarget);

  let cveSeq = 0;
  let trackerIssues = 0;
  const pointFixes: { source: string; cve: string; fixed: string; urgency: string }[] = [];
  names.forEach((source, idx) => {
    const latest = sources.get(source)!;
    const n = pointReleases(latest);
    const oldest = olderDeb(latest, n);
    const issues = (tracker[source] ??= {});
    const k = Math.max(1, Math.round((weights[idx]! / total) * trackerTarget));
    for (let j = 0; j < k; j++) {
      const cve = `CVE-${2014 + (cveSeq % 12)}-${String(40_000 + cveSeq).padStart(5, '0')}`;
      cveSeq++;
      const urgency = weighted(URGENCIES, random);
      const x = random();
      let bookworm: Record<string, unknown>;
      // Most issues never reach a current bookworm package; an image built a while ago misses
      // some point releases. So a base image gets a few hundred findings, as with the real data.
      if (n > 0 && x < 0.15) {
        const fixed = olderDeb(latest, Math.floor(random() * n)); // images older than this point release are affected
        bookworm = { status: 'resolved', fixed_version: fixed, urgency, repositories: { bookworm: latest } };
        pointFixes.push({ source, cve, fixed, urgency });
      } else if (x >= 0.15 && x < 0.17) {
        bookworm = { status: 'open', urgency: urgency === 'high' ? 'unimportant' : urgency, repositories: { bookworm: latest } };
      } else if (x < 0.5) {
        bookworm = { status: 'resolved', fixed_version: '0', urgency: 'unimportant', repositories: { bookworm: latest } };
      } else {
        bookworm = { status: 'resolved', fixed_version: `${oldest}~`, urgency, repositories: { bookworm: latest } }; // fixed before the release
      }
      issues[cve] = {
        description: `A generated issue in ${source}: ${['buffer overflow', 'use after free', 'integer overflow', 'NULL pointer dereference', 'out-of-bounds read', 'path traversal'][j % 6]} in a parser (bench data).`,
        scope: j % 3 === 0 ? 'local' : 'remote',
        releases: {
          bookworm,
          bullseye: random() < 0.6 ? { status: 'resolved', fixed_version: `${oldest}~deb11u1`, urgency } : { status: 'open', urgency },
          trixie: { status: 'resolved', fixed_version: random() < 0.5 ? '0' : `${oldest}+1`, urgency },
        },
      };
      trackerIssues++;
    }
  });

  // DSA records (OSV, Debian:12) for some of the point-release fixes, derived from their CVE.
  let osvRecords = 0;
  for (let j = 0; j < dsaTarget && pointFixes.length; j++) {
    const fix = pointFixes[Math.floor(random() * pointFixes.length)]!;
    osv.push({
      schema_version: '1.6.0', id: `DSA-${5500 + j}-1`, modified: '2025-06-01T00:00:00Z', published: '2025-05-01T00:00:00Z',
      upstream: [fix.cve], summary: `${fix.source} security update`, details: `Generated DSA for ${fix.cve} (bench data).`,
      affected: [{
        package: { ecosystem: 'Debian:12', name: fix.source, purl: `pkg:deb/debian/${fix.source}?arch=source` },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fix.fixed }] }],
        database_specific: { source: `https://storage.googleapis.com/debian-osv/dsa-osv/DSA-${5500 + j}-1.json` },
      }],
      references: [{ type: 'ADVISORY', url: `https://www.debian.org/security/2025/dsa-${5500 + j}` }],
    });
    osvRecords++;
  }

  // npm and PyPI records: each fixes a version in the middle of the package's ladder.
  const lang = [...NPM.map((n) => ['npm', n] as const), ...PYPI.map((n) => ['PyPI', n] as const)];
  for (let j = 0; j < langTarget; j++) {
    const [ecosystem, name] = lang[Math.floor(random() * lang.length)]!;
    const ladder = ladderOf(name);
    const fixedAt = 1 + Math.floor(random() * (ladder.length - 1));
    const introduced = random() < 0.7 ? '0' : ladder[Math.floor(random() * fixedAt)]!;
    const id = ghsaId(j);
    const cve = `CVE-${2018 + (j % 8)}-${String(60_000 + j).padStart(5, '0')}`;
    osv.push({
      schema_version: '1.6.0', id, modified: '2025-06-01T00:00:00Z', published: '2024-01-01T00:00:00Z', aliases: [cve],
      summary: `Generated advisory for ${name} (bench data)`, details: `${name} before ${ladder[fixedAt]} mishandles crafted input.`,
      severity: [{ type: 'CVSS_V3', score: CVSS[j % CVSS.length]! }],
      affected: [{
        package: { ecosystem, name, purl: `pkg:${ecosystem === 'npm' ? 'npm' : 'pypi'}/${name.toLowerCase()}` },
        ranges: [{ type: ecosystem === 'npm' ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced }, { fixed: ladder[fixedAt]! }] }],
      }],
      references: [{ type: 'ADVISORY', url: `https://github.com/advisories/${id}` }],
      database_specific: { severity: ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'][j % 4], github_reviewed: true },
    });
    osvRecords++;
  }
  return {
    tracker: Buffer.from(JSON.stringify(tracker)),
    osv: Buffer.from(JSON.stringify(osv)),
    trackerIssues: trackerIssues + fixtureIssues,
    osvRecords: osvRecords + FIXTURE_OSV.length,
    advisories: trackerIssues + fixtureIssues + osvRecords + FIXTURE_OSV.length,
  };
}
