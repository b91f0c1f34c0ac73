// Image layers for the scan workloads, written once per run to files in the temp dir and never
// held in memory: a tar stream produced entry by entry, compressed on the way (gzip through
// node:zlib, zstd through Debian's `zstd`, or left as plain tar), hashed in the same pass.
//
// The big image (`scan-1gib`): about --scan-image-mib MiB of tar content over four layers, as
// an application image on Debian looks: an OS layer (os-release, the dpkg status file with
// ~130 packages, its info files and docs, executables, big shared libraries), an app layer
// (node_modules with package.json files among thousands of JavaScript files, big assets), a
// Python layer (dist-info METADATA among .py files and big data files; zstd when the tool is
// there) and a plain tar data layer. Nearly all of the bytes are ordinary files the reader
// skips; the executables are streamed past the Go build-info scanner. File contents are half
// random, half text, so gzip gets about 2:1, as on real images.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { appPackages, BOOKWORM_OS_RELEASE, dpkgStatusOf, npmPackageJson, pythonMetadata, syntheticImage } from './scan-data.ts';

const MiB = 1024 * 1024;
export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const ZSTD_LAYER = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const TAR_LAYER = 'application/vnd.oci.image.layer.v1.tar';

export interface LayerFile {
  readonly path: string;
  readonly mediaType: string;
  /** Bytes of the blob (compressed). */
  readonly size: number;
  readonly digest: string;
  /** Bytes of the tar stream. */
  readonly tarBytes: number;
}

/** A ustar header (names up to 255 bytes through the prefix field). */
export function tarHeader(path: string, size: number, options: { mode?: number; type?: '0' | '5' } = {}): Buffer {
  const h = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 154);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new Error(`tar path too long: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  const octal = (v: number, width: number): string => `${v.toString(8).padStart(width - 1, '0')}\0`;
  h.write(name, 0, 100, 'utf8');
  h.write(octal(options.mode ?? 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(1_704_067_200, 12), 136, 'ascii'); // 2024-01-01
  h.write('        ', 148, 'ascii');
  h.write(options.type ?? '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

const pad = (size: number): Buffer => Buffer.alloc((512 - (size % 512)) % 512);

/** A small file entry (header, content, padding). */
export function tarFile(path: string, content: string | Buffer, mode = 0o644): Buffer[] {
  const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return [tarHeader(path, body.length, { mode }), body, pad(body.length)];
}

export const TAR_END = Buffer.alloc(1024);

/**
 * Content for big files: 64 KiB of random bytes, then 64 KiB of text, over and over, from pools
 * made once (random at a moving offset, so deflate's 32 KiB window finds no repeats in it).
 */
class Filler {
  private readonly random = Buffer.alloc(4 * MiB);
  private readonly text: Buffer;
  private turn = 0;

  constructor() {
    randomFillSync(this.random);
    const lines: string[] = [];
    for (let i = 0; lines.join('\n').length < 256 * 1024; i++) lines.push(`${i.toString(36)} static const char *message_${i} = "request handled in %d ms by worker %d (${'abcdefghij'.slice(i % 10)})";`);
    this.text = Buffer.from(lines.join('\n'));
  }

  *chunks(size: number): Generator<Buffer> {
    let left = size;
    while (left > 0) {
      const n = Math.min(64 * 1024, left);
      const t = this.turn++;
      if (t % 2 === 0) {
        const off = (t * 4099 * 16) % (this.random.length - n);
        yield this.random.subarray(off, off + n);
      } else {
        const off = (t * 977) % (this.text.length - n);
        yield this.text.subarray(off, off + n);
      }
      left -= n;
    }
    yield pad(size);
  }
}

/** Splits `total` bytes into files of `min`..`max` bytes (deterministic). */
function sizes(total: number, min: number, max: number, seed: number): number[] {
  const out: number[] = [];
  let left = total;
  let x = seed;
  while (left > 0) {
    x = (x * 1103515245 + 12345) >>> 0;
    const s = Math.min(left, min + (x % Math.max(1, max - min)));
    out.push(s);
    left -= s;
  }
  return out;
}

/** Hashes and counts what passes through. */
class Tap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** Writes a layer blob: the tar stream of `entries`, compressed as `mediaType` says, hashed on the way. */
export async function writeLayer(path: string, mediaType: string, entries: () => AsyncIterable<Buffer> | Iterable<Buffer>): Promise<LayerFile> {
  const tarTap = new Tap();
  const blobTap = new Tap();
  const source = Readable.from(entries(), { objectMode: false, highWaterMark: MiB });
  const out = createWriteStream(path, { highWaterMark: MiB });
  if (mediaType === GZIP_LAYER) {
    await pipeline(source, tarTap, createGzip({ level: 6, chunkSize: 256 * 1024 }), blobTap, out);
  } else if (mediaType === ZSTD_LAYER) {
    const zstd = spawn('zstd', ['-q', '-3', '-T1', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((ok, fail) => {
      zstd.once('error', fail);
      zstd.once('close', ok);
    });
    await Promise.all([pipeline(source, tarTap, zstd.stdin), pipeline(zstd.stdout, blobTap, out)]);
    const code = await exited;
    if (code !== 0) throw new Error(`zstd exited with ${code}`);
  } else {
    await pipeline(source, tarTap, blobTap, out);
  }
  return { path, mediaType, size: blobTap.bytes, digest: `sha256:${blobTap.hash.digest('hex')}`, tarBytes: tarTap.bytes };
}

/** The sha256 digest and size of a file, read as a stream. */
export async function fileDigest(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return { digest: `sha256:${hash.digest('hex')}`, size: (await stat(path)).size };
}

export interface BigImage {
  readonly layers: readonly LayerFile[];
  /** Packages the scan must find: the dpkg status, the package.json files and the METADATA files. */
  readonly expectedPackages: number;
  readonly files: number;
}

/** Whether Debian's zstd is on PATH (Berth reads zstd layers with it too). */
const zstdAvailable = (): boolean => spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;

/** Writes the four layers of the big image into `dir`; `totalMiB` is the tar content in all. */
export async function writeBigImage(dir: string, totalMiB: number, log: (s: string) => void): Promise<BigImage> {
  const total = totalMiB * MiB;
  const fill = new Filler();
  const image = syntheticImage(4242);
  const apps = appPackages(40);
  let files = 0;
  const big = function* (prefix: string, bytes: number, min: number, max: number, seed: number, mode = 0o644, ext = '.bin'): Generator<Buffer> {
    let i = 0;
    for (const s of sizes(bytes, min, max, seed)) {
      files++;
      yield tarHeader(`${prefix}${i++}${ext}`, s, { mode });
      yield* fill.chunks(s);
    }
  };
  const small = function* (path: string, content: string): Generator<Buffer> {
    files++;
    yield* tarFile(path, content);
  };

  const osLayer = function* (): Generator<Buffer> {
    const budget = Math.round(total * 0.35);
    yield* small('etc/os-release', BOOKWORM_OS_RELEASE);
    yield* small('var/lib/dpkg/status', dpkgStatusOf(image.debs));
    for (const d of image.debs) {
      yield* small(`var/lib/dpkg/info/${d.name}:amd64.list`, `/usr/share/doc/${d.name}\n/usr/share/doc/${d.name}/copyright\n/usr/lib/x86_64-linux-gnu/${d.name}.so\n`);
      yield* small(`var/lib/dpkg/info/${d.name}:amd64.md5sums`, `${createHash('md5').update(d.name).digest('hex')}  usr/share/doc/${d.name}/copyright\n`);
      yield* small(`usr/share/doc/${d.name}/copyright`, `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: ${d.name}\nLicense: GPL-2+\n`.repeat(20));
    }
    // Executables: the Go build-info scanner streams past each one.
    yield* big('usr/bin/tool-', Math.round(budget * 0.06), 64 * 1024, 2 * MiB, 11, 0o755, '');
    yield* big('usr/lib/x86_64-linux-gnu/libbench-', budget - Math.round(budget * 0.06), 2 * MiB, 24 * MiB, 12, 0o644, '.so.1');
    yield TAR_END;
  };
  const appLayer = function* (): Generator<Buffer> {
    const budget = Math.round(total * 0.25);
    for (const p of apps.npm) yield* small(`app/node_modules/${p.name}/package.json`, npmPackageJson(p.name, p.version));
    // Thousands of small JavaScript files, then big assets.
    const jsBytes = Math.round(budget * 0.3);
    let i = 0;
    for (const s of sizes(jsBytes, 2 * 1024, 96 * 1024, 13)) {
      const pkg = apps.npm[i % apps.npm.length]!.name;
      files++;
      yield tarHeader(`app/node_modules/${pkg}/lib/module-${i++}.js`, s);
      yield* fill.chunks(s);
    }
    yield* big('app/dist/assets/bundle-', budget - jsBytes, 4 * MiB, 32 * MiB, 14, 0o644, '.js.map');
    yield TAR_END;
  };
  const pythonLayer = function* (): Generator<Buffer> {
    const budget = Math.round(total * 0.25);
    const site = 'usr/local/lib/python3.11/site-packages';
    for (const p of apps.pypi) {
      yield* small(`${site}/${p.name}-${p.version}.dist-info/METADATA`, pythonMetadata(p.name, p.version));
      yield* small(`${site}/${p.name}-${p.version}.dist-info/RECORD`, `${p.name.toLowerCase()}/__init__.py,sha256=x,100\n`);
    }
    const pyBytes = Math.round(budget * 0.2);
    let i = 0;
    for (const s of sizes(pyBytes, 4 * 1024, 128 * 1024, 15)) {
      const pkg = apps.pypi[i % apps.pypi.length]!.name.toLowerCase();
      files++;
      yield tarHeader(`${site}/${pkg}/module_${i++}.py`, s);
      yield* fill.chunks(s);
    }
    yield* big('opt/models/weights-', budget - pyBytes, 16 * MiB, 48 * MiB, 16, 0o644, '.bin');
    yield TAR_END;
  };
  const dataLayer = function* (): Generator<Buffer> {
    const budget = total - Math.round(total * 0.35) - 2 * Math.round(total * 0.25);
    yield* big('srv/data/part-', budget, 32 * MiB, 64 * MiB, 17, 0o644, '.dat');
    yield TAR_END;
  };

  const third = zstdAvailable() ? ZSTD_LAYER : GZIP_LAYER;
  const specs: [string, string, () => Iterable<Buffer>][] = [
    ['os', GZIP_LAYER, osLayer], ['app', GZIP_LAYER, appLayer], ['python', third, pythonLayer], ['data', TAR_LAYER, dataLayer],
  ];
  // Compress the layers two at a time (gzip runs on libuv's threads, zstd in its own process).
  const layers: LayerFile[] = [];
  for (let i = 0; i < specs.length; i += 2) {
    const done = await Promise.all(specs.slice(i, i + 2).map(([name, mt, gen]) => writeLayer(`${dir}/big-${name}.layer`, mt, gen)));
    layers.push(...done);
  }
  for (const l of layers) log(`  layer ${l.path.split('/').pop()}: ${(l.tarBytes / MiB).toFixed(0)} MiB of tar, ${(l.size / MiB).toFixed(0)} MiB as ${l.mediaType.split('.').pop()}`);
  return { layers, expectedPackages: image.debs.length + apps.npm.length + apps.pypi.length, files };
}
