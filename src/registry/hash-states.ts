// Running digests of uploads in progress, so finishing an upload does not re-read its bytes. A
// state is only trusted when it has seen exactly the bytes stored; when it is missing (a restart,
// a failed chunk) the bytes are re-read instead.
//
// Two modes (storage.uploadHashState):
// - memory: Node's native hash per upload, in this process only. The fastest; right for one
//   instance, where every request of an upload lands here.
// - database: hash-wasm hashers, whose state is saved after every chunk (about 120 bytes) and
//   written to the upload's row with its offset, so the next PATCH or the closing PUT continues
//   the digest on whichever instance it lands (issue 14). Memory then holds only saved states;
//   a small pool of hashers is shared by the uploads streaming in at that moment.
import type { Hash } from 'node:crypto';
import { newHash, type DigestAlgorithm } from '../core/digest.ts';

export type HashStateMode = 'memory' | 'database';

/** Fed with each chunk of an append, in order. */
export interface ChunkHasher {
  update(chunk: Buffer): void;
}

/** The part of hash-wasm's IHasher used here. */
interface WasmHasher {
  init(): WasmHasher;
  update(data: Uint8Array): WasmHasher;
  digest(format: 'hex'): string;
  save(): Uint8Array;
  load(state: Uint8Array): WasmHasher;
}

interface MemoryState {
  kind: 'memory';
  algorithm: DigestAlgorithm;
  hash: Hash;
  /** Bytes hashed so far, once the last append settled. */
  size: number;
  /** Set while an append is writing; the size is unknown until it settles. */
  busy: boolean;
  touched: number;
}

interface SavedState {
  kind: 'saved';
  algorithm: DigestAlgorithm;
  size: number;
  /** hash-wasm's saved state after `size` bytes; empty while busy. */
  state: Uint8Array;
  busy: boolean;
  touched: number;
  /** The hasher of the append in progress. */
  hasher?: WasmHasher;
}

type State = MemoryState | SavedState;

const MAX_STATES = 10_000;
const MAX_IDLE_HASHERS = 8;
const ALGORITHM_CODE: Record<DigestAlgorithm, number> = { sha256: 1, sha512: 2 };

export class HashStates {
  private readonly states = new Map<string, State>();
  private readonly idle: Record<DigestAlgorithm, WasmHasher[]> = { sha256: [], sha512: [] };
  /** Appends and takes that continued a state saved in the row (by this or another instance). */
  resumedFromRow = 0;

  constructor(readonly mode: HashStateMode = 'memory') {}

  /**
   * The hasher to feed while appending at `offset`, or undefined when the running digest cannot
   * be trusted (it would need the bytes before `offset`). `saved` is the upload row's hash_state,
   * used when this process has none (database mode).
   */
  async forAppend(id: string, offset: number, algorithm: DigestAlgorithm, saved?: Uint8Array | null): Promise<ChunkHasher | undefined> {
    let state = this.states.get(id);
    if (state && (state.size !== offset || state.busy || state.algorithm !== algorithm)) {
      // Busy: another append on this upload is writing, so neither can trust the digest.
      const busy = state.busy;
      this.drop(id);
      if (busy) return undefined;
      state = undefined;
    }
    if (!state) {
      if (offset === 0) state = this.fresh(algorithm);
      else if (this.mode === 'database' && (state = this.fromRow(saved, offset, algorithm))) this.resumedFromRow++;
      if (!state) return undefined;
      if (this.states.size >= MAX_STATES) this.evictOldest();
      this.states.set(id, state);
    }
    state.busy = true;
    state.touched = Date.now();
    if (state.kind === 'memory') {
      const s = state;
      return { update: (chunk) => { s.size += chunk.length; s.hash.update(chunk); } };
    }
    const s = state;
    const hasher = await this.hasher(algorithm);
    if (s.state.length) hasher.load(s.state);
    else hasher.init();
    s.hasher = hasher;
    s.state = new Uint8Array(0);
    return { update: (chunk) => { s.size += chunk.length; hasher.update(chunk); } };
  }

  /**
   * Marks the append finished. A failed one was dropped already; for a successful one in
   * database mode the hasher's state is saved and the hasher goes back to the pool.
   */
  settle(id: string): void {
    const state = this.states.get(id);
    if (!state) return;
    state.busy = false;
    if (state.kind === 'saved' && state.hasher) {
      state.state = state.hasher.save();
      this.putBack(state.algorithm, state.hasher);
      state.hasher = undefined;
    }
  }

  /** What to write to the upload row's hash_state with the offset `size`, or null. */
  toRow(id: string, size: number): Uint8Array | null {
    const state = this.states.get(id);
    if (!state || state.kind !== 'saved' || state.busy || state.size !== size || !state.state.length) return null;
    return encodeState(state.algorithm, size, state.state);
  }

  /**
   * The hex digest if a running digest covers exactly `size` bytes with `algorithm`: this
   * process's, or the one saved in the upload row (database mode).
   */
  async take(id: string, size: number, algorithm: DigestAlgorithm, saved?: Uint8Array | null): Promise<string | undefined> {
    const state = this.states.get(id);
    if (state && !state.busy && state.size === size && state.algorithm === algorithm) {
      if (state.kind === 'memory') return state.hash.copy().digest('hex');
      if (state.state.length) return this.digestOfState(algorithm, state.state);
    }
    if (this.mode !== 'database') return undefined;
    const row = this.fromRow(saved, size, algorithm);
    if (!row) return undefined;
    this.resumedFromRow++;
    return this.digestOfState(algorithm, row.state);
  }

  drop(id: string): void {
    const state = this.states.get(id);
    if (state) this.release(state);
    this.states.delete(id);
  }

  private fresh(algorithm: DigestAlgorithm): State {
    const now = Date.now();
    return this.mode === 'memory'
      ? { kind: 'memory', algorithm, hash: newHash(algorithm), size: 0, busy: false, touched: now }
      : { kind: 'saved', algorithm, size: 0, state: new Uint8Array(0), busy: false, touched: now };
  }

  /** The row's saved state, if it is for `size` bytes with `algorithm`. */
  private fromRow(saved: Uint8Array | null | undefined, size: number, algorithm: DigestAlgorithm): SavedState | undefined {
    const decoded = saved ? decodeState(saved) : undefined;
    if (!decoded || decoded.size !== size || decoded.algorithm !== algorithm) return undefined;
    return { kind: 'saved', algorithm, size, state: decoded.state, busy: false, touched: Date.now() };
  }

  private async digestOfState(algorithm: DigestAlgorithm, saved: Uint8Array): Promise<string | undefined> {
    const hasher = await this.hasher(algorithm);
    try {
      return hasher.load(saved).digest('hex');
    } catch {
      return undefined; // not a state this hash-wasm can load: the bytes are re-read
    } finally {
      this.putBack(algorithm, hasher);
    }
  }

  /** A hasher of the append that failed, or of an evicted state, is not reused: it is mid-stream. */
  private release(state: State): void {
    if (state.kind === 'saved') state.hasher = undefined;
  }

  private async hasher(algorithm: DigestAlgorithm): Promise<WasmHasher> {
    const reused = this.idle[algorithm].pop();
    if (reused) return reused;
    // Loaded at first use: a single instance (memory mode) never needs it.
    const wasm = await import('hash-wasm');
    return (algorithm === 'sha256' ? await wasm.createSHA256() : await wasm.createSHA512()) as unknown as WasmHasher;
  }

  private putBack(algorithm: DigestAlgorithm, hasher: WasmHasher): void {
    if (this.idle[algorithm].length < MAX_IDLE_HASHERS) this.idle[algorithm].push(hasher);
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let when = Infinity;
    for (const [id, s] of this.states) if (!s.busy && s.touched < when) { when = s.touched; oldest = id; }
    if (oldest) this.drop(oldest);
  }
}

/** hash_state's layout: one byte for the algorithm, the size as 8 bytes big-endian, the state. */
export function encodeState(algorithm: DigestAlgorithm, size: number, state: Uint8Array): Uint8Array {
  const out = Buffer.alloc(9 + state.length);
  out[0] = ALGORITHM_CODE[algorithm];
  out.writeBigUInt64BE(BigInt(size), 1);
  out.set(state, 9);
  return out;
}

export function decodeState(value: Uint8Array): { algorithm: DigestAlgorithm; size: number; state: Uint8Array } | undefined {
  if (value.length < 10) return undefined;
  const buf = Buffer.from(value.buffer, value.byteOffset, value.length);
  const algorithm = buf[0] === 1 ? 'sha256' : buf[0] === 2 ? 'sha512' : undefined;
  const size = Number(buf.readBigUInt64BE(1));
  if (!algorithm || !Number.isSafeInteger(size)) return undefined;
  return { algorithm, size, state: buf.subarray(9) };
}
