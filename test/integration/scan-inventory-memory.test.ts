// Memory stays flat: a 1 GiB+ layer (large incompressible files, a 192 MiB executable the Go
// scanner reads to its end, and a few interesting files), generated as a tar stream and
// gzip-compressed on the fly, is indexed in a child process (so the test runner's own memory
// does not count), which samples its RSS; the growth must stay under 100 MiB.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { foldLayers, indexLayer } from '../../src/features/scan/inventory/layer.ts';
import { END, entry, header } from '../unit/features/scan/inventory/fixtures.ts';

const MiB = 1024 * 1024;
const CHILD = 'BERTH_SCAN_MEMORY_CHILD';

/** The layer's tar stream, produced lazily. */
async function* layerTar(): AsyncGenerator<Buffer> {
  // A 1 MiB random block, served at a shifting offset: deflate's 32 KiB window finds nothing.
  const block = randomBytes(MiB);
  const body = async function* (size: number): AsyncGenerator<Buffer> {
    for (let sent = 0, i = 0; sent < size; i++) {
      const n = Math.min(MiB - (i % 4096), size - sent);
      yield block.subarray(i % 4096, (i % 4096) + n);
      sent += n;
    }
    if (size % 512) yield Buffer.alloc(512 - (size % 512));
  };
  yield entry({ name: 'etc/os-release' }, 'ID=debian\nVERSION_ID="12"\n');
  yield entry({ name: 'var/lib/dpkg/status' }, 'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n');
  for (let i = 0; i < 14; i++) {
    yield header({ name: `data/blob-${i}.bin`, size: 64 * MiB });
    yield* body(64 * MiB);
  }
  // A big executable: the Go scanner sees every byte; its build info is near the end.
  const exeSize = 192 * MiB;
  yield header({ name: 'usr/local/bin/server', size: exeSize, mode: 0o755 });
  const elfHead = Buffer.alloc(4096);
  elfHead.write('\x7fELF', 0, 'latin1');
  yield elfHead;
  const magic = Buffer.alloc(32);
  magic.write('\xff Go buildinf:', 0, 'latin1');
  magic[14] = 8;
  magic[15] = 2;
  const mod = Buffer.concat([Buffer.alloc(16, 1), Buffer.from('path\texample.com/server\nmod\texample.com/server\tv2.0.0\t\n'), Buffer.alloc(16, 2)]);
  const info = Buffer.concat([magic, Buffer.from([8]), Buffer.from('go1.21.5'), Buffer.from([mod.length]), mod]);
  const middle = exeSize - elfHead.length - 65536;
  for await (const c of body(middle)) yield c; // middle is 512-aligned: no padding is added
  const tail = Buffer.alloc(65536);
  info.copy(tail, 4096);
  yield tail;
  yield entry({ name: 'app/node_modules/left-pad/package.json' }, '{"name":"left-pad","version":"1.3.0"}');
  yield END;
}

async function child(): Promise<void> {
  // Warm up (module loading, zlib, JIT) before taking the baseline.
  await indexLayer(Readable.from([entry({ name: 'x' }, 'x'), END]).pipe(createGzip()), 'application/vnd.oci.image.layer.v1.tar+gzip');
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  const gz = Readable.from(layerTar()).pipe(createGzip({ level: 1 }));
  const started = Date.now();
  const idx = await indexLayer(gz, 'application/vnd.oci.image.layer.v1.tar+gzip');
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const inv = foldLayers([idx]);
  process.stdout.write(`${JSON.stringify({ base, peak, bytesRead: idx.bytesRead, ms: Date.now() - started, packages: inv.packages.map((p) => `${p.name}@${p.version}`) })}\n`);
}

if (process.env[CHILD]) {
  await child();
} else {
  describe('memory while indexing a 1 GiB layer', { timeout: 10 * 60_000 }, () => {
    it('RSS grows by less than 100 MiB, and the packages are all found', () => {
      const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)], {
        // Not a test-runner child: without NODE_TEST_CONTEXT its stdout is only our JSON line.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), [CHILD]: '1' },
        encoding: 'utf8',
        maxBuffer: 16 * MiB,
      });
      assert.equal(r.status, 0, r.stderr);
      const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      assert.ok(line, `no report from the child: ${r.stdout}`);
      const out = JSON.parse(line) as { base: number; peak: number; bytesRead: number; ms: number; packages: string[] };
      process.stderr.write(`[scan-inventory] 1 GiB layer: RSS ${(out.base / MiB).toFixed(0)} -> ${(out.peak / MiB).toFixed(0)} MiB, ${(out.bytesRead / MiB).toFixed(0)} MiB of tar in ${out.ms} ms\n`);
      assert.ok(out.bytesRead > 1024 * MiB, `read ${out.bytesRead} bytes`);
      assert.deepEqual(out.packages.sort(), ['example.com/server@v2.0.0', 'left-pad@1.3.0', 'stdlib@v1.21.5', 'zlib1g@1:1.2.13.dfsg-1'].sort());
      assert.ok(out.peak - out.base < 100 * MiB, `RSS grew by ${((out.peak - out.base) / MiB).toFixed(1)} MiB`);
    });
  });
}
