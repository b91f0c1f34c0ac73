// The GC service: a pass on request or from the continuous worker, recorded (gc_runs), counted
// (Prometheus) and audited; and the status the API and UI show (last run, queue depth, bytes
// freed, next run).
import type { Kysely } from 'kysely';
import { Counter, Gauge, Registry as PromRegistry } from 'prom-client';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { Actor } from '../../auth/directory/actor.ts';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { Database } from '../../metadata/schema.ts';
import type { Collector, GcSummary, RunOptions } from './collector.ts';
import { bytesFreed, finishRun, lastRuns, queueDepth, startRun, type GcRunView } from './runs.ts';

export interface GcStatus {
  readonly enabled: boolean;
  readonly intervalSeconds: number;
  readonly reviewDelaySeconds: number;
  readonly lastRun: GcRunView | null;
  /** The last run that collected something (or was asked for). */
  readonly lastCollection: GcRunView | null;
  readonly nextRunAt: string | null;
  readonly queue: { readonly manifests: number; readonly blobs: number; readonly byteDeletes: number };
  readonly waiting: GcSummary['waiting'] & { readonly nextDueAt: number | null };
  readonly bytesFreed: number;
}

export class GcMetrics {
  readonly registry = new PromRegistry();
  readonly runs = new Counter({ name: 'berth_gc_runs_total', help: 'Garbage collection passes, by trigger and outcome', labelNames: ['trigger', 'outcome'] as const, registers: [this.registry] });
  readonly manifests = new Counter({ name: 'berth_gc_manifests_deleted_total', help: 'Manifest links collected', registers: [this.registry] });
  readonly blobs = new Counter({ name: 'berth_gc_blobs_deleted_total', help: 'Blob rows collected', registers: [this.registry] });
  readonly bytes = new Counter({ name: 'berth_gc_bytes_freed_total', help: 'Bytes of collected blobs and manifests', registers: [this.registry] });
  readonly removed = new Counter({ name: 'berth_gc_storage_bytes_removed_total', help: 'Bytes removed from storage', registers: [this.registry] });
  readonly queue: Gauge<'queue'>;

  constructor(depth: () => Promise<{ manifests: number; blobs: number; bytes: number }>) {
    this.queue = new Gauge({
      name: 'berth_gc_queue_depth', help: 'GC candidates queued (reviews) and byte deletions pending', labelNames: ['queue'] as const, registers: [this.registry],
      async collect() {
        const d = await depth();
        this.set({ queue: 'manifests' }, d.manifests);
        this.set({ queue: 'blobs' }, d.blobs);
        this.set({ queue: 'bytes' }, d.bytes);
      },
    });
  }
}

export interface GcServiceOptions {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly reviewDelaySeconds: number;
  readonly now?: () => number;
}

export class GcService {
  readonly metrics: GcMetrics;
  /** When the worker's next pass is due (set by the worker). */
  nextRunAt: number | null = null;
  private readonly now: () => number;

  constructor(private readonly db: Kysely<Database>, private readonly collector: Collector, private readonly record: ChangeRecorder, private readonly options: GcServiceOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = new GcMetrics(() => queueDepth(db));
  }

  /** One pass, recorded; passes that collect something, and every asked-for one, are audited. */
  async run(trigger: 'worker' | 'cli' | 'api', actor: Actor, options: RunOptions = {}, requestedBy?: string): Promise<GcSummary> {
    const dryRun = options.dryRun ?? false;
    const id = await startRun(this.db, trigger, dryRun, this.now());
    let summary: GcSummary;
    try {
      summary = await this.collector.run(options);
    } catch (error) {
      await finishRun(this.db, id, this.now(), undefined, (error as Error).message).catch(() => {});
      this.metrics.runs.inc({ trigger, outcome: 'failed' });
      throw error;
    }
    await finishRun(this.db, id, this.now(), summary);
    this.metrics.runs.inc({ trigger, outcome: dryRun ? 'dry-run' : 'done' });
    if (!dryRun) {
      this.metrics.manifests.inc(summary.manifests);
      this.metrics.blobs.inc(summary.blobs);
      this.metrics.bytes.inc(summary.bytes);
      this.metrics.removed.inc(summary.bytesRemoved);
    }
    const collected = summary.manifests + summary.blobs + summary.uploads + summary.tempFiles > 0;
    if (trigger !== 'worker' || collected) {
      await this.record({
        action: dryRun ? 'gc.dry-run' : 'gc.run', actor: trigger === 'worker' ? SYSTEM : actor,
        detail: { trigger, ...(requestedBy ? { requestedBy } : {}), manifests: summary.manifests, blobs: summary.blobs, bytes: summary.bytes, uploads: summary.uploads, tempFiles: summary.tempFiles },
      });
    }
    return summary;
  }

  async status(): Promise<GcStatus> {
    const [last] = await lastRuns(this.db, 1);
    const [collection] = await lastRuns(this.db, 1, true);
    const depth = await queueDepth(this.db);
    return {
      enabled: this.options.enabled,
      intervalSeconds: this.options.intervalMs / 1000,
      reviewDelaySeconds: this.options.reviewDelaySeconds,
      lastRun: last ?? null,
      lastCollection: collection ?? null,
      nextRunAt: this.options.enabled && this.nextRunAt !== null ? new Date(this.nextRunAt).toISOString() : null,
      queue: { manifests: depth.manifests, blobs: depth.blobs, byteDeletes: depth.bytes },
      waiting: await this.collector.waiting(),
      bytesFreed: await bytesFreed(this.db),
    };
  }

  runs(limit: number): Promise<GcRunView[]> {
    return lastRuns(this.db, limit);
  }
}
