// Real data: this machine's dpkg database, snapshotted, tarred with the real tar and gzip, read
// by indexLayer, against dpkg-query on the same snapshot: the package list, the source packages
// and the architectures must be identical. Also the same database split into distroless-style
// status.d files (one per package, dpkg-deb --field style: no Status line) with no status file.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../../../../src/features/scan/inventory/layer.ts';
import type { Inventory } from '../../../../../src/features/scan/inventory/types.ts';
import { chunked, run, tempDir } from './fixtures.ts';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

function lines(b: Buffer): string[] {
  return b.toString('utf8').split('\n').filter(Boolean).sort();
}

async function inventoryOf(root: string, paths: string[]): Promise<Inventory> {
  const tar = run('tar', ['-C', root, '--sort=name', '-cf', '-', ...paths]);
  const gz = run('gzip', ['-c'], { input: tar });
  return foldLayers([await indexLayer(chunked(gz), GZIP)]);
}

describe('the dpkg inventory of this machine equals dpkg-query', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  let admin: string;
  before(() => {
    tmp = tempDir('real-dpkg');
    root = join(tmp.dir, 'root');
    admin = join(root, 'var/lib/dpkg');
    mkdirSync(join(admin, 'updates'), { recursive: true });
    // A snapshot: apt may be changing the live file, and dpkg-query must read the same bytes.
    copyFileSync('/var/lib/dpkg/status', join(admin, 'status'));
    mkdirSync(join(root, 'usr/lib'), { recursive: true });
    mkdirSync(join(root, 'etc'));
    copyFileSync('/usr/lib/os-release', join(root, 'usr/lib/os-release'));
    symlinkSync(readlinkSync('/etc/os-release'), join(root, 'etc/os-release'));
  });
  after(() => tmp.remove());

  it('same packages and versions, same source packages and versions, same architectures; debian 12', async () => {
    const inv = await inventoryOf(root, ['./etc', './usr', './var']);
    const deb = inv.packages.filter((p) => p.type === 'deb');
    const q = (format: string): string[] => lines(run('dpkg-query', ['-W', `--admindir=${admin}`, '-f', format]));
    const expected = q('${Package} ${Version}\n');
    assert.ok(expected.length > 100, `dpkg-query listed only ${expected.length} packages`);
    assert.deepEqual(deb.map((p) => `${p.name} ${p.version}`).sort(), expected);
    assert.deepEqual(deb.map((p) => `${p.name} ${p.source?.name ?? p.name} ${p.source?.version ?? p.version}`).sort(), q('${Package} ${source:Package} ${source:Version}\n'));
    assert.deepEqual(deb.map((p) => `${p.name} ${p.arch}`).sort(), q('${Package} ${Architecture}\n'));
    assert.equal(inv.os?.id, 'debian');
    assert.equal(inv.os?.versionId, '12');
    for (const p of deb) assert.equal(p.purl, `pkg:deb/debian/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version).replace(/%3A/g, ':')}?arch=${p.arch}&distro=debian-12`);
  });

  it('distroless style: one status.d file per package, no status file: the same list', async () => {
    const droot = join(tmp.dir, 'distroless');
    const statusD = join(droot, 'var/lib/dpkg/status.d');
    mkdirSync(statusD, { recursive: true });
    const names = lines(run('dpkg-query', ['-W', `--admindir=${admin}`, '-f', '${binary:Package}\n']));
    // dpkg-query -s prints each package's stanza; distroless files carry the control fields only.
    const stanzas = run('dpkg-query', [`--admindir=${admin}`, '-s', ...names]).toString('utf8').split(/\n\n+/).filter((s) => s.trim());
    assert.equal(stanzas.length, names.length);
    for (const s of stanzas) {
      const pkg = /^Package: (.+)$/m.exec(s)![1]!;
      const arch = /^Architecture: (.+)$/m.exec(s)![1]!;
      const file = names.includes(pkg) ? pkg : `${pkg}:${arch}`;
      writeFileSync(join(statusD, file), `${s.split('\n').filter((l) => !l.startsWith('Status:')).join('\n')}\n`);
      writeFileSync(join(statusD, `${file}.md5sums`), 'd41d8cd98f00b204e9800998ecf8427e  usr/share/doc/x\n');
    }
    mkdirSync(join(droot, 'etc'));
    writeFileSync(join(droot, 'etc/os-release'), readFileSync('/usr/lib/os-release'));
    const inv = await inventoryOf(droot, ['./etc', './var']);
    const deb = inv.packages.filter((p) => p.type === 'deb');
    assert.deepEqual(deb.map((p) => `${p.name} ${p.version}`).sort(), lines(run('dpkg-query', ['-W', `--admindir=${admin}`, '-f', '${Package} ${Version}\n'])));
    assert.ok(deb.every((p) => p.location.startsWith('var/lib/dpkg/status.d/') && !p.location.endsWith('.md5sums')));
  });
});
