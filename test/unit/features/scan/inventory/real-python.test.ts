// Real data: the dist-info and egg-info metadata of Debian's python3 packages on this machine,
// copied into a root, tarred and gzipped with the real tools, read by indexLayer, against what
// Python's own importlib.metadata finds in the same tree.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../../../../src/features/scan/inventory/layer.ts';
import { normalizePythonName } from '../../../../../src/features/scan/inventory/python.ts';
import { chunked, run, tempDir } from './fixtures.ts';

const SITE = '/usr/lib/python3/dist-packages';

describe('python metadata of this machine\'s Debian python3 packages', () => {
  let tmp: ReturnType<typeof tempDir>;
  let site: string;
  before(() => {
    tmp = tempDir('real-python');
    site = join(tmp.dir, 'root', SITE);
    mkdirSync(site, { recursive: true });
    for (const name of readdirSync(SITE)) {
      if (name.endsWith('.dist-info') || name.endsWith('.egg-info')) cpSync(join(SITE, name), join(site, name), { recursive: true });
    }
  });
  after(() => tmp.remove());

  it('finds every distribution importlib.metadata finds, with the same versions', async () => {
    const distInfos = readdirSync(site).filter((n) => n.endsWith('.dist-info'));
    assert.ok(distInfos.length > 0, `no *.dist-info in ${SITE}: install Debian's python3-yaml (or any python3 package with a dist-info)`);
    const tar = run('tar', ['-C', join(tmp.dir, 'root'), '-cf', '-', '.']);
    const inv = foldLayers([await indexLayer(chunked(run('gzip', ['-c'], { input: tar })), 'application/vnd.oci.image.layer.v1.tar+gzip')]);
    const ours = [...new Set(inv.packages.filter((p) => p.type === 'pypi').map((p) => `${p.name} ${p.version}`))].sort();
    // Debian's own python3 (not a pyenv shim): its importlib.metadata reads the same tree.
    const script = 'import importlib.metadata as m, sys\nfor d in m.distributions(path=[sys.argv[1]]): print(d.metadata["Name"], d.version)';
    const oracle = [...new Set(run('/usr/bin/python3', ['-c', script, site]).toString().trim().split('\n').map((l) => {
      const [name, version] = l.split(' ');
      return `${normalizePythonName(name!)} ${version}`;
    }))].sort();
    assert.ok(oracle.length >= distInfos.length);
    assert.deepEqual(ours, oracle);
    const yaml = inv.packages.find((p) => p.location.endsWith('.dist-info/METADATA'));
    assert.ok(yaml, 'a package from a dist-info METADATA');
    assert.equal(yaml.purl, `pkg:pypi/${yaml.name}@${yaml.version}`);
  });
});
