// Go build info from real binaries, against `go version -m` (Debian's golang-go, installed when
// missing): Debian's skopeo and podman (GOPATH-mode builds: path and build lines, no modules),
// and a module-mode binary built here offline from a file:// module proxy, with a versioned
// dependency and a replaced one.
import assert from 'node:assert/strict';
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GoBuildInfoScanner, goPackages, parseModInfo, type GoBuildInfo } from '../../src/features/scan/inventory/go-buildinfo.ts';
import { foldLayers, indexLayer } from '../../src/features/scan/inventory/layer.ts';
import { ensureDebianTool } from '../helpers/rootfs.ts';
import { run, tempDir } from '../unit/features/scan/inventory/fixtures.ts';

/** `go version -m FILE` into the same shape as our decoder's. */
function goVersionM(file: string, env?: NodeJS.ProcessEnv): GoBuildInfo {
  const out = run('env', [...Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`), 'go', 'version', '-m', file]).toString();
  const [first, ...rest] = out.split('\n');
  const goVersion = first!.slice(first!.indexOf(': ') + 2).trim();
  // Its lines are the modinfo text, tab-indented.
  return parseModInfo(goVersion, rest.map((l) => l.replace(/^\t/, '')).join('\n'));
}

async function scanFile(file: string): Promise<GoBuildInfo> {
  const s = new GoBuildInfoScanner();
  for await (const chunk of createReadStream(file)) if (!s.push(chunk as Buffer)) break;
  const r = s.result();
  assert.equal(r.kind, 'found', `${file}: ${JSON.stringify(r)}`);
  return (r as { info: GoBuildInfo }).info;
}

describe('Go build info of real binaries', { timeout: 15 * 60_000 }, () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    ensureDebianTool('go', 'golang-go');
    tmp = tempDir('go');
  });
  after(() => tmp?.remove());

  for (const [bin, path] of [['/usr/bin/skopeo', 'github.com/containers/skopeo/cmd/skopeo'], ['/usr/bin/podman', 'github.com/containers/podman/cmd/podman']] as const) {
    it(`${bin}: the same build info as go version -m`, async () => {
      const ours = await scanFile(bin);
      assert.deepEqual(ours, goVersionM(bin));
      assert.equal(ours.path, path);
    });
  }

  it('the go tool itself, which also holds the magic string as data: the same as go version -m', async () => {
    const goBin = join(run('go', ['env', 'GOROOT']).toString().trim(), 'bin/go');
    const ours = await scanFile(goBin);
    assert.deepEqual(ours, goVersionM(goBin));
    assert.equal(ours.path, 'cmd/go');
  });

  it('skopeo and podman in a gzip layer: stdlib at the toolchain version, as go version -m says', async () => {
    const tar = run('tar', ['-C', '/', '-cf', '-', 'usr/bin/skopeo', 'usr/bin/podman']);
    const gz = run('gzip', ['-1', '-c'], { input: tar });
    const inv = foldLayers([await indexLayer((async function* () { yield gz; })(), 'application/vnd.oci.image.layer.v1.tar+gzip')]);
    const expected = (bin: string) => goPackages(goVersionM(bin), bin.slice(1)).map((p) => `${p.location} ${p.name}@${p.version}`);
    assert.deepEqual(inv.packages.map((p) => `${p.location} ${p.name}@${p.version}`), [...expected('/usr/bin/podman'), ...expected('/usr/bin/skopeo')]);
    assert.match(inv.packages[0]!.purl, /^pkg:golang\/stdlib@v1\.\d+\.\d+$/);
  });

  it('a module-mode binary built here: main module, deps with sums, a replacement', async () => {
    const proxy = join(tmp.dir, 'proxy');
    const zipper = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w")\nfor name, body in zip(sys.argv[2::2], sys.argv[3::2]): z.writestr(name, body)\nz.close()';
    const publish = (mod: string, version: string, pkg: string, code: string) => {
      const dir = join(proxy, mod, '@v');
      mkdirSync(dir, { recursive: true });
      const gomod = `module ${mod}\n\ngo 1.19\n`;
      writeFileSync(join(dir, 'list'), `${version}\n`);
      writeFileSync(join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: '2024-01-01T00:00:00Z' }));
      writeFileSync(join(dir, `${version}.mod`), gomod);
      run('/usr/bin/python3', ['-c', zipper, join(dir, `${version}.zip`), `${mod}@${version}/go.mod`, gomod, `${mod}@${version}/${pkg}.go`, `package ${pkg}\n\n${code}\n`]);
    };
    publish('example.com/dep', 'v1.2.3', 'dep', 'func Hello() string { return "dep" }');
    publish('example.com/newer', 'v1.1.0', 'old', 'func Name() string { return "newer" }');
    const src = join(tmp.dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'go.mod'), 'module example.com/berthfixture\n\ngo 1.19\n\nrequire (\n\texample.com/dep v1.2.3\n\texample.com/old v1.0.0\n)\n\nreplace example.com/old => example.com/newer v1.1.0\n');
    writeFileSync(join(src, 'main.go'), 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/dep"\n\t"example.com/old"\n)\n\nfunc main() { fmt.Println(dep.Hello(), old.Name()) }\n');
    const env = {
      HOME: tmp.dir, GOPATH: join(tmp.dir, 'gopath'), GOCACHE: join(tmp.dir, 'gocache'), GOPROXY: `file://${proxy}`,
      GOSUMDB: 'off', GOFLAGS: '-mod=mod', CGO_ENABLED: '0', GOTOOLCHAIN: 'local',
    };
    const bin = join(tmp.dir, 'fixture');
    run('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', '-c', `cd "${src}" && go build -trimpath -o "${bin}" .`]);
    const oracle = goVersionM(bin, env);
    const ours = await scanFile(bin);
    assert.deepEqual(ours, oracle);
    assert.equal(ours.main?.path, 'example.com/berthfixture');
    assert.deepEqual(ours.deps.map((d) => [d.path, d.version, d.replace?.path, d.replace?.version]), [
      ['example.com/dep', 'v1.2.3', undefined, undefined],
      ['example.com/old', 'v1.0.0', 'example.com/newer', 'v1.1.0'],
    ]);
    assert.ok(ours.deps[0]!.sum?.startsWith('h1:'));
    assert.deepEqual(goPackages(ours, 'app').slice(1).map((p) => `${p.name}@${p.version}`), ['example.com/dep@v1.2.3', 'example.com/newer@v1.1.0']);
  });
});
