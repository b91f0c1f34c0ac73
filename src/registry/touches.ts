// What clients just looked up: a blob HEAD (a push that found the blob and will not upload it) or
// a manifest lookup by digest (an index push checking its platforms) means a manifest referencing
// it is probably on its way. GC must not take such a link in between, even when it was not a
// candidate at the time of the lookup (it becomes one when the last manifest using it goes).
// Noted in memory (one entry per link, however many lookups), read by this instance's collector
// at once, and flushed to the review queues every second so collectors elsewhere see them.
import type { Kysely } from 'kysely';
import { queueReviews, type ReviewTable } from '../metadata/gc-queues.ts';
import { transact } from '../metadata/transactions.ts';
import type { Database } from '../metadata/schema.ts';

/** Links noted between two flushes at most; beyond it, the oldest wait for the next flush. */
const MAX_PENDING = 50_000;
/** Recent lookups kept for this instance's collector. */
const MAX_RECENT = 200_000;

export class Touches {
  private pending = new Map<string, { table: ReviewTable; repositoryId: number; digest: string; at: number }>();
  private readonly recent = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(private readonly db: Kysely<Database>, private readonly protectMs: number, private readonly now: () => number = Date.now, private readonly onError: (error: unknown) => void = () => {}) {}

  note(table: ReviewTable, repositoryId: number, digest: string): void {
    const key = `${table === 'gc_blob_reviews' ? 'b' : 'm'}${repositoryId} ${digest}`;
    const at = this.now();
    this.recent.delete(key);
    this.recent.set(key, at);
    if (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.keys().next().value as string);
    if (this.pending.size < MAX_PENDING || this.pending.has(key)) this.pending.set(key, { table, repositoryId, digest, at });
    if (!this.timer) {
      this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, 1000);
      this.timer.unref();
    }
  }

  /** When this instance last saw the link looked up, if within the protection time. */
  touchedAt(table: ReviewTable, repositoryId: number, digest: string): number | undefined {
    const at = this.recent.get(`${table === 'gc_blob_reviews' ? 'b' : 'm'}${repositoryId} ${digest}`);
    return at !== undefined && at > this.now() - this.protectMs ? at : undefined;
  }

  /** Writes the noted lookups as review times (a candidate that is none yet is re-checked, harmlessly). */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.pending.size) {
        const batch = [...this.pending.values()];
        this.pending = new Map();
        try {
          await transact(this.db, async (trx) => {
            for (const t of batch) await queueReviews(trx, t.table, t.repositoryId, [t.digest], 'lookup', t.at + this.protectMs);
          });
        } catch (error) {
          this.onError(error);
          return;
        }
      }
    })().finally(() => { this.flushing = undefined; });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
