// A real Debian 12 image: a debootstrap minbase rootfs with openssl, curl, zlib1g and bash
// (built once by test/helpers/rootfs.ts and cached), read as one gzip layer and as zstd: the dpkg
// inventory must equal dpkg-query on the image's own database, package for package, with the
// same source packages; os-release must say debian 12. Then the same packages distroless style:
// one status.d file per package and no status file.
import assert from 'node:assert/strict';
import { createReadStream, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../src/features/scan/inventory/layer.ts';
import type { Inventory, LayerIndex } from '../../src/features/scan/inventory/types.ts';
import { debianRootfs, extractFromRootfs, type Rootfs } from '../helpers/rootfs.ts';
import { run, tempDir } from '../unit/features/scan/inventory/fixtures.ts';

const INCLUDE = ['openssl', 'curl', 'zlib1g', 'bash'];
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

const sorted = (b: Buffer): string[] => b.toString('utf8').split('\n').filter(Boolean).sort();

describe('a debootstrap bookworm image', { timeout: 30 * 60_000 }, () => {
  let rootfs: Rootfs;
  let tmp: ReturnType<typeof tempDir>;
  let admin: string;
  let gzIndex: LayerIndex;
  let inv: Inventory;
  const query = (format: string): string[] => sorted(run('dpkg-query', ['-W', `--admindir=${admin}`, '-f', format]));

  before(async () => {
    rootfs = await debianRootfs({ include: INCLUDE });
    tmp = tempDir('debian-image');
    extractFromRootfs(rootfs, join(tmp.dir, 'root'), ['./var/lib/dpkg/status']);
    admin = join(tmp.dir, 'root/var/lib/dpkg');
    mkdirSync(join(admin, 'updates'), { recursive: true });
    const started = process.hrtime.bigint();
    gzIndex = await indexLayer(createReadStream(rootfs.tarball), GZIP);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const mb = statSync(rootfs.tarball).size / 1e6;
    // A measurement for the report, not an assertion: these machines are shared.
    process.stderr.write(`[scan-inventory] indexed ${mb.toFixed(1)} MB gzip (${(gzIndex.bytesRead / 1e6).toFixed(1)} MB tar) in ${seconds.toFixed(2)} s: ${(mb / seconds).toFixed(1)} MB/s compressed\n`);
    inv = foldLayers([gzIndex]);
  });
  after(() => tmp?.remove());

  it('the dpkg inventory equals dpkg-query -W on the image\'s database', () => {
    const deb = inv.packages.filter((p) => p.type === 'deb');
    const expected = query('${Package} ${Version}\n');
    for (const name of ['openssl', 'curl', 'zlib1g', 'bash', 'libc6', 'dpkg']) assert.ok(expected.some((l) => l.startsWith(`${name} `)), `${name} in the image`);
    assert.deepEqual(deb.map((p) => `${p.name} ${p.version}`).sort(), expected);
  });

  it('the source packages equal dpkg-query\'s ${source:Package} ${source:Version}', () => {
    const deb = inv.packages.filter((p) => p.type === 'deb');
    assert.deepEqual(deb.map((p) => `${p.name} ${p.source?.name ?? p.name} ${p.source?.version ?? p.version}`).sort(), query('${Package} ${source:Package} ${source:Version}\n'));
    assert.equal(deb.find((p) => p.name === 'libssl3')?.source?.name, 'openssl');
  });

  it('os-release says debian 12 (bookworm), and purls carry distro=debian-12', () => {
    assert.deepEqual({ id: inv.os?.id, versionId: inv.os?.versionId, codename: inv.os?.codename }, { id: 'debian', versionId: '12', codename: 'bookworm' });
    const curl = inv.packages.find((p) => p.name === 'curl')!;
    assert.match(curl.purl, /^pkg:deb\/debian\/curl@[^?]+\?arch=amd64&distro=debian-12$/);
  });

  it('the same layer compressed with the real zstd gives the same index', async () => {
    const zst = join(tmp.dir, 'layer.tar.zst');
    run('sh', ['-c', 'gzip -dc "$1" | zstd -q -3 -c > "$2"', 'sh', rootfs.tarball, zst]);
    assert.deepEqual(await indexLayer(createReadStream(zst), 'application/vnd.oci.image.layer.v1.tar+zstd'), gzIndex);
  });

  it('distroless style (status.d/<pkg> files, no status file) gives the same dpkg list', async () => {
    const droot = join(tmp.dir, 'distroless');
    const statusD = join(droot, 'var/lib/dpkg/status.d');
    mkdirSync(statusD, { recursive: true });
    const names = query('${binary:Package}\n');
    const stanzas = run('dpkg-query', [`--admindir=${admin}`, '-s', ...names]).toString('utf8').split(/\n\n+/).filter((s) => s.trim());
    assert.equal(stanzas.length, names.length);
    for (const s of stanzas) {
      const pkg = /^Package: (.+)$/m.exec(s)![1]!;
      const arch = /^Architecture: (.+)$/m.exec(s)![1]!;
      const file = names.includes(pkg) ? pkg : `${pkg}:${arch}`;
      // As distroless writes them: the package's control fields (dpkg-deb --field), no Status.
      writeFileSync(join(statusD, file), `${s.split('\n').filter((l) => !l.startsWith('Status:')).join('\n')}\n`);
    }
    extractFromRootfs(rootfs, join(tmp.dir, 'osr'), ['./usr/lib/os-release']);
    mkdirSync(join(droot, 'etc'));
    writeFileSync(join(droot, 'etc/os-release'), readFileSync(join(tmp.dir, 'osr/usr/lib/os-release')));
    const tar = run('tar', ['-C', droot, '-cf', '-', '.']);
    const gz = run('gzip', ['-c'], { input: tar });
    const d = foldLayers([await indexLayer((async function* () { yield gz; })(), GZIP)]);
    assert.deepEqual(d.packages.filter((p) => p.type === 'deb').map((p) => `${p.name} ${p.version}`).sort(), query('${Package} ${Version}\n'));
    assert.equal(d.os?.versionId, '12');
  });
});
