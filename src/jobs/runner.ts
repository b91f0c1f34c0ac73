// The one durable job runner (DESIGN.md, How features plug in): features register handlers by
// kind; work is a row in `jobs`, taken under a lease with a compare-and-set, so with several
// instances on one database each job runs once, and a job whose instance died is taken again
// when its lease runs out. Retries back off exponentially; each kind has its own concurrency, so
// a burst of scans never starves other work, and nothing here ever runs on a request's path.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { abandonJob, claimJob, dueJobs, failJob, findJob, findOpenJob, finishJob, insertJob, pruneJobs, releaseJobsOf, renewJob, type JobRow } from '../metadata/jobs.ts';
import type { Executor } from '../metadata/executor.ts';
import type { Database } from '../metadata/schema.ts';

export interface JobContext {
  readonly id: number;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Aborted when this instance lost the lease or is shutting down: stop soon, leave no half state. */
  readonly signal: AbortSignal;
  /** Notes progress (shown to whoever waits; also renews the lease). */
  progress(text: string): void;
}

export interface JobHandler<P = unknown> {
  run(payload: P, ctx: JobContext): Promise<unknown>;
  /** Jobs of this kind one instance runs at once (default 1). */
  readonly concurrency?: number;
  /** Tries before the job is failed for good (default 5). */
  readonly maxAttempts?: number;
}

export interface EnqueueOptions {
  /** At most one open job per key: a second enqueue returns the open one. */
  readonly key?: string;
  readonly priority?: number;
  /** Not before this time (epoch ms). */
  readonly runAfter?: number;
}

export interface RunnerOptions {
  readonly pollMs: number;
  readonly leaseMs: number;
  /** Finished jobs are kept this long. */
  readonly keepMs: number;
  readonly onError: (error: unknown, job?: { id: number; kind: string }) => void;
  /** The first retry's delay; it doubles with each attempt, up to five minutes (default 1 s). */
  readonly backoffMs?: number;
  readonly now?: () => number;
}

const PRUNE_EVERY_MS = 3_600_000;

export class JobRunner {
  owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<number, { kind: string; done: Promise<void>; abort: AbortController }>();
  private timer?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  private started = false;
  private stopped = false;
  private ticking = false;
  private again = false;
  private readonly now: () => number;

  constructor(private readonly db: Kysely<Database>, private readonly options: RunnerOptions) {
    this.now = options.now ?? Date.now;
  }

  register(kind: string, handler: JobHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a job handler for ${kind} is registered twice`);
    this.handlers.set(kind, handler);
  }

  /**
   * Queues work (pass a transaction to queue it with the change that asked for it). Returns the
   * job's id, and whether an open job with the same key was returned instead.
   */
  async enqueue(kind: string, payload: unknown, options: EnqueueOptions = {}, db: Executor = this.db): Promise<{ id: number; deduplicated: boolean }> {
    const now = this.now();
    const key = options.key ?? null;
    if (key !== null) {
      const open = await findOpenJob(db, key);
      if (open) return { id: open.id, deduplicated: true };
    }
    let id: number;
    try {
      id = await insertJob(db, { kind, key, payload: JSON.stringify(payload ?? {}), priority: options.priority ?? 0, runAfter: options.runAfter ?? now }, now);
    } catch (error) {
      // The unique open-key index: another enqueue (maybe another instance) won the race.
      const open = key !== null ? await findOpenJob(db, key) : undefined;
      if (open) return { id: open.id, deduplicated: true };
      throw error;
    }
    if (db === this.db) this.wake();
    return { id, deduplicated: false };
  }

  /** The job's row (state, progress, result, error). */
  job(id: number): Promise<JobRow | undefined> {
    return findJob(this.db, id);
  }

  /** Waits until the job is done or failed (polling its row), at most `timeoutMs`. */
  async wait(id: number, timeoutMs: number, onProgress?: (text: string) => void): Promise<JobRow> {
    const until = this.now() + timeoutMs;
    let last: string | null = null;
    for (;;) {
      const row = await findJob(this.db, id);
      if (!row) throw new Error(`job ${id} does not exist`);
      if (row.progress !== last && row.progress !== null) {
        last = row.progress;
        onProgress?.(row.progress);
      }
      if (row.state === 'done' || row.state === 'failed') return row;
      if (this.now() > until) throw new Error(`job ${id} (${row.kind}) did not finish within ${Math.round(timeoutMs / 1000)} s; it is ${row.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Starts taking work. `instance` names this instance stably (host and port): a restart frees
   * the leases its killed predecessor held instead of waiting for them to expire.
   */
  async start(instance?: string): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    if (instance) {
      this.owner = instance;
      await releaseJobsOf(this.db, instance).catch((e) => this.options.onError(e));
    }
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.pruner = setInterval(() => void pruneJobs(this.db, this.now() - this.options.keepMs).catch((e) => this.options.onError(e)), PRUNE_EVERY_MS);
    this.pruner.unref();
    this.wake();
  }

  /** Looks for due work now instead of at the next poll. */
  wake(): void {
    if (!this.started || this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.tick().catch((e) => this.options.onError(e)).finally(() => {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        setImmediate(() => this.wake());
      }
    });
  }

  /** Stops taking work, asks running jobs to stop, and waits for them (at most `waitMs`). */
  async close(waitMs = 10_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.pruner);
    for (const r of this.running.values()) r.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.values()].map((r) => r.done)),
      new Promise((r) => { timer = setTimeout(r, waitMs); }),
    ]);
    clearTimeout(timer);
  }

  private runningOf(kind: string): number {
    let n = 0;
    for (const r of this.running.values()) if (r.kind === kind) n++;
    return n;
  }

  private async tick(): Promise<void> {
    const kinds = [...this.handlers.entries()].filter(([k, h]) => this.runningOf(k) < (h.concurrency ?? 1)).map(([k]) => k);
    if (!kinds.length) return;
    const now = this.now();
    for (const job of await dueJobs(this.db, kinds, now, 50)) {
      if (this.stopped) return;
      const handler = this.handlers.get(job.kind)!;
      if (this.running.has(job.id) || this.runningOf(job.kind) >= (handler.concurrency ?? 1)) continue;
      // Its instance died running it as many times as it may be tried: a job that kills the
      // process must not take the next start down too.
      if (job.state === 'running' && job.attempts >= (handler.maxAttempts ?? 5)) {
        await abandonJob(this.db, job, now, `stopped ${job.attempts} times while running (its instance ended, or lost the lease); given up`);
        continue;
      }
      if (!(await claimJob(this.db, job, this.owner, now, now + this.options.leaseMs))) continue; // another instance has it
      this.launch(job, handler);
    }
  }

  private launch(job: JobRow, handler: JobHandler): void {
    const abort = new AbortController();
    const attempt = job.attempts + 1;
    let progress: string | undefined;
    // The lease is renewed a few times per lease period; losing it means another instance took
    // the job over (this one stalled), so this run must stop.
    const heartbeat = setInterval(() => {
      const now = this.now();
      void renewJob(this.db, job.id, this.owner, now, now + this.options.leaseMs, progress).then((held) => {
        if (!held) abort.abort();
      }, (e) => this.options.onError(e, job));
    }, Math.max(50, Math.floor(this.options.leaseMs / 3)));
    heartbeat.unref();
    const ctx: JobContext = {
      id: job.id,
      attempt,
      signal: abort.signal,
      progress: (text) => { progress = text.slice(0, 500); },
    };
    const done = (async () => {
      try {
        const result = await handler.run(JSON.parse(job.payload) as unknown, ctx);
        await finishJob(this.db, job.id, this.owner, this.now(), result === undefined ? null : JSON.stringify(result));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const max = handler.maxAttempts ?? 5;
        // A shutdown is not the job's fault: it is due again at once, for the next start.
        const retryAt = abort.signal.aborted && this.stopped ? this.now()
          : attempt < max ? this.now() + Math.min(300_000, (this.options.backoffMs ?? 1000) * 2 ** (attempt - 1)) : undefined;
        if (!(abort.signal.aborted && this.stopped)) this.options.onError(error, job);
        await failJob(this.db, job.id, this.owner, this.now(), message.slice(0, 2000), retryAt).catch((e) => this.options.onError(e, job));
      } finally {
        clearInterval(heartbeat);
      }
    })().finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, { kind: job.kind, done, abort });
  }
}
