// Real data: rpm packages built by the real rpmbuild and recorded by the real rpm (Debian's rpm
// 4.18, sqlite backend) into var/lib/rpm/rpmdb.sqlite of a root, tarred with the real tar and
// gzip, read by indexLayer, against `rpm -qa` on the same database.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../../../../src/features/scan/inventory/layer.ts';
import { ensureDebianTool } from '../../../../helpers/rootfs.ts';
import { chunked, run, tempDir } from './fixtures.ts';

const SPEC = (name: string, epoch: string, license: string) => `Name: ${name}
Version: 1.2.3
Release: 4.fc39
${epoch ? `Epoch: ${epoch}` : ''}
Summary: Berth test package
License: ${license}
BuildArch: noarch
%description
A package for Berth's rpmdb test.
%package libs
Summary: Its library
%description libs
Its library.
%install
mkdir -p %{buildroot}/usr/share/${name} %{buildroot}/usr/lib/${name}
echo hi > %{buildroot}/usr/share/${name}/hello
echo lib > %{buildroot}/usr/lib/${name}/lib
%files
/usr/share/${name}/hello
%files libs
/usr/lib/${name}/lib
`;

describe('an rpmdb.sqlite written by the real rpm', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  let dbpath: string;
  before(() => {
    ensureDebianTool('rpmbuild', 'rpm');
    tmp = tempDir('real-rpm');
    root = join(tmp.dir, 'root');
    dbpath = join(root, 'var/lib/rpm');
    mkdirSync(dbpath, { recursive: true });
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/os-release'), 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\n');
    const top = join(tmp.dir, 'top');
    for (const [name, epoch, license] of [['berth-hello', '2', 'MIT AND Apache-2.0'], ['berth-tool', '', 'GPL-2.0-or-later']] as const) {
      writeFileSync(join(tmp.dir, `${name}.spec`), SPEC(name, epoch, license));
      run('rpmbuild', ['--define', `_topdir ${top}`, '--define', '_build_id_links none', '--quiet', '-bb', join(tmp.dir, `${name}.spec`)]);
    }
    const rpms = readdirSync(join(top, 'RPMS/noarch')).map((f) => join(top, 'RPMS/noarch', f));
    const rpm = ['--dbpath', dbpath, '--define', '_db_backend sqlite'];
    run('rpm', [...rpm, '--initdb']);
    run('rpm', [...rpm, '-i', '--nodeps', '--justdb', ...rpms]);
  });
  after(() => tmp.remove());

  it('lists what rpm -qa lists: name, epoch:version-release, arch, source rpm, license', async () => {
    const qf = '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM} %{LICENSE}\\n';
    const oracle = run('rpm', ['--dbpath', dbpath, '-qa', '--qf', qf]).toString().trim().split('\n').sort();
    assert.equal(oracle.length, 4, oracle.join('\n'));
    // The database as it sits in an image, with rpm's -shm and -wal files beside it.
    const tar = run('tar', ['-C', root, '-cf', '-', '.']);
    const inv = foldLayers([await indexLayer(chunked(run('gzip', ['-c'], { input: tar })), 'application/vnd.oci.image.layer.v1.tar+gzip')]);
    const ours = inv.packages.map((p) => {
      const src = p.source ?? { name: p.name, version: p.version };
      const srcVersion = src.version.replace(/^\d+:/, '');
      return `${p.name} ${p.version} ${p.arch} ${src.name}-${srcVersion}.src.rpm ${p.licenses?.join(' ')}`;
    }).sort();
    assert.deepEqual(ours, oracle);
    assert.ok(inv.packages.every((p) => p.location === 'var/lib/rpm/rpmdb.sqlite'));
    assert.equal(inv.packages.find((p) => p.name === 'berth-hello-libs')?.purl, 'pkg:rpm/fedora/berth-hello-libs@1.2.3-4.fc39?arch=noarch&distro=fedora-39&epoch=2');
  });
});
