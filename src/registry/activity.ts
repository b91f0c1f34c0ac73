// How many blob uploads are streaming into this instance right now, and when the last one ended:
// background work that shares the process (scans) reads it and steps aside while pushes run, so
// a push is never slowed by a scan of something pushed earlier.
export class PushActivity {
  private inFlight = 0;
  private lastEnded = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts `work` as an upload while it runs. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.lastEnded = this.now();
    }
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /**
   * Waits until no upload has run for `quietMs` (a burst of pushes is over), but `maxWaitMs` at
   * most: a registry that is never quiet still gets its background work done.
   */
  async settle(quietMs: number, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    const until = this.now() + maxWaitMs;
    while (!signal?.aborted && this.now() < until && (this.busy || this.now() - this.lastEnded < quietMs)) {
      await new Promise((r) => setTimeout(r, Math.min(quietMs, 50)));
    }
  }
}
