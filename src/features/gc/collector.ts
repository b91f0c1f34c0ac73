// One pass of the online garbage collector. Its cost follows the garbage, not the storage: it
// reads only the review queues the registry filled (candidates come from the DB, storage is never
// walked), reviews each due candidate in a transaction that re-checks and deletes it (reviews.ts),
// then removes the bytes whose rows are gone (byte-deletes.ts), and sweeps what interrupted
// uploads left. It steps aside between batches while uploads stream into this instance.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Config } from '../../core/config.ts';
import type { Database } from '../../metadata/schema.ts';
import type { Registry } from '../../registry/registry.ts';
import type { StorageDriver } from '../../storage/driver.ts';
import { deleteDueBytes, pendingByteDeletes, pruneTombstones } from './byte-deletes.ts';
import { lockDigests, REVIEW_FENCE_MS } from '../../metadata/gc-queues.ts';
import { transact } from '../../metadata/transactions.ts';
import { emptyOutcome, reviewBlob, reviewManifest, type ReviewOutcome, type ReviewRules } from './reviews.ts';

export interface GcSummary {
  readonly dryRun: boolean;
  /** Manifest links collected (untagged, subject gone, or deleted). */
  readonly manifests: number;
  /** Blob rows collected. */
  readonly blobs: number;
  /** Bytes of the collected blobs and manifests. */
  readonly bytes: number;
  /** Bytes removed from storage by this pass (of this pass's garbage and earlier passes'). */
  readonly bytesRemoved: number;
  /** Objects removed from storage by this pass. */
  readonly objectsRemoved: number;
  /** Stale upload sessions and upload folders, and temp files of interrupted writes, removed. */
  readonly uploads: number;
  readonly tempFiles: number;
  /** Candidates reviewed (kept ones included). */
  readonly reviewed: number;
  /** Candidates not yet due (protected by the review delay), and when the next one is. */
  readonly waiting: { readonly manifests: number; readonly blobs: number; readonly nextDueAt: number | null };
  /** Bytes whose rows are gone, still to be removed from storage. */
  readonly pendingBytes: number;
  readonly durationMs: number;
}

export interface GcProgress {
  readonly phase: 'manifests' | 'blobs' | 'bytes' | 'uploads';
  readonly done: number;
  readonly total: number;
}

export interface RunOptions {
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  readonly progress?: (p: GcProgress) => void;
  /** Wait up to this long for byte deletions that come due meanwhile (the CLI, offline). */
  readonly waitForBytesMs?: number;
  /** Follow candidates that come due within this long (what the pass itself made candidates), step by step. */
  readonly settleMs?: number;
}

/** Thrown inside a dry run's transaction to undo it. */
class DryRunRollback extends Error {}

/** How long a pass someone waits on follows its cascade at most. */
const SETTLE_MAX_MS = 60_000;

/** Candidates per transaction while pushes are in flight. */
const PUSHING_BATCH = 10;

/** Rounds of batches one pass takes at most (a cascade of indexes and their platforms needs a few). */
const MAX_ROUNDS = 100_000;

export class Collector {
  private readonly now: () => number;

  constructor(private readonly db: Kysely<Database>, private readonly storage: StorageDriver, private readonly registry: Registry, private readonly config: Config, now?: () => number) {
    this.now = now ?? Date.now;
  }

  /** A dry run sees a whole cascade at once; a real pass waits the lookup fence for each step. */
  private rules(dryRun: boolean, dueBy: number): ReviewRules {
    const gc = this.config.gc;
    const now = this.now();
    return {
      now,
      dueBy,
      cascadeAt: dryRun ? now : now + REVIEW_FENCE_MS,
      protectMs: gc.reviewDelaySeconds * 1000,
      byteDeleteDelayMs: gc.byteDeleteDelaySeconds * 1000,
      untaggedManifests: gc.untaggedManifests,
      keepTagHistory: gc.keepTagHistory,
      touchedAt: (table, repositoryId, digest) => this.registry.touches.touchedAt(table, repositoryId, digest),
    };
  }

  async run(options: RunOptions = {}): Promise<GcSummary> {
    const started = this.now();
    const out = emptyOutcome();
    let reviewed = 0;
    if (options.dryRun) {
      // The same reviews in one transaction that is then undone: what a real pass would collect now.
      await this.db.transaction().execute(async (trx) => {
        reviewed = await this.reviewAll(trx as unknown as Kysely<Database>, out, options);
        throw new DryRunRollback();
      }).catch((error: unknown) => {
        if (!(error instanceof DryRunRollback)) throw error;
      });
      const stale = await this.staleUploads();
      return { ...(await this.summary(out, reviewed, started, true, { bytes: 0, objects: 0 })), uploads: stale, tempFiles: 0 };
    }
    reviewed = await this.reviewAll(this.db, out, options);
    // What this pass made candidates is reviewable after the lookup fence: a pass someone waits
    // on (berth gc, the API) waits for it, so that deleting an image and collecting is one step.
    if (options.settleMs && options.settleMs > 0) {
      // Step by step: each collection's cascade comes due a fence later (an untagged image, then
      // its referrers and cosign tags, then their blobs), so the wait is for the next step only,
      // with a bound on the whole.
      const deadline = this.now() + SETTLE_MAX_MS;
      while (!options.signal?.aborted && this.now() < deadline) {
        const next = await this.nextDue();
        if (next === null || next > this.now() + options.settleMs) break;
        await new Promise((r) => setTimeout(r, Math.max(10, next - this.now() + 10)));
        reviewed += await this.reviewAll(this.db, out, options);
      }
    }
    for (const digest of out.goneManifests) this.registry.manifests.forget(digest);
    const activity = this.registry.uploads.activity;
    let removed = await deleteDueBytes(this.db, this.storage, this.now, options.signal, (done, total) => options.progress?.({ phase: 'bytes', done, total }), () => activity.busy ? activity.settle(5, 50, options.signal) : Promise.resolve());
    if (options.waitForBytesMs && options.waitForBytesMs > 0) {
      const until = this.now() + options.waitForBytesMs;
      while (!options.signal?.aborted && this.now() < until && (await pendingByteDeletes(this.db)).dueBefore(until)) {
        await new Promise((r) => setTimeout(r, 250));
        const more = await deleteDueBytes(this.db, this.storage, this.now, options.signal, undefined, () => activity.busy ? activity.settle(5, 50, options.signal) : Promise.resolve());
        removed = { bytes: removed.bytes + more.bytes, objects: removed.objects + more.objects };
      }
    }
    await pruneTombstones(this.db, this.now() - 86_400_000);
    options.progress?.({ phase: 'uploads', done: 0, total: 1 });
    const swept = await this.sweepUploads();
    options.progress?.({ phase: 'uploads', done: 1, total: 1 });
    return { ...(await this.summary(out, reviewed, started, false, removed)), uploads: swept.uploads, tempFiles: swept.tempFiles };
  }

  /** Reviews every due candidate, manifests first (their blobs become due in the same pass). */
  private async reviewAll(db: Kysely<Database>, out: ReviewOutcome, options: RunOptions): Promise<number> {
    const fullBatch = this.config.gc.batchSize;
    let reviewed = 0;
    const total = await this.dueCount(db);
    for (let round = 0; round < MAX_ROUNDS && !options.signal?.aborted; round++) {
      // A dry run answers for the pass a berth gc would run now, which waits out the lookup fence.
      const now = this.now() + (options.dryRun ? REVIEW_FENCE_MS + 1000 : 0);
      // While uploads stream in, short transactions: a push's own transaction never waits long
      // behind a batch (SQLite has one writer; PostgreSQL locks the candidates' digests).
      const batchSize = !options.dryRun && this.registry.uploads.activity.busy ? PUSHING_BATCH : fullBatch;
      const manifests = await db.selectFrom('gc_manifest_reviews').select(['repository_id', 'digest'])
        .where('review_after', '<=', now).orderBy('review_after').limit(batchSize).execute();
      const table = manifests.length ? 'manifests' : 'blobs';
      const due = manifests.length ? manifests : await db.selectFrom('gc_blob_reviews').select(['repository_id', 'digest'])
        .where('review_after', '<=', now).orderBy('review_after').limit(batchSize).execute();
      if (!due.length) break;
      const rules = this.rules(options.dryRun ?? false, now);
      const review = async (trx: Kysely<Database>) => {
        // Every candidate's lock first, in order, before any row lock: the registry's writers
        // lock digests first too, so the two can never wait on each other in a cycle.
        await lockDigests(trx, due.map((c) => c.digest));
        for (const c of due) {
          if (table === 'manifests') await reviewManifest(trx, rules, Number(c.repository_id), c.digest, out);
          else await reviewBlob(trx, rules, Number(c.repository_id), c.digest, out);
        }
      };
      if (options.dryRun) await review(db);
      else await transact(this.db, (trx) => review(trx as unknown as Kysely<Database>));
      reviewed += due.length;
      options.progress?.({ phase: table, done: reviewed, total: Math.max(total, reviewed) });
      // Pushes first: between batches, wait briefly while uploads stream into this instance.
      // SQLite answers synchronously: without a turn of the event loop here a pass would hold it
      // for its whole length, and requests would wait. Pushes in flight get a little more.
      if (!options.dryRun) {
        await new Promise((r) => setImmediate(r));
        if (this.registry.uploads.activity.busy) await this.registry.uploads.activity.settle(5, 50, options.signal);
      }
    }
    return reviewed;
  }

  private async dueCount(db: Kysely<Database>): Promise<number> {
    const now = this.now() + REVIEW_FENCE_MS;
    const [m, b] = await Promise.all(['gc_manifest_reviews' as const, 'gc_blob_reviews' as const].map((t) =>
      db.selectFrom(t).select(sql<number>`count(*)`.as('n')).where('review_after', '<=', now).executeTakeFirstOrThrow()));
    return Number(m!.n) + Number(b!.n);
  }

  private async summary(out: ReviewOutcome, reviewed: number, started: number, dryRun: boolean, removed: { bytes: number; objects: number }): Promise<Omit<GcSummary, 'uploads' | 'tempFiles'>> {
    const waiting = await this.waiting();
    const pending = await pendingByteDeletes(this.db);
    return {
      dryRun,
      manifests: out.manifests,
      blobs: out.blobs,
      bytes: out.bytes,
      bytesRemoved: removed.bytes,
      objectsRemoved: removed.objects,
      reviewed,
      waiting,
      pendingBytes: pending.bytes,
      durationMs: this.now() - started,
    };
  }

  /** When the next queued candidate comes due, if any is queued. */
  private async nextDue(): Promise<number | null> {
    const next = async (t: 'gc_manifest_reviews' | 'gc_blob_reviews') => {
      const row = await this.db.selectFrom(t).select(sql<number | null>`min(review_after)`.as('next')).executeTakeFirstOrThrow();
      return row.next === null ? null : Number(row.next);
    };
    const all = [await next('gc_manifest_reviews'), await next('gc_blob_reviews')].filter((x): x is number => x !== null);
    return all.length ? Math.min(...all) : null;
  }

  /** Candidates still protected by the review delay. */
  async waiting(): Promise<GcSummary['waiting']> {
    const now = this.now();
    const count = async (t: 'gc_manifest_reviews' | 'gc_blob_reviews') => {
      const row = await this.db.selectFrom(t).select([sql<number>`count(*)`.as('n'), sql<number | null>`min(review_after)`.as('next')]).where('review_after', '>', now).executeTakeFirstOrThrow();
      return { n: Number(row.n), next: row.next === null ? null : Number(row.next) };
    };
    const [m, b] = [await count('gc_manifest_reviews'), await count('gc_blob_reviews')];
    const nexts = [m.next, b.next].filter((x): x is number => x !== null);
    return { manifests: m.n, blobs: b.n, nextDueAt: nexts.length ? Math.min(...nexts) : null };
  }

  private async sweepUploads(): Promise<{ uploads: number; tempFiles: number }> {
    const before = this.now() - this.config.storage.purgeUploadsAfterHours * 3_600_000;
    const abandoned = await this.registry.uploads.purgeAbandoned(before);
    const orphans = await this.registry.uploads.purgeOrphans(before);
    const tempFiles = await this.storage.purgeStale(new Date(before));
    return { uploads: abandoned + orphans, tempFiles };
  }

  private async staleUploads(): Promise<number> {
    const before = this.now() - this.config.storage.purgeUploadsAfterHours * 3_600_000;
    const row = await this.db.selectFrom('uploads').select(sql<number>`count(*)`.as('n')).where('updated_at', '<', before).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
