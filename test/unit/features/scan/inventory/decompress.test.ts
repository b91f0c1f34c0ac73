// Layer decompression with the machine's real gzip and zstd: media types and magic numbers,
// concatenated gzip members, corrupt data, a missing zstd binary, and that stopping early or a
// failing source never leaves a zstd child behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { compressionOf, decompressLayer, DecompressError, detectCompression, UnsupportedLayerError } from '../../../../../src/features/scan/inventory/decompress.ts';
import { chunked, collect, run } from './fixtures.ts';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const TAR = 'application/vnd.oci.image.layer.v1.tar';

/** zstd processes that are children of this test process. */
function zstdChildren(): string[] {
  const r = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,comm=']);
  return r.stdout.toString().split('\n').filter((l) => /\bzstd\b/.test(l));
}

async function waitNoZstd(): Promise<string[]> {
  for (let i = 0; i < 50 && zstdChildren().length; i++) await new Promise((r) => setTimeout(r, 20));
  return zstdChildren();
}

describe('compressionOf and detectCompression', () => {
  it('knows the OCI and Docker layer media types, nondistributable ones included', () => {
    const cases: [string, string | undefined][] = [
      [TAR, 'none'], [GZIP, 'gzip'], [ZSTD, 'zstd'],
      ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
      ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
      ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
      ['application/vnd.docker.image.rootfs.diff.tar.gzip', 'gzip'],
      ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
      ['application/vnd.docker.image.rootfs.diff.tar', 'none'],
      ['Application/VND.OCI.image.layer.v1.tar+gzip; charset=x', 'gzip'],
      ['application/vnd.oci.image.config.v1+json', undefined],
      ['application/vnd.cncf.helm.chart.content.v1.tar+gzip', undefined],
      ['', undefined],
    ];
    for (const [mt, want] of cases) assert.equal(compressionOf(mt), want, mt);
  });

  it('reads magic numbers', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(detectCompression(Buffer.from('ustar')), 'none');
    assert.equal(detectCompression(Buffer.from([1])), undefined);
  });
});

describe('decompressLayer', () => {
  const plain = Buffer.concat([randomBytes(300_000), Buffer.alloc(300_000, 'a')]);

  it('gunzips what the real gzip wrote, in small chunks', async () => {
    const gz = run('gzip', ['-c'], { input: plain });
    assert.deepEqual(await collect(decompressLayer(chunked(gz, [1, 2, 3, 4096]), GZIP)), plain);
  });

  it('reads concatenated gzip members (cat a.gz b.gz)', async () => {
    const a = run('gzip', ['-c'], { input: plain.subarray(0, 1000) });
    const b = run('gzip', ['-c'], { input: plain.subarray(1000) });
    assert.deepEqual(await collect(decompressLayer(chunked(Buffer.concat([a, b])), GZIP)), plain);
  });

  it('unzstds what the real zstd wrote, through the zstd binary, and leaves no child', async () => {
    const zst = run('zstd', ['-c', '-q'], { input: plain });
    assert.deepEqual(await collect(decompressLayer(chunked(zst, [5, 65536]), ZSTD)), plain);
    assert.deepEqual(await waitNoZstd(), []);
  });

  it('passes an uncompressed tar through', async () => {
    assert.deepEqual(await collect(decompressLayer(chunked(plain, [3, 100_000]), TAR)), plain);
  });

  it('trusts the magic number over the media type (mislabelled layers)', async () => {
    const gz = run('gzip', ['-c'], { input: plain });
    const zst = run('zstd', ['-c', '-q'], { input: plain });
    assert.deepEqual(await collect(decompressLayer(chunked(gz), TAR)), plain);
    assert.deepEqual(await collect(decompressLayer(chunked(zst), GZIP)), plain);
    assert.deepEqual(await collect(decompressLayer(chunked(plain), ZSTD)), plain);
  });

  it('rejects a media type that is not a tar layer', async () => {
    await assert.rejects(collect(decompressLayer(chunked(plain), 'application/vnd.oci.image.config.v1+json')), UnsupportedLayerError);
  });

  it('corrupt gzip and truncated gzip fail with DecompressError', async () => {
    const gz = run('gzip', ['-c'], { input: plain });
    const corrupt = Buffer.from(gz);
    for (let i = 100; i < 200; i++) corrupt[i] = 0x55;
    await assert.rejects(collect(decompressLayer(chunked(corrupt), GZIP)), DecompressError);
    await assert.rejects(collect(decompressLayer(chunked(gz.subarray(0, gz.length - 100)), GZIP)), (e: unknown) => e instanceof DecompressError && /gzip/.test((e as Error).message));
  });

  it('corrupt and truncated zstd fail with zstd\'s own message, and the child is gone', async () => {
    const zst = run('zstd', ['-c', '-q'], { input: plain });
    await assert.rejects(collect(decompressLayer(chunked(zst.subarray(0, zst.length - 1000)), ZSTD)), (e: unknown) => e instanceof DecompressError && /zstd -d failed/.test((e as Error).message));
    const corrupt = Buffer.from(zst);
    for (let i = 20; i < 2000; i++) corrupt[i] = 0x55;
    await assert.rejects(collect(decompressLayer(chunked(corrupt), ZSTD)), DecompressError);
    assert.deepEqual(await waitNoZstd(), []);
  });

  it('a missing zstd binary fails naming the Debian package', async () => {
    const zst = run('zstd', ['-c', '-q'], { input: plain });
    await assert.rejects(collect(decompressLayer(chunked(zst), ZSTD, { zstdPath: '/nonexistent/zstd' })), /apt-get install zstd/);
  });

  it('stopping early kills the zstd child and returns the source', async () => {
    const big = Buffer.alloc(64 * 1024 * 1024, 'z');
    const zst = run('zstd', ['-c', '-q', '-1'], { input: big });
    let returned = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield* chunked(zst, [4096]);
      } finally {
        returned = true;
      }
    }
    for await (const chunk of decompressLayer(source(), ZSTD)) {
      assert.ok(chunk.length > 0);
      break;
    }
    assert.deepEqual(await waitNoZstd(), []);
    assert.equal(returned, true);
  });

  it('a source that fails mid-stream rejects with its own error, for zstd and gzip, and no child is left', async () => {
    const zst = run('zstd', ['-c', '-q'], { input: plain });
    const gz = run('gzip', ['-c'], { input: plain });
    const failing = (data: Buffer) => (async function* () {
      yield data.subarray(0, 5000);
      throw new Error('storage read failed');
    })();
    await assert.rejects(collect(decompressLayer(failing(zst), ZSTD)), /storage read failed/);
    await assert.rejects(collect(decompressLayer(failing(gz), GZIP)), /storage read failed/);
    assert.deepEqual(await waitNoZstd(), []);
  });
});
