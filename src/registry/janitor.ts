// Sweeps what interrupted pushes leave behind, at start and then periodically: upload sessions
// their clients abandoned, upload folders without a session, and the storage driver's temp
// objects of writes that never finished (a crash in the middle of a monolithic push). Everything
// it removes is older than `maxAgeMs` (storage.purgeUploadsAfterHours), so work in progress stays.
// The steps are idempotent, so several instances sweeping the same store do no harm.
import type { RegistryDeps } from './deps.ts';
import type { UploadService } from './uploads.ts';

export interface JanitorOptions {
  readonly maxAgeMs: number;
  /** Time between sweeps. */
  readonly intervalMs: number;
  readonly onSwept?: (result: SweepResult) => void;
  readonly onError: (error: unknown) => void;
}

export interface SweepResult {
  readonly abandonedUploads: number;
  readonly orphanUploads: number;
  readonly tempObjects: number;
}

export class UploadJanitor {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult | undefined>;
  private readonly now: () => number;

  constructor(private readonly deps: RegistryDeps, private readonly uploads: UploadService, private readonly options: JanitorOptions) {
    this.now = deps.now ?? Date.now;
  }

  /** One sweep now (tests and `start` call this); concurrent calls share one run. */
  sweep(): Promise<SweepResult | undefined> {
    this.running ??= this.sweepOnce().catch((error: unknown) => {
      this.options.onError(error);
      return undefined;
    }).finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Sweeps in the background now and every intervalMs; starting never waits on it. */
  start(): void {
    if (this.timer) return;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async sweepOnce(): Promise<SweepResult> {
    const before = this.now() - this.options.maxAgeMs;
    const abandonedUploads = await this.uploads.purgeAbandoned(before);
    const orphanUploads = await this.uploads.purgeOrphans(before);
    const tempObjects = await this.deps.storage.purgeStale(new Date(before));
    const result = { abandonedUploads, orphanUploads, tempObjects };
    if (abandonedUploads + orphanUploads + tempObjects > 0) this.options.onSwept?.(result);
    return result;
  }
}
