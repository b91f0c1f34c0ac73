// The dpkg status parser: which states count (as `dpkg-query -W` lists them, checked against the
// real dpkg-query on the same file), Source with and without a version, continuation lines,
// distroless status.d stanzas without Status.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dpkgStatusListed, parseDpkgSource, parseDpkgStatus } from '../../../../../src/features/scan/inventory/dpkg.ts';
import { run, tempDir } from './fixtures.ts';

const stanza = (name: string, status: string | undefined, extra = ''): string =>
  [`Package: ${name}`, ...(status ? [`Status: ${status}`] : []), 'Maintainer: M <m@example.org>', 'Architecture: amd64', `Version: 1.0-${name}`, 'Description: d', ' a continuation line', ' .', extra].filter(Boolean).join('\n');

const STATES = [
  ['installed', 'install ok installed'],
  ['held', 'hold ok installed'],
  ['configfiles', 'deinstall ok config-files'],
  ['halfinst', 'install reinstreq half-installed'],
  ['unpacked', 'install ok unpacked'],
  ['halfconf', 'install ok half-configured'],
  ['purged', 'purge ok not-installed'],
  ['wanted', 'install ok not-installed'],
] as const;

describe('parseDpkgStatus', () => {
  it('lists exactly the packages dpkg-query -W lists for the same status file', () => {
    const tmp = tempDir('dpkg');
    try {
      const text = `${STATES.map(([n, s]) => stanza(n, s)).join('\n\n')}\n`;
      mkdirSync(join(tmp.dir, 'updates'));
      writeFileSync(join(tmp.dir, 'status'), text);
      const oracle = run('dpkg-query', ['-W', `--admindir=${tmp.dir}`, '-f', '${Package} ${Version}\n']).toString().trim().split('\n').sort();
      const ours = parseDpkgStatus(text, 'var/lib/dpkg/status').map((p) => `${p.name} ${p.version}`).sort();
      assert.deepEqual(ours, oracle);
      assert.deepEqual(ours, ['configfiles 1.0-configfiles', 'halfconf 1.0-halfconf', 'halfinst 1.0-halfinst', 'held 1.0-held', 'installed 1.0-installed', 'unpacked 1.0-unpacked']);
    } finally {
      tmp.remove();
    }
  });

  it('reads Package, Version, Architecture and Source (with or without a version), not Description', () => {
    const text = [
      'Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2\nDescription: x\n multi\n line',
      'Package: gcc-12-base\nStatus: install ok installed\nArchitecture: amd64\nSource: gcc-12\nVersion: 12.2.0-14',
      'Package: bash\r\nStatus: install ok installed\r\nArchitecture: amd64\r\nVersion: 5.2.15-2+b2\r',
      'Package: libc6\nStatus: install ok installed\nArchitecture: i386\nMulti-Arch: same\nVersion: 2.36-9',
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9',
    ].join('\n\n');
    assert.deepEqual(parseDpkgStatus(Buffer.from(text), 'var/lib/dpkg/status'), [
      { name: 'libssl3', version: '3.0.11-1~deb12u2', type: 'deb', location: 'var/lib/dpkg/status', arch: 'amd64', source: { name: 'openssl', version: '3.0.11-1~deb12u2' } },
      { name: 'gcc-12-base', version: '12.2.0-14', type: 'deb', location: 'var/lib/dpkg/status', arch: 'amd64', source: { name: 'gcc-12', version: '12.2.0-14' } },
      { name: 'bash', version: '5.2.15-2+b2', type: 'deb', location: 'var/lib/dpkg/status', arch: 'amd64' },
      { name: 'libc6', version: '2.36-9', type: 'deb', location: 'var/lib/dpkg/status', arch: 'i386' },
      { name: 'libc6', version: '2.36-9', type: 'deb', location: 'var/lib/dpkg/status', arch: 'amd64' },
    ]);
  });

  it('status.d (distroless, dpkg-deb --field output): no Status means installed; several stanzas per file', () => {
    const text = `${stanza('base-files', undefined)}\n\n${stanza('tzdata', undefined)}\n`;
    assert.deepEqual(parseDpkgStatus(text, 'var/lib/dpkg/status.d/base', { statusD: true }).map((p) => p.name), ['base-files', 'tzdata']);
    // In the status file dpkg ignores a stanza without Status; so do we.
    assert.deepEqual(parseDpkgStatus(text, 'var/lib/dpkg/status'), []);
    // An explicit Status is still obeyed in status.d.
    assert.deepEqual(parseDpkgStatus(stanza('gone', 'purge ok not-installed'), 'x', { statusD: true }), []);
  });

  it('tolerates blank-ish separator lines, comments and fields without a Package', () => {
    const text = 'Package: a\nStatus: install ok installed\nVersion: 1\n \t\nVersion: 2\n\n# comment\nPackage: b\nStatus: install ok installed\nVersion: 3\n';
    assert.deepEqual(parseDpkgStatus(text, 's').map((p) => `${p.name}=${p.version}`), ['a=1', 'b=3']);
  });

  it('dpkgStatusListed and parseDpkgSource', () => {
    assert.equal(dpkgStatusListed('install ok installed'), true);
    assert.equal(dpkgStatusListed('deinstall ok config-files'), true);
    assert.equal(dpkgStatusListed('purge ok not-installed'), false);
    assert.equal(dpkgStatusListed('garbage'), false);
    assert.equal(dpkgStatusListed(undefined), false);
    assert.equal(dpkgStatusListed(undefined, true), true);
    assert.deepEqual(parseDpkgSource('openssl (3.0.11-1)', '3.0.11-1+b1'), { name: 'openssl', version: '3.0.11-1' });
    assert.deepEqual(parseDpkgSource('glibc', '2.36-9'), { name: 'glibc', version: '2.36-9' });
    assert.deepEqual(parseDpkgSource('util-linux ( 2.38.1-5 )', 'x'), { name: 'util-linux', version: '2.38.1-5' });
  });
});
