// Real whiteouts: a two-layer OCI image built with umoci (unpack, change, repack), whose second
// layer deletes a distroless status.d entry and a node_modules package the way container tools
// write deletions (".wh.<name>" entries). Each layer blob is read from the OCI layout with its
// manifest's media type, indexed, and the layers folded.
import assert from 'node:assert/strict';
import { createReadStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../../../../src/features/scan/inventory/layer.ts';
import type { LayerIndex } from '../../../../../src/features/scan/inventory/types.ts';
import { run, tempDir } from './fixtures.ts';

interface Descriptor { mediaType: string; digest: string }

/** The layer indexes of an image in an OCI layout, lowest first. */
async function layersOf(layout: string, tag: string): Promise<LayerIndex[]> {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: (Descriptor & { annotations?: Record<string, string> })[] };
  const m = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag)!;
  const blob = (d: Descriptor): string => join(layout, 'blobs', ...d.digest.split(':'));
  const manifest = JSON.parse(readFileSync(blob(m), 'utf8')) as { layers: Descriptor[] };
  const out: LayerIndex[] = [];
  for (const l of manifest.layers) out.push(await indexLayer(createReadStream(blob(l)), l.mediaType));
  return out;
}

describe('whiteouts written by umoci', () => {
  let tmp: ReturnType<typeof tempDir>;
  let layout: string;
  before(() => {
    tmp = tempDir('umoci');
    layout = join(tmp.dir, 'layout');
    const umoci = (...args: string[]) => run('umoci', args, { cwd: tmp.dir });
    umoci('init', '--layout', layout);
    umoci('new', '--image', `${layout}:img`);
    umoci('unpack', '--image', `${layout}:img`, 'b1');
    const r1 = join(tmp.dir, 'b1/rootfs');
    const statusD = join(r1, 'var/lib/dpkg/status.d');
    mkdirSync(statusD, { recursive: true });
    // Real control stanzas of two of this machine's packages, distroless style (no Status).
    for (const pkg of ['bash', 'dpkg']) {
      const stanza = run('dpkg-query', ['-s', pkg]).toString().split('\n').filter((l) => !l.startsWith('Status:')).join('\n');
      writeFileSync(join(statusD, pkg), stanza);
    }
    mkdirSync(join(r1, 'etc'));
    writeFileSync(join(r1, 'etc/os-release'), readFileSync('/usr/lib/os-release'));
    for (const [name, version] of [['left-pad', '1.3.0'], ['lodash', '4.17.20']]) {
      mkdirSync(join(r1, 'srv/app/node_modules', name!), { recursive: true });
      writeFileSync(join(r1, 'srv/app/node_modules', name!, 'package.json'), JSON.stringify({ name, version }));
    }
    umoci('repack', '--image', `${layout}:img`, 'b1');
    umoci('unpack', '--image', `${layout}:img`, 'b2');
    const r2 = join(tmp.dir, 'b2/rootfs');
    rmSync(join(r2, 'var/lib/dpkg/status.d/dpkg'));
    rmSync(join(r2, 'srv/app/node_modules/left-pad'), { recursive: true });
    umoci('repack', '--image', `${layout}:img`, 'b2');
  });
  after(() => tmp.remove());

  it('the second layer records the deletions; the folded image no longer has the deleted packages', async () => {
    const layers = await layersOf(layout, 'img');
    assert.equal(layers.length, 2);
    assert.deepEqual(layers[1]!.whiteouts, ['srv/app/node_modules/left-pad', 'var/lib/dpkg/status.d/dpkg']);
    const bash = run('dpkg-query', ['-W', '-f', '${Version}', 'bash']).toString();
    const before = foldLayers(layers.slice(0, 1)).packages.map((p) => `${p.type}:${p.name}`).sort();
    assert.deepEqual(before, ['deb:bash', 'deb:dpkg', 'npm:left-pad', 'npm:lodash']);
    const inv = foldLayers(layers);
    assert.deepEqual(inv.packages.map((p) => `${p.type}:${p.name}@${p.version}`).sort(), [`deb:bash@${bash}`, 'npm:lodash@4.17.20']);
    assert.equal(inv.os?.id, 'debian');
  });
});
