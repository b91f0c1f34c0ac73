// A token bucket per upstream (pure: the clock is injected). Each request takes a token; an
// empty bucket makes the caller wait for the next one. A 429 with Retry-After pauses the bucket
// until then, so no request goes out before the upstream said it may.

export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Most tokens held (the burst). */
  readonly burst: number;
  readonly now?: () => number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new Error('a token bucket needs a positive rate and a burst of at least 1');
    this.now = options.now ?? Date.now;
    this.tokens = options.burst;
    this.last = this.now();
  }

  private refill(): void {
    const now = this.now();
    if (now > this.last) {
      this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.last) / 1000) * this.options.ratePerSecond);
      this.last = now;
    }
  }

  /**
   * Takes a token if one is there: returns 0. Otherwise takes nothing and returns how many
   * milliseconds to wait before asking again.
   */
  tryTake(): number {
    const now = this.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.options.ratePerSecond) * 1000);
  }

  /** Waits for a token (at most `maxWaitMs`; throws past that). */
  async take(maxWaitMs = 30_000, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
    let waited = 0;
    for (;;) {
      const wait = this.tryTake();
      if (wait === 0) return;
      if (waited + wait > maxWaitMs) throw new RateLimitedError(wait);
      await sleep(wait);
      waited += wait;
    }
  }

  /** The upstream said 429: nothing goes out for `ms` (default one second), and the bucket empties. */
  pause(ms: number | undefined): void {
    const until = this.now() + (ms ?? 1000);
    if (until > this.pausedUntil) this.pausedUntil = until;
    this.tokens = 0;
    this.last = until;
  }

  /** Milliseconds until the pause a 429 set ends (0 when none). */
  get pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }
}

export class RateLimitedError extends Error {
  constructor(readonly waitMs: number) {
    super(`upstream rate limit: next request allowed in ${Math.ceil(waitMs / 1000)} s`);
    this.name = 'RateLimitedError';
  }
}
