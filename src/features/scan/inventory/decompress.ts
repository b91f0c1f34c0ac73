// Turns a layer blob (its media type and bytes) into the tar byte stream, without buffering it:
// gzip through node:zlib, zstd through Debian's `zstd` binary (Node 20's zlib has none), and
// uncompressed tar as is. The bytes decide when they carry a known magic number (tools do
// mislabel layers); the media type only has to say "this is a tar layer".
import { spawn } from 'node:child_process';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type Compression = 'gzip' | 'zstd' | 'none';

/** The media type is not one of a tar layer (OCI or Docker, any compression). */
export class UnsupportedLayerError extends Error {
  readonly mediaType: string;
  constructor(mediaType: string) {
    super(`not a tar layer media type: ${mediaType}`);
    this.name = 'UnsupportedLayerError';
    this.mediaType = mediaType;
  }
}

/** Decompression failed: corrupt data, or the zstd tool failed or is missing. */
export class DecompressError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecompressError';
  }
}

/**
 * What a layer media type says about compression; undefined when it is not a tar layer.
 * Covers application/vnd.oci.image.layer.v1.tar[+gzip|+zstd], the .nondistributable. variants,
 * application/vnd.docker.image.rootfs.diff.tar[.gzip] and ...rootfs.foreign.diff.tar.gzip.
 */
export function compressionOf(mediaType: string): Compression | undefined {
  const mt = mediaType.split(';')[0]!.trim().toLowerCase();
  const m = /^application\/vnd\.(?:oci\.image\.layer(?:\.nondistributable)?\.v1|docker\.image\.rootfs(?:\.foreign)?\.diff)\.tar(?:([.+])(gzip|zstd))?$/.exec(mt);
  if (!m) return undefined;
  return m[2] === 'gzip' ? 'gzip' : m[2] === 'zstd' ? 'zstd' : 'none';
}

/** Compression by magic number: gzip 1f 8b, zstd frame 28 b5 2f fd; anything else is taken as tar. */
export function detectCompression(head: Uint8Array): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return head.length >= 4 ? 'none' : undefined;
}

export interface DecompressOptions {
  /** The zstd binary (default "zstd" on PATH). */
  readonly zstdPath?: string;
}

/**
 * The tar bytes of a layer. Errors (corrupt data, a failing zstd) are thrown by the iteration;
 * stopping the iteration early releases everything (the source's return(), the zstd child killed).
 */
export async function* decompressLayer(
  source: AsyncIterable<Uint8Array>,
  mediaType: string,
  options: DecompressOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const declared = compressionOf(mediaType);
  if (declared === undefined) throw new UnsupportedLayerError(mediaType);
  const it = source[Symbol.asyncIterator]();
  // Peek at the first bytes (at least 4, unless the blob is shorter) for the magic number.
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  try {
    while (headLen < 4) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      head.push(b);
      headLen += b.length;
    }
  } catch (error) {
    await it.return?.();
    throw error;
  }
  const kind = detectCompression(Buffer.concat(head)) ?? declared;
  const whole: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      try {
        yield* head;
        if (ended) return;
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
        }
      } finally {
        await it.return?.();
      }
    },
  };
  if (kind === 'gzip') yield* gunzip(whole);
  else if (kind === 'zstd') yield* unzstd(whole, options.zstdPath ?? 'zstd');
  else yield* whole;
}

/** Gunzip (concatenated members included, as Node's Gunzip reads them). */
async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const input = Readable.from(source, { objectMode: false });
  // 64 KiB output chunks (zlib's default is 16 KiB): fewer, larger pieces for the tar reader.
  const z = createGunzip({ chunkSize: 64 * 1024 });
  let failure: Error | undefined;
  // pipeline destroys both sides on any error; iterating z then throws that error.
  pipeline(input, z, (err) => {
    if (err) failure = err;
  });
  try {
    for await (const chunk of z) yield chunk as Buffer;
  } catch (error) {
    const first = failure ?? (error as Error);
    // zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR, ...) mean corrupt data; others (the source's) pass as they are.
    if (!String((first as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) throw first;
    throw new DecompressError(`gzip: ${first.message}`, { cause: first });
  } finally {
    // Early stop: destroying the pipeline's streams ends the source iteration too.
    input.destroy();
    z.destroy();
  }
}

/** Streams through `zstd -dc`; the child never outlives the iteration. */
async function* unzstd(source: AsyncIterable<Buffer>, zstdPath: string): AsyncGenerator<Buffer, void, undefined> {
  const child = spawn(zstdPath, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let spawnError: Error | undefined;
  let stderr = '';
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const input = Readable.from(source, { objectMode: false });
  let feedError: Error | undefined;
  // EPIPE here means zstd stopped reading (it failed or we killed it): its exit status says why.
  const fed = new Promise<void>((resolve) => {
    pipeline(input, child.stdin, (err) => {
      if (err) feedError = err;
      resolve();
    });
  });
  let finished = false;
  try {
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
    } catch (error) {
      if (!spawnError) throw new DecompressError(`zstd: reading its output: ${(error as Error).message}`, { cause: error });
    }
    const { code, signal } = await closed;
    await fed;
    finished = true;
    if (spawnError) {
      const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      throw new DecompressError(
        missing
          ? `zstd layers need the zstd tool: '${zstdPath}' was not found (install Debian's zstd package: apt-get install zstd)`
          : `zstd: cannot start '${zstdPath}': ${spawnError.message}`,
        { cause: spawnError },
      );
    }
    // The source's own failure comes first: zstd may well have exited 0 at a frame boundary.
    const epipe = (feedError as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
    if (feedError && !epipe) throw feedError;
    if (code !== 0) throw new DecompressError(`zstd -d failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no message'}`);
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      input.destroy();
      child.stdout.destroy();
      await closed;
    }
  }
}
