// Test fixtures for the inventory tests: a small tar writer (ustar, pax and GNU long-name
// headers written by hand, to test what real writers rarely produce), chunking of byte arrays
// at chosen boundaries, and runners for the machine's real tar, gzip and zstd.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HeaderSpec {
  name: string;
  size?: number;
  type?: string;
  mode?: number;
  linkname?: string;
  prefix?: string;
  /** 'ustar' (POSIX, default) or 'gnu'. */
  format?: 'ustar' | 'gnu';
  /** Write the size in GNU base-256 form. */
  base256Size?: boolean;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

export function header(h: HeaderSpec): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'utf8');
  b.write(octal(h.mode ?? 0o644, 8), 100, 'latin1');
  b.write(octal(0, 8), 108, 'latin1');
  b.write(octal(0, 8), 116, 'latin1');
  const size = h.size ?? 0;
  if (h.base256Size) {
    b[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      b[i] = v % 256;
      v = Math.floor(v / 256);
    }
  } else b.write(octal(size, 12), 124, 'latin1');
  b.write(octal(0, 12), 136, 'latin1');
  b.write(h.type ?? '0', 156, 'latin1');
  if (h.linkname) b.write(h.linkname, 157, 100, 'utf8');
  if ((h.format ?? 'ustar') === 'ustar') {
    b.write('ustar\u000000', 257, 'latin1');
    if (h.prefix) b.write(h.prefix, 345, 155, 'utf8');
  } else b.write('ustar  \0', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

/** A header with its data and padding. */
export function entry(h: HeaderSpec, data: Buffer | string = ''): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([header({ ...h, size: h.size ?? d.length }), d, pad(d.length)]);
}

/** A pax extended header ('x') carrying records for the next entry. */
export function pax(records: Record<string, string>, type = 'x'): Buffer {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
    body += `${len}${rest}`;
  }
  return entry({ name: 'PaxHeaders/x', type }, body);
}

/** A GNU long name ('L') or long link ('K') pseudo-entry. */
export function gnuLong(value: string, type: 'L' | 'K'): Buffer {
  return entry({ name: '././@LongLink', type, format: 'gnu' }, `${value}\0`);
}

export const END = Buffer.alloc(1024);

/** Splits bytes into chunks of the given sizes, cycling through them. */
export async function* chunked(data: Buffer, sizes: readonly number[] = [65536]): AsyncGenerator<Buffer> {
  let pos = 0;
  for (let i = 0; pos < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield data.subarray(pos, pos + n);
    pos += n;
  }
}

/** Random-sized chunks from a seeded generator (reproducible). */
export function randomSizes(seed: number, count: number, max: number): number[] {
  let s = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out.push(1 + (s % max));
  }
  return out;
}

/** Runs a real tool; throws with its stderr on failure (a missing tool names itself). */
export function run(cmd: string, args: readonly string[], options: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(cmd, args, { cwd: options.cwd, input: options.input, maxBuffer: 1024 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}); install it (Debian package of the same name)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout;
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Collects an async iterable of chunks into one Buffer. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}
