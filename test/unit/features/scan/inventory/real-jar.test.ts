// Real data: a jar Maven built, from Debian's libcommons-lang3-java package (apt-get download,
// dpkg-deb -x: nothing is installed), in a layer made with the real tar and gzip, against the
// pom.properties Python's zipfile reads out of the same jar.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldLayers, indexLayer } from '../../../../../src/features/scan/inventory/layer.ts';
import { chunked, run, tempDir } from './fixtures.ts';

describe('a jar from Debian\'s libcommons-lang3-java', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  before(() => {
    tmp = tempDir('real-jar');
    try {
      run('sh', ['-c', `cd "${tmp.dir}" && apt-get download libcommons-lang3-java`]);
    } catch (error) {
      throw new Error(`apt-get download libcommons-lang3-java failed (Debian's mirror and package lists are needed; run apt-get update): ${(error as Error).message}`);
    }
    const deb = readdirSync(tmp.dir).find((f) => f.endsWith('.deb'))!;
    root = join(tmp.dir, 'root');
    run('dpkg-deb', ['-x', join(tmp.dir, deb), root]);
  });
  after(() => tmp.remove());

  it('finds the Maven coordinates the jar\'s pom.properties states', async () => {
    const jars = readdirSync(join(root, 'usr/share/java')).filter((f) => f.endsWith('.jar'));
    assert.ok(jars.length > 0);
    const oracle = run('/usr/bin/python3', ['-c', `
import sys, zipfile
for path in sys.argv[1:]:
    z = zipfile.ZipFile(path)
    for n in z.namelist():
        if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
            p = dict(l.split("=", 1) for l in z.read(n).decode().splitlines() if "=" in l and not l.startswith("#"))
            print(f"{p['groupId']}:{p['artifactId']}@{p['version']}")
`, ...jars.map((j) => join(root, 'usr/share/java', j))]).toString().trim().split('\n').sort();
    assert.ok(oracle.some((l) => l.startsWith('org.apache.commons:commons-lang3@3.')), oracle.join(' '));
    const tar = run('tar', ['-C', root, '-cf', '-', '.']);
    const inv = foldLayers([await indexLayer(chunked(run('gzip', ['-c'], { input: tar })), 'application/vnd.oci.image.layer.v1.tar+gzip')]);
    const maven = inv.packages.filter((p) => p.type === 'maven');
    // Debian ships the jar under two names (a versioned file and a symlink): one file is read.
    assert.deepEqual([...new Set(maven.map((p) => `${p.name}@${p.version}`))].sort(), [...new Set(oracle)]);
    assert.match(maven[0]!.purl, /^pkg:maven\/org\.apache\.commons\/commons-lang3@3\.\d+\.\d+$/);
  });
});
