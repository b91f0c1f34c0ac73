// indexLayer on layers made with the real tar, gzip and zstd from a hand-built root, and
// foldLayers on hand-made LayerIndex values: whiteouts, opaque folders, masks, replacement,
// duplicates, lock files against installed packages, the os-release that decides purls.
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../../../../src/features/scan/inventory/layer.ts';
import type { FileFinding, LayerIndex, RawPackage } from '../../../../../src/features/scan/inventory/types.ts';
import { chunked, run, tempDir } from './fixtures.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/** A minimal ELF-looking file carrying Go 1.18+ inline build info at an aligned offset. */
function goBinary(modinfo: string): Buffer {
  const mod = Buffer.concat([Buffer.alloc(16, 1), Buffer.from(modinfo), Buffer.alloc(16, 2)]);
  const header = Buffer.alloc(32);
  MAGIC.copy(header);
  header[14] = 8;
  header[15] = 2;
  const v = Buffer.from('go1.21.5');
  const info = Buffer.concat([header, Buffer.from([v.length]), v, Buffer.from([mod.length & 0x7f | 0x80, mod.length >> 7]), mod]);
  const b = Buffer.alloc(32768, 0x90);
  b.write('\x7fELF', 0, 'latin1');
  info.copy(b, 8192);
  return b;
}

const STATUS = 'Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\nPackage: gone\nStatus: purge ok not-installed\n';

function write(root: string, rel: string, data: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), data);
  chmodSync(join(root, rel), mode);
}

describe('indexLayer', () => {
  let tmp: ReturnType<typeof tempDir>;
  let tar: Buffer;
  before(() => {
    tmp = tempDir('layer');
    const r = join(tmp.dir, 'root');
    write(r, 'usr/lib/os-release', 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    mkdirSync(join(r, 'etc'));
    symlinkSync('../usr/lib/os-release', join(r, 'etc/os-release'));
    write(r, 'var/lib/dpkg/status', STATUS);
    write(r, 'var/lib/dpkg/status.d/tzdata', 'Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n');
    write(r, 'var/lib/dpkg/status.d/tzdata.md5sums', 'abc  usr/share/zoneinfo/UTC\n');
    write(r, 'app/package-lock.json', JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/left-pad': { version: '1.3.0' } } }));
    write(r, 'app/node_modules/left-pad/package.json', JSON.stringify({ name: 'left-pad', version: '1.3.0', license: 'WTFPL' }));
    write(r, 'app/node_modules/bad/package.json', '{ not json');
    write(r, 'app/node_modules/huge/package.json', JSON.stringify({ name: 'huge', version: '1.0.0', pad: 'x'.repeat(1024 * 1024) }));
    write(r, 'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n');
    write(r, 'usr/local/bin/app', goBinary('path\texample.com/app\nmod\texample.com/app\tv1.2.3\t\ndep\tgithub.com/x/y\tv0.1.0\th1:z=\n'), 0o755);
    linkSync(join(r, 'usr/local/bin/app'), join(r, 'usr/local/bin/app-hardlink'));
    write(r, 'usr/bin/script', `#!/bin/sh\n${'#'.repeat(2000)}\n`, 0o755);
    write(r, 'var/lib/rpm/Packages', Buffer.alloc(8192, 0x61));
    // OCI whiteouts are empty regular files with these names.
    write(r, 'var/lib/dpkg/status.d/.wh.libfoo', '');
    write(r, 'opt/.wh..wh..opq', '');
    write(r, 'usr/share/doc/readme', 'not interesting');
    tar = run('tar', ['-C', r, '--sort=name', '--format=pax', '-cf', '-', '.']);
  });
  after(() => tmp.remove());

  it('indexes the interesting files, whiteouts and opaque folders of an uncompressed layer', async () => {
    const idx = await indexLayer(chunked(tar, [1000, 7]), 'application/vnd.oci.image.layer.v1.tar');
    assert.deepEqual(Object.keys(idx.files), [
      'app/node_modules/bad/package.json',
      'app/node_modules/huge/package.json',
      'app/node_modules/left-pad/package.json',
      'app/package-lock.json',
      'usr/lib/os-release',
      'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA',
      'usr/local/bin/app',
      'usr/local/bin/app-hardlink',
      'var/lib/dpkg/status',
      'var/lib/dpkg/status.d/tzdata',
      'var/lib/rpm/Packages',
    ]);
    assert.deepEqual(idx.whiteouts, ['var/lib/dpkg/status.d/libfoo']);
    assert.deepEqual(idx.opaqueDirs, ['opt']);
    assert.equal(idx.bytesRead, tar.length);
    // The symlink over os-release and the non-Go program are recorded as masks.
    assert.deepEqual(idx.masked, ['etc/os-release', 'usr/bin/script']);
    const f = idx.files;
    assert.deepEqual(f['var/lib/dpkg/status']!.packages, [{ name: 'libssl3', version: '3.0.11-1~deb12u2', type: 'deb', location: 'var/lib/dpkg/status', arch: 'amd64', source: { name: 'openssl', version: '3.0.11-1~deb12u2' } }]);
    assert.deepEqual(f['var/lib/dpkg/status.d/tzdata']!.packages.map((p) => p.name), ['tzdata']);
    assert.deepEqual(f['usr/lib/os-release']!.os, { id: 'debian', versionId: '12', codename: 'bookworm' });
    assert.match(f['app/node_modules/bad/package.json']!.unread!, /^malformed/);
    assert.match(f['app/node_modules/huge/package.json']!.unread!, /over the 1048576 bytes/);
    assert.match(f['var/lib/rpm/Packages']!.unread!, /BerkeleyDB/);
    assert.deepEqual(f['usr/local/bin/app']!.packages.map((p) => `${p.name}@${p.version}`), ['stdlib@v1.21.5', 'example.com/app@v1.2.3', 'github.com/x/y@v0.1.0']);
    assert.deepEqual(f['usr/local/bin/app-hardlink']!.packages.map((p) => p.location), ['usr/local/bin/app-hardlink', 'usr/local/bin/app-hardlink', 'usr/local/bin/app-hardlink']);
  });

  it('gives the same index for the gzip and zstd forms made by the real tools', async () => {
    const plain = await indexLayer(chunked(tar), 'application/vnd.oci.image.layer.v1.tar');
    const gz = await indexLayer(chunked(run('gzip', ['-c'], { input: tar }), [333]), 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    const zst = await indexLayer(chunked(run('zstd', ['-c', '-q'], { input: tar }), [333]), 'application/vnd.oci.image.layer.v1.tar+zstd');
    assert.deepEqual(gz, plain);
    assert.deepEqual(zst, plain);
  });

  it('folds into an inventory: purls for debian 12, the lock entry not doubled by the installed copy, unread files listed', async () => {
    const inv = foldLayers([await indexLayer(chunked(tar), 'application/vnd.oci.image.layer.v1.tar')]);
    // etc/os-release is a symlink here: usr/lib/os-release decides.
    assert.equal(inv.os?.id, 'debian');
    assert.deepEqual(inv.packages.map((p) => p.purl), [
      'pkg:npm/left-pad@1.3.0',
      'pkg:pypi/six@1.16.0',
      'pkg:golang/stdlib@v1.21.5',
      'pkg:golang/example.com/app@v1.2.3',
      'pkg:golang/github.com/x/y@v0.1.0',
      'pkg:golang/stdlib@v1.21.5',
      'pkg:golang/example.com/app@v1.2.3',
      'pkg:golang/github.com/x/y@v0.1.0',
      'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
      'pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12',
    ]);
    assert.deepEqual(inv.unread?.map((u) => u.location), ['app/node_modules/bad/package.json', 'app/node_modules/huge/package.json', 'var/lib/rpm/Packages']);
  });

  it('a truncated or non-tar layer rejects with a clear error', async () => {
    const gz = run('gzip', ['-c'], { input: tar.subarray(0, 3000) });
    await assert.rejects(indexLayer(chunked(gz), 'application/vnd.oci.image.layer.v1.tar+gzip'), /archive ends inside/);
    await assert.rejects(indexLayer(chunked(Buffer.alloc(5000, 'x')), 'application/vnd.oci.image.layer.v1.tar'), /checksum/);
    await assert.rejects(indexLayer(chunked(tar), 'application/json'), /not a tar layer/);
  });
});

const finding = (kind: FileFinding['kind'], packages: Partial<RawPackage>[] = [], extra: Partial<FileFinding> = {}): FileFinding => ({
  kind,
  packages: packages.map((p) => ({ name: 'x', version: '1', type: 'deb', location: 'x', ...p }) as RawPackage),
  ...extra,
});
const layer = (files: Record<string, FileFinding>, rest: Partial<LayerIndex> = {}): LayerIndex => ({ files, whiteouts: [], opaqueDirs: [], bytesRead: 0, ...rest });
const names = (l: LayerIndex[]): string[] => foldLayers(l).packages.map((p) => `${p.name}@${p.version}`);

describe('foldLayers', () => {
  const base = layer({
    'var/lib/dpkg/status.d/foo': finding('dpkg-status-d', [{ name: 'foo', location: 'var/lib/dpkg/status.d/foo' }]),
    'var/lib/dpkg/status.d/bar': finding('dpkg-status-d', [{ name: 'bar', location: 'var/lib/dpkg/status.d/bar' }]),
    'app/node_modules/a/package.json': finding('npm-package', [{ name: 'a', type: 'npm', location: 'app/node_modules/a/package.json' }]),
    'app/node_modules/a/node_modules/b/package.json': finding('npm-package', [{ name: 'b', type: 'npm', location: 'app/node_modules/a/node_modules/b/package.json' }]),
    'app/node_modules/c/package.json': finding('npm-package', [{ name: 'c', type: 'npm', location: 'app/node_modules/c/package.json' }]),
  });

  it('a whiteout deletes the file at its path, and everything under it when it names a folder', () => {
    assert.deepEqual(names([base, layer({}, { whiteouts: ['var/lib/dpkg/status.d/foo', 'app/node_modules/a'] })]), ['c@1', 'bar@1']);
  });

  it('a whiteout does not delete a sibling whose name merely starts the same', () => {
    assert.deepEqual(names([base, layer({}, { whiteouts: ['app/node_modules/a/node', 'var/lib/dpkg/status.d/fo'] })]).sort(), ['a@1', 'b@1', 'bar@1', 'c@1', 'foo@1']);
  });

  it('an opaque folder hides every lower file under it, but not the layer\'s own files there', () => {
    const upper = layer({ 'app/node_modules/z/package.json': finding('npm-package', [{ name: 'z', type: 'npm', location: 'app/node_modules/z/package.json' }]) }, { opaqueDirs: ['app/node_modules'] });
    assert.deepEqual(names([base, upper]), ['z@1', 'bar@1', 'foo@1']);
    assert.deepEqual(names([base, layer({}, { opaqueDirs: [''] })]), []);
  });

  it('whiteouts apply to lower layers only: a file the same layer adds stays', () => {
    const upper = layer({ 'var/lib/dpkg/status.d/foo': finding('dpkg-status-d', [{ name: 'foo', version: '2', location: 'var/lib/dpkg/status.d/foo' }]) }, { whiteouts: ['var/lib/dpkg/status.d/foo'] });
    assert.deepEqual(names([base, upper]).filter((n) => n.startsWith('foo')), ['foo@2']);
  });

  it('an upper file replaces the lower one at the same path; a mask removes it; a later layer can bring it back', () => {
    const replace = layer({ 'var/lib/dpkg/status.d/bar': finding('dpkg-status-d', [{ name: 'bar', version: '9', location: 'var/lib/dpkg/status.d/bar' }]) });
    assert.deepEqual(names([base, replace]).filter((n) => n.startsWith('bar')), ['bar@9']);
    const mask = layer({}, { masked: ['var/lib/dpkg/status.d/bar'] });
    assert.deepEqual(names([base, mask]).filter((n) => n.startsWith('bar')), []);
    assert.deepEqual(names([base, mask, replace]).filter((n) => n.startsWith('bar')), ['bar@9']);
  });

  it('a deleted-then-readded folder: whiteout and new content in the same layer', () => {
    const upper = layer({ 'app/node_modules/a/package.json': finding('npm-package', [{ name: 'a', version: '2', type: 'npm', location: 'app/node_modules/a/package.json' }]) }, { whiteouts: ['app/node_modules/a'] });
    assert.deepEqual(names([base, upper]).filter((n) => /^[ab]@/.test(n)), ['a@2']);
  });

  it('the same package twice at one location is listed once; at two locations twice', () => {
    const dup = layer({
      'var/lib/dpkg/status': finding('dpkg-status', [{ name: 'p', location: 'var/lib/dpkg/status' }, { name: 'p', location: 'var/lib/dpkg/status' }, { name: 'p', arch: 'i386', location: 'var/lib/dpkg/status' }]),
      'usr/bin/a': finding('go-binary', [{ name: 'stdlib', type: 'golang', location: 'usr/bin/a' }]),
      'usr/bin/b': finding('go-binary', [{ name: 'stdlib', type: 'golang', location: 'usr/bin/b' }]),
    });
    assert.deepEqual(names([dup]), ['stdlib@1', 'stdlib@1', 'p@1', 'p@1']);
  });

  it('a lock entry goes when its folder holds the installed package; stays when that was deleted', () => {
    const lock = finding('npm-lock', [
      { name: 'a', type: 'npm', location: 'app/package-lock.json', installedAt: 'app/node_modules/a' },
      { name: 'gone', type: 'npm', location: 'app/package-lock.json', installedAt: 'app/node_modules/gone' },
    ]);
    const withLock = layer({ ...base.files, 'app/package-lock.json': lock });
    assert.deepEqual(names([withLock]).filter((n) => /^(a|gone)@/.test(n)), ['a@1', 'gone@1']);
    assert.equal(foldLayers([withLock]).packages.filter((p) => p.name === 'a')[0]?.location, 'app/node_modules/a/package.json');
  });

  it('etc/os-release decides over usr/lib/os-release; deleting it falls back; packages get that distro', () => {
    const os = layer({
      'usr/lib/os-release': finding('os-release', [], { os: { id: 'debian', versionId: '12' } }),
      'etc/os-release': finding('os-release', [], { os: { id: 'ubuntu', versionId: '22.04' } }),
      'var/lib/dpkg/status': finding('dpkg-status', [{ name: 'p', arch: 'amd64', location: 'var/lib/dpkg/status' }]),
    });
    assert.equal(foldLayers([os]).packages[0]!.purl, 'pkg:deb/ubuntu/p@1?arch=amd64&distro=ubuntu-22.04');
    const inv = foldLayers([os, layer({}, { whiteouts: ['etc/os-release'] })]);
    assert.equal(inv.os?.id, 'debian');
    assert.equal(inv.packages[0]!.purl, 'pkg:deb/debian/p@1?arch=amd64&distro=debian-12');
    assert.equal(foldLayers([]).os, undefined);
  });
});
