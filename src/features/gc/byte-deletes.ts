// The durable, idempotent byte-deletion queue: bytes whose rows are gone are removed after
// gc.byteDeleteDelaySeconds (a pull that resolved the rows just before has opened its file by
// then). Each removal happens under the digest's lock, after checking that no push has made rows
// for the digest again meanwhile; the queue row then stays a day as a tombstone, which a push
// that raced the removal sees (metadata/gc-queues.ts, settleByteDelete) and re-checks its bytes.
import { sql, type Kysely } from 'kysely';
import { parseDigest } from '../../core/digest.ts';
import { lockDigests } from '../../metadata/gc-queues.ts';
import { transact } from '../../metadata/transactions.ts';
import type { Database } from '../../metadata/schema.ts';
import { StorageNotFoundError, type StorageDriver } from '../../storage/driver.ts';
import { blobPath } from '../../storage/paths.ts';

const BATCH = 200;
/** A removal that keeps failing (a read-only store) is retried at most this often. */
const MAX_ATTEMPTS = 20;

/** Removes the due bytes; returns how many bytes and objects went. */
export async function deleteDueBytes(db: Kysely<Database>, storage: StorageDriver, now: () => number, signal?: AbortSignal, progress?: (done: number, total: number) => void, giveWay?: () => Promise<void>): Promise<{ bytes: number; objects: number }> {
  let bytes = 0;
  let objects = 0;
  let done = 0;
  for (;;) {
    if (signal?.aborted) break;
    const due = await db.selectFrom('gc_byte_deletes').select(['digest', 'size', 'attempts'])
      .where('done_at', 'is', null).where('due_at', '<=', now()).where('attempts', '<', MAX_ATTEMPTS)
      .orderBy('due_at').limit(BATCH).execute();
    if (!due.length) break;
    for (const item of due) {
      const removed = await transact(db, async (trx) => {
        await lockDigests(trx, [item.digest]);
        const still = await trx.selectFrom('gc_byte_deletes').select('done_at').where('digest', '=', item.digest).executeTakeFirst();
        if (!still || still.done_at !== null) return false;
        const blob = await trx.selectFrom('blobs').select('digest').where('digest', '=', item.digest).executeTakeFirst();
        const manifest = blob ? undefined : await trx.selectFrom('manifests').select('digest').where('digest', '=', item.digest).executeTakeFirst();
        if (blob || manifest) {
          // Pushed again since: the bytes are in use, nothing to remove.
          await trx.deleteFrom('gc_byte_deletes').where('digest', '=', item.digest).execute();
          return false;
        }
        try {
          await storage.delete(blobPath(parseDigest(item.digest)));
        } catch (error) {
          if (!(error instanceof StorageNotFoundError)) {
            await trx.updateTable('gc_byte_deletes').set((eb) => ({ attempts: eb('attempts', '+', 1), due_at: now() + 60_000 })).where('digest', '=', item.digest).execute();
            return false;
          }
        }
        await trx.updateTable('gc_byte_deletes').set({ done_at: now() }).where('digest', '=', item.digest).execute();
        return true;
      });
      if (removed) {
        bytes += Number(item.size);
        objects++;
      }
      progress?.(++done, done + due.length);
      if (done % 10 === 0) {
        await new Promise((r) => setImmediate(r));
        await giveWay?.();
      }
    }
  }
  return { bytes, objects };
}

/** Bytes still to be removed, and whether any come due before `at`. */
export async function pendingByteDeletes(db: Kysely<Database>): Promise<{ bytes: number; count: number; dueBefore(at: number): boolean }> {
  const row = await db.selectFrom('gc_byte_deletes')
    .select([sql<number>`count(*)`.as('n'), sql<number | null>`sum(size)`.as('bytes'), sql<number | null>`min(due_at)`.as('next')])
    .where('done_at', 'is', null).where('attempts', '<', MAX_ATTEMPTS).executeTakeFirstOrThrow();
  const next = row.next === null ? null : Number(row.next);
  return { bytes: Number(row.bytes ?? 0), count: Number(row.n), dueBefore: (at) => next !== null && next <= at };
}

/** Forgets tombstones older than `before`. */
export async function pruneTombstones(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom('gc_byte_deletes').where('done_at', 'is not', null).where('done_at', '<', before).execute();
}
