// Pull counts (docs/discovery.md, Pull counts): subscribes to 'pull' events, counts them in
// memory (PullCounter: the multi-arch rule, bounded maps) and writes the counts in one
// transaction every second and at shutdown. The event handler never touches the DB, so the
// pull path does not wait on it. Registry-level: it works in every auth mode.
import type { Kysely } from 'kysely';
import { addPullCounts } from '../../metadata/pulls.ts';
import type { Database } from '../../metadata/schema.ts';
import type { EventBus } from '../../registry/event-bus.ts';
import { PullCounter, type PullBatch, type PullCounterLimits } from './counter.ts';

export { PullCounter, MULTI_ARCH_WINDOW_MS } from './counter.ts';

export interface PullCounts {
  /** Writes what is counted so far (tests and shutdown call this). */
  flush(): Promise<void>;
  /** Stops listening and writes what is left. */
  close(): Promise<void>;
}

export interface PullCountsOptions {
  readonly flushMs?: number;
  readonly limits?: PullCounterLimits;
  /** The writer (tests pass a fake); defaults to one transaction on `db`. */
  readonly write?: (batch: PullBatch) => Promise<void>;
}

const FLUSH_MS = 1000;

export function enablePullCounts(db: Kysely<Database>, bus: EventBus, onError: (error: unknown) => void, options: PullCountsOptions = {}): PullCounts {
  const counter = new PullCounter(options.limits);
  const write = options.write ?? ((batch: PullBatch) => addPullCounts(db, batch));
  let writing: Promise<void> = Promise.resolve();
  let reportedDrops = 0;

  const flush = (): Promise<void> => {
    writing = writing.then(async () => {
      if (counter.dropped > reportedDrops) {
        onError(new Error(`pull counts: ${counter.dropped - reportedDrops} pulls not counted (too many distinct repositories and tags between flushes)`));
        reportedDrops = counter.dropped;
      }
      if (counter.pending === 0) return;
      const batch = counter.take();
      try {
        await write(batch);
      } catch (error) {
        counter.restore(batch);
        onError(error);
      }
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), options.flushMs ?? FLUSH_MS);
  timer.unref();

  const unsubscribe = bus.on('pull', (e) => {
    counter.record({ repository: e.repository, digest: e.digest, mediaType: e.mediaType, tag: e.tag, address: e.actor.address, at: e.at.getTime() });
  });

  return {
    flush,
    async close() {
      unsubscribe();
      clearInterval(timer);
      await flush();
    },
  };
}
