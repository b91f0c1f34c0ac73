// Pull counting (docs/discovery.md, Pull counts), pure: decides which manifest GETs count and
// aggregates them per repository and per tag until the next flush. No I/O, no timers: the clock
// is each event's own time, so tests drive it with made-up events.
import { isIndexMediaType } from '../../core/mediatypes.ts';

/** An index GET hides the by-digest platform manifest GET that follows it for this long. */
export const MULTI_ARCH_WINDOW_MS = 30_000;

export interface PullSample {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  /** Set when the manifest was requested by tag. */
  readonly tag?: string;
  /** The client's address (the multi-arch rule groups by address and repository). */
  readonly address?: string;
  readonly at: number;
}

export interface Counted {
  count: number;
  last: number;
}

/** What one flush writes: per repository name, and per repository name + tag. */
export interface PullBatch {
  readonly repositories: ReadonlyMap<string, Counted>;
  readonly tags: ReadonlyMap<string, ReadonlyMap<string, Counted>>;
}

export interface PullCounterLimits {
  /** Most (address, repository) pairs remembered for the multi-arch rule. */
  readonly maxRecentIndexes: number;
  /** Most distinct repositories plus tags held between flushes; further new keys are dropped. */
  readonly maxKeys: number;
}

const DEFAULT_LIMITS: PullCounterLimits = { maxRecentIndexes: 20_000, maxKeys: 100_000 };

export class PullCounter {
  private repositories = new Map<string, Counted>();
  private tags = new Map<string, Map<string, Counted>>();
  private keys = 0;
  /** `${address}\0${repository}` -> time of the last index GET (insertion order = age order). */
  private readonly recentIndexes = new Map<string, number>();
  /** Pulls dropped because the maps were full (a stalled DB); reported, never unbounded. */
  dropped = 0;

  constructor(private readonly limits: PullCounterLimits = DEFAULT_LIMITS) {}

  /** Records one manifest GET; returns whether it counted as a pull. */
  record(s: PullSample): boolean {
    const pair = `${s.address ?? ''}\0${s.repository}`;
    if (isIndexMediaType(s.mediaType)) {
      this.rememberIndex(pair, s.at);
    } else if (s.tag === undefined) {
      const indexAt = this.recentIndexes.get(pair);
      if (indexAt !== undefined && s.at >= indexAt && s.at - indexAt <= MULTI_ARCH_WINDOW_MS) return false;
    }
    const repo = this.counted(this.repositories, s.repository);
    if (!repo) return false;
    bump(repo, s.at);
    if (s.tag !== undefined) {
      let tags = this.tags.get(s.repository);
      if (!tags) this.tags.set(s.repository, (tags = new Map()));
      const tag = this.counted(tags, s.tag);
      if (tag) bump(tag, s.at);
    }
    return true;
  }

  /** How many repositories and tags wait for the next flush. */
  get pending(): number {
    return this.keys;
  }

  /** Hands over everything counted so far and starts empty. */
  take(): PullBatch {
    const batch = { repositories: this.repositories, tags: this.tags };
    this.repositories = new Map();
    this.tags = new Map();
    this.keys = 0;
    return batch;
  }

  /** Puts a batch back (its write failed), merged with what arrived meanwhile. */
  restore(batch: PullBatch): void {
    for (const [name, c] of batch.repositories) {
      const into = this.counted(this.repositories, name);
      if (into) merge(into, c);
      else this.dropped += c.count;
    }
    for (const [name, tags] of batch.tags) {
      let into = this.tags.get(name);
      if (!into) this.tags.set(name, (into = new Map()));
      for (const [tag, c] of tags) {
        const t = this.counted(into, tag);
        if (t) merge(t, c);
      }
    }
  }

  private counted(map: Map<string, Counted>, key: string): Counted | undefined {
    const existing = map.get(key);
    if (existing) return existing;
    if (this.keys >= this.limits.maxKeys) {
      this.dropped += 1;
      return undefined;
    }
    const fresh = { count: 0, last: 0 };
    map.set(key, fresh);
    this.keys += 1;
    return fresh;
  }

  private rememberIndex(pair: string, at: number): void {
    this.recentIndexes.delete(pair);
    this.recentIndexes.set(pair, at);
    if (this.recentIndexes.size <= this.limits.maxRecentIndexes) return;
    // Oldest first: drop what is out of the window, then (a flood of addresses) the oldest.
    for (const [k, t] of this.recentIndexes) {
      if (this.recentIndexes.size <= this.limits.maxRecentIndexes && at - t <= MULTI_ARCH_WINDOW_MS) break;
      this.recentIndexes.delete(k);
    }
  }
}

function bump(c: Counted, at: number): void {
  c.count += 1;
  if (at > c.last) c.last = at;
}

function merge(into: Counted, from: Counted): void {
  into.count += from.count;
  if (from.last > into.last) into.last = from.last;
}
