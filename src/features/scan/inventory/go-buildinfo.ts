// Go module build info from ELF executables, read as their bytes stream past. Pure.
//
// Go 1.18+ writes a 32-byte header into the .go.buildinfo section, 16-byte aligned: the magic
// "\xff Go buildinf:", the pointer size, a flags byte (bit 1: strings inline), padding; then,
// inline, two uvarint-length strings: the Go version and the module info text ("path", "mod",
// "dep", "=>" and "build" lines between two 16-byte sentinels). Older binaries (flags bit 1
// clear) store pointers into the data segment instead, which a one-pass reader cannot follow:
// they are reported as unsupported. Memory stays bounded whatever the binary's size: a 13-byte
// tail between chunks, and at most maxModInfo bytes once the magic is found.
import type { RawPackage } from './types.ts';

export interface GoModule {
  readonly path: string;
  /** Empty for a local-directory replacement. */
  readonly version: string;
  readonly sum?: string;
  /** The module that replaced it (a "=>" line). */
  readonly replace?: GoModule;
}

export interface GoBuildInfo {
  /** As the binary says it, e.g. "go1.19.8". */
  readonly goVersion: string;
  /** The main package's import path ("path" line). */
  readonly path?: string;
  /** The main module ("mod" line); absent for GOPATH-mode builds (e.g. Debian's packages). */
  readonly main?: GoModule;
  readonly deps: readonly GoModule[];
  /** "build" lines: key, value. */
  readonly settings: readonly (readonly [string, string])[];
}

export type GoScanResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'found'; readonly info: GoBuildInfo }
  | { readonly kind: 'unsupported'; readonly reason: string };

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER = 32;
const ALIGN = 16;

/** Reads a uvarint at pos: [value, next pos], or undefined if b ends first. */
function uvarint(b: Buffer, pos: number): [number, number] | undefined {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= b.length) return undefined;
    const byte = b[pos + i]!;
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, pos + i + 1];
    mul *= 128;
  }
  return [Number.MAX_SAFE_INTEGER, pos + 10];
}

/** Parses the module info text (sentinels already removed). */
export function parseModInfo(goVersion: string, text: string): GoBuildInfo {
  let path: string | undefined;
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  const settings: [string, string][] = [];
  const mod = (f: string[]): GoModule => ({ path: f[1] ?? '', version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) });
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    switch (f[0]) {
      case 'path': path = f[1]; break;
      case 'mod': main = mod(f); break;
      case 'dep': deps.push(mod(f)); break;
      case '=>': {
        // Replaces the module on the line before it.
        const r = mod(f);
        if (deps.length) deps[deps.length - 1] = { ...deps[deps.length - 1]!, replace: r };
        else if (main) main = { ...main, replace: r };
        break;
      }
      case 'build': {
        const kv = line.slice('build\t'.length);
        const eq = kv.indexOf('=');
        if (eq > 0) settings.push([kv.slice(0, eq), kv.slice(eq + 1)]);
        break;
      }
    }
  }
  return { goVersion, ...(path ? { path } : {}), ...(main ? { main } : {}), deps, settings };
}

export interface GoScannerOptions {
  /** Largest module info accepted (kubectl's is ~20 KiB). Default 1 MiB. */
  readonly maxModInfo?: number;
}

/**
 * Feed it a file's bytes in order with push() until it returns false (it has its answer) or the
 * file ends; then result(). Files that do not start with an ELF header are answered at once.
 */
export class GoBuildInfoScanner {
  private readonly maxModInfo: number;
  private state: 'elf' | 'search' | 'collect' | 'done' = 'elf';
  private offset = 0; // absolute offset of the next byte pushed
  private head = Buffer.alloc(0); // the first bytes, until the ELF check
  private tail = Buffer.alloc(0); // the last MAGIC.length-1 bytes searched
  private collected: Buffer[] = [];
  private collectedLen = 0;
  private magicAt = 0;
  private answer: GoScanResult = { kind: 'none' };
  // What a header that is not the inline format said: kept while searching on, since the magic
  // string also occurs as plain data (the Go toolchain's own binaries hold it as a constant).
  private fallback: GoScanResult | undefined;

  constructor(options: GoScannerOptions = {}) {
    this.maxModInfo = options.maxModInfo ?? 1024 * 1024;
  }

  result(): GoScanResult {
    return this.state === 'done' ? this.answer : (this.fallback ?? { kind: 'none' });
  }

  /** Returns whether it wants more bytes. */
  push(input: Uint8Array): boolean {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (this.state === 'done' || chunk.length === 0) return this.state !== 'done';
    if (this.state === 'elf') {
      const need = 4 - this.head.length;
      this.head = Buffer.concat([this.head, chunk.subarray(0, need)]);
      if (this.head.length < 4) {
        this.offset += chunk.length;
        return true;
      }
      if (this.head.toString('latin1') !== '\x7fELF') return this.finish({ kind: 'none' });
      this.state = 'search';
      // The first bytes are searched with the rest: the magic cannot be at offset 0 anyway.
    }
    const base = this.offset;
    this.offset += chunk.length;
    if (this.state === 'collect') return this.collect(chunk);
    return this.search(chunk, base);
  }

  private finish(answer: GoScanResult & { kind: 'found' | 'none' }): false {
    this.answer = answer;
    this.state = 'done';
    this.collected = [];
    this.tail = Buffer.alloc(0);
    return false;
  }

  private search(chunk: Buffer, base: number): boolean {
    // A magic that starts in the previous chunk's tail and ends in this one.
    if (this.tail.length) {
      const window = Buffer.concat([this.tail, chunk.subarray(0, MAGIC.length - 1)]);
      const tailStart = base - this.tail.length;
      for (let j = window.indexOf(MAGIC); j !== -1 && j < this.tail.length; j = window.indexOf(MAGIC, j + 1)) {
        if ((tailStart + j) % ALIGN === 0) {
          this.startCollect(tailStart + j, [this.tail.subarray(j), chunk]);
          return this.tryDecode();
        }
      }
    }
    for (let i = chunk.indexOf(MAGIC); i !== -1; i = chunk.indexOf(MAGIC, i + 1)) {
      if ((base + i) % ALIGN === 0) {
        this.startCollect(base + i, [chunk.subarray(i)]);
        return this.tryDecode();
      }
    }
    // Keep the last 13 bytes (copied, so the source's chunk is not retained).
    const keep = MAGIC.length - 1;
    const joined = this.tail.length ? Buffer.concat([this.tail, chunk.subarray(Math.max(0, chunk.length - keep))]) : chunk;
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - keep)));
    return true;
  }

  private startCollect(at: number, parts: Buffer[]): void {
    this.state = 'collect';
    this.magicAt = at;
    this.tail = Buffer.alloc(0);
    // Copy: the chunks belong to the source and may be reused.
    this.collected = parts.map((p) => Buffer.from(p));
    this.collectedLen = parts.reduce((n, p) => n + p.length, 0);
  }

  private collect(chunk: Buffer): boolean {
    this.collected.push(Buffer.from(chunk));
    this.collectedLen += chunk.length;
    return this.tryDecode();
  }

  private limit(): number {
    return HEADER + 10 + 1024 + 10 + this.maxModInfo + 32;
  }

  /** Decodes what has been collected; keeps collecting when more is needed. */
  private tryDecode(): boolean {
    const b = this.collected.length === 1 ? this.collected[0]! : Buffer.concat(this.collected);
    this.collected = [b];
    if (b.length < HEADER) return true;
    const ptrSize = b[14]!;
    const flags = b[15]!;
    if (ptrSize !== 4 && ptrSize !== 8) return this.resume(b);
    if ((flags & 2) === 0) {
      this.fallback ??= { kind: 'unsupported', reason: 'Go build info of a binary older than Go 1.18 (pointer format) is not read' };
      return this.resume(b);
    }
    const v = uvarint(b, HEADER);
    if (!v) return this.more(b);
    const [vlen, vstart] = v;
    if (vlen === 0 || vlen > 1024) return this.resume(b);
    if (vstart + vlen > b.length) return this.more(b);
    const goVersion = b.toString('utf8', vstart, vstart + vlen);
    if (!/^(?:go\d|devel)/.test(goVersion)) return this.resume(b);
    const m = uvarint(b, vstart + vlen);
    if (!m) return this.more(b);
    const [mlen, mstart] = m;
    if (mlen > this.maxModInfo) {
      this.fallback ??= { kind: 'unsupported', reason: `Go module info of ${mlen} bytes is over the ${this.maxModInfo} bytes read` };
      return this.resume(b);
    }
    if (mstart + mlen > b.length) return this.more(b);
    let mod = b.subarray(mstart, mstart + mlen);
    // Go wraps the text in 16-byte sentinels; without them there is no module info.
    mod = mod.length >= 33 && mod[mod.length - 17] === 0x0a ? mod.subarray(16, mod.length - 16) : Buffer.alloc(0);
    return this.finish({ kind: 'found', info: parseModInfo(goVersion, mod.toString('utf8')) });
  }

  private more(b: Buffer): boolean {
    if (b.length >= this.limit()) return this.resume(b);
    return true;
  }

  /** A false match (the magic string as data elsewhere): search on after it. */
  private resume(b: Buffer): boolean {
    const from = this.magicAt + 1;
    this.state = 'search';
    this.collected = [];
    this.collectedLen = 0;
    this.tail = Buffer.alloc(0);
    return this.search(b.subarray(1), from);
  }
}

/** Go's version "go1.21.5" / "go1.22" / "go1.21rc2" as a module-style semver (v1.21.5, v1.22.0, v1.21.0-rc.2). */
export function goToolchainVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?/.exec(goVersion);
  if (!m) return undefined;
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}${m[4] ? `-${m[4]}.${m[5]}` : ''}`;
}

/**
 * The packages a binary's build info names: the Go standard library ("stdlib", at the toolchain's
 * version), the main module unless it is "(devel)", and each dependency as it was built (its
 * replacement, when one is given). Dependencies replaced by local folders have no version and are left out.
 */
export function goPackages(info: GoBuildInfo, location: string): RawPackage[] {
  const out: RawPackage[] = [];
  const std = goToolchainVersion(info.goVersion);
  if (std) out.push({ name: 'stdlib', version: std, type: 'golang', location });
  const add = (m: GoModule): void => {
    const built = m.replace ?? m;
    if (!built.path || !built.version || built.version === '(devel)') return;
    out.push({ name: built.path, version: built.version, type: 'golang', location });
  };
  if (info.main) add(info.main);
  for (const d of info.deps) add(d);
  return out;
}
