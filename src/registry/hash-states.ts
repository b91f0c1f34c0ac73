// Running digests of uploads in progress, kept in memory so finishing an upload does not
// re-read its bytes. A state is only trusted when it has seen exactly the bytes stored; when it
// is missing (a restart, another instance, a failed chunk) the bytes are re-read instead.
import type { Hash } from 'node:crypto';
import { newHash, type DigestAlgorithm } from '../core/digest.ts';

interface State {
  algorithm: DigestAlgorithm;
  hash: Hash;
  /** Bytes hashed so far, once the last append settled. */
  size: number;
  /** Set while an append is writing; the size is unknown until it settles. */
  busy: boolean;
  touched: number;
}

const MAX_STATES = 10_000;

export class HashStates {
  private readonly states = new Map<string, State>();

  /**
   * The hash to feed while appending at `offset`, or undefined when the running hash cannot be
   * trusted (it would need the bytes before `offset`).
   */
  forAppend(id: string, offset: number, algorithm: DigestAlgorithm): Hash | undefined {
    let state = this.states.get(id);
    if (!state && offset === 0) {
      if (this.states.size >= MAX_STATES) this.evictOldest();
      state = { algorithm, hash: newHash(algorithm), size: 0, busy: false, touched: Date.now() };
      this.states.set(id, state);
    }
    if (!state || state.size !== offset || state.busy) {
      this.states.delete(id);
      return undefined;
    }
    state.busy = true;
    state.touched = Date.now();
    const s = state;
    const update = s.hash.update.bind(s.hash);
    return { update: (chunk: Buffer) => { s.size += chunk.length; return update(chunk); } } as unknown as Hash;
  }

  /** Marks the append finished (successfully or not; a failed one was dropped already). */
  settle(id: string): void {
    const state = this.states.get(id);
    if (state) state.busy = false;
  }

  /** The hex digest if the running hash covers exactly `size` bytes with `algorithm`. */
  take(id: string, size: number, algorithm: DigestAlgorithm): string | undefined {
    const state = this.states.get(id);
    if (!state || state.busy || state.size !== size || state.algorithm !== algorithm) return undefined;
    return state.hash.copy().digest('hex');
  }

  drop(id: string): void {
    this.states.delete(id);
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let when = Infinity;
    for (const [id, s] of this.states) if (s.touched < when) { when = s.touched; oldest = id; }
    if (oldest) this.states.delete(oldest);
  }
}
