// Gives the memory of short-lived chunk buffers back promptly while a long stream is processed.
//
// A Buffer's bytes live outside V8's heap; V8 frees them only when a collection finds the small
// Buffer object dead. A stream of 64 KiB chunks allocates almost nothing on the JS heap per
// chunk, so the young generation fills slowly and V8 waits until about 64 MiB of dead chunks
// have piled up outside the heap before it collects (its external-memory trigger). Each stream
// in flight then holds tens of MiB of garbage, which shows as RSS. A young-generation collection
// (a scavenge: a millisecond or less with a small young generation) every few MiB of chunks
// frees them while they are still young.
//
// `gc` is reached without --expose-gc on the command line: the flag set at run time applies to
// contexts created after it, and a new context hands out its gc function.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gcFunction: GcFunction | null | undefined;

/** The gc function, or null when this node refuses to hand it out (then nothing is forced). */
export function gcHandle(): GcFunction | null {
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as GcFunction;
    } catch {
      gcFunction = null;
    }
  }
  return gcFunction;
}

/**
 * Bytes between two scavenges. Measured on a 1 GiB push (server RSS after it, from 113 MiB idle):
 * no scavenges 158-166 MiB, every 16 MiB 149-153, every 8 MiB 132-151, every 2 MiB a peak of 196
 * (scavenging that often promotes the chunks in flight to the old generation, which only a full
 * collection frees).
 */
const EVERY_BYTES = 8 * 1024 * 1024;

/** Counts bytes through a stream and runs a scavenge every `everyBytes`. */
export class Reclaimer {
  private since = 0;
  constructor(
    private readonly everyBytes = EVERY_BYTES,
    private readonly collect: () => void = () => gcHandle()?.({ type: 'minor' }),
  ) {}

  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.everyBytes) return;
    this.since = 0;
    this.collect();
  }
}

/** Passes the chunks of `source` through, reclaiming as they go. */
export async function* reclaiming<T extends Uint8Array>(source: AsyncIterable<T>, everyBytes?: number): AsyncGenerator<T, void, undefined> {
  const r = new Reclaimer(everyBytes);
  for await (const chunk of source) {
    r.add(chunk.length);
    yield chunk;
  }
}
