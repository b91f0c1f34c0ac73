// How many blob uploads are streaming into this instance right now: background work that shares
// the process (scans) reads it and steps aside while pushes run, so a push is never slowed by a
// scan of something pushed earlier.
export class PushActivity {
  private inFlight = 0;

  /** Counts `work` as an upload while it runs. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }
}
