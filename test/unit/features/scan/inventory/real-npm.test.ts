// Real data: an npm tree made by the real npm (install --package-lock-only, then ci) from a
// package.json written here, tarred and gzipped with the real tools, read by indexLayer, against
// `npm ls --all --json` of the same tree. The npm registry must be reachable.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../../../../src/features/scan/inventory/layer.ts';
import { chunked, run, tempDir } from './fixtures.ts';

interface LsNode { version?: string; dependencies?: Record<string, LsNode> }

function flatten(deps: Record<string, LsNode> | undefined, out = new Set<string>()): Set<string> {
  for (const [name, node] of Object.entries(deps ?? {})) {
    if (node.version) out.add(`${name}@${node.version}`);
    flatten(node.dependencies, out);
  }
  return out;
}

describe('an npm ci tree', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  let app: string;
  before(() => {
    tmp = tempDir('real-npm');
    root = join(tmp.dir, 'root');
    app = join(root, 'srv/app');
    mkdirSync(app, { recursive: true });
    // Old releases with known advisories, and a scoped package with dependencies of its own.
    writeFileSync(join(app, 'package.json'), JSON.stringify({
      name: 'berth-scan-fixture', version: '1.0.0', private: true,
      dependencies: { lodash: '4.17.20', 'left-pad': '1.3.0', '@sindresorhus/is': '4.6.0', debug: '2.6.8' },
    }));
    const npm = ['--no-audit', '--no-fund', '--cache', join(tmp.dir, 'npm-cache'), '--loglevel=error'];
    try {
      run('npm', ['install', '--package-lock-only', ...npm], { cwd: app });
      run('npm', ['ci', ...npm], { cwd: app });
    } catch (error) {
      throw new Error(`npm could not build the fixture tree (is https://registry.npmjs.org reachable?): ${(error as Error).message}`);
    }
  });
  after(() => tmp.remove());

  const index = async (paths: string[]) => {
    const tar = run('tar', ['-C', root, '-cf', '-', ...paths]);
    return foldLayers([await indexLayer(chunked(run('gzip', ['-c'], { input: tar })), 'application/vnd.oci.image.layer.v1.tar+gzip')]);
  };

  it('lists what npm ls lists, each package once, from its installed package.json', async () => {
    const ls = JSON.parse(run('npm', ['ls', '--all', '--json'], { cwd: app }).toString()) as LsNode;
    const expected = [...flatten(ls.dependencies)].sort();
    assert.ok(expected.includes('lodash@4.17.20') && expected.includes('left-pad@1.3.0') && expected.includes('ms@2.0.0'), expected.join(' '));
    const inv = await index(['srv']);
    const npm = inv.packages.filter((p) => p.type === 'npm');
    assert.deepEqual(npm.map((p) => `${p.name}@${p.version}`).sort(), expected);
    assert.ok(npm.every((p) => p.location.startsWith('srv/app/node_modules/') && p.location.endsWith('/package.json')), 'installed copies, not lock entries');
    assert.equal(npm.find((p) => p.name === '@sindresorhus/is')?.purl, 'pkg:npm/%40sindresorhus/is@4.6.0');
    assert.deepEqual(npm.find((p) => p.name === 'lodash')?.licenses, ['MIT']);
  });

  it('a layer with only the lock file lists the same packages from it', async () => {
    const inv = await index(['srv/app/package-lock.json', 'srv/app/package.json']);
    const ls = JSON.parse(run('npm', ['ls', '--all', '--json'], { cwd: app }).toString()) as LsNode;
    assert.deepEqual(inv.packages.map((p) => `${p.name}@${p.version}`).sort(), [...flatten(ls.dependencies)].sort());
    assert.ok(inv.packages.every((p) => p.location === 'srv/app/package-lock.json'));
  });
});
