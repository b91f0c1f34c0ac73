// Webhook safety: the delivery log keeps the size of each answer instead of its first KiB. A log
// that shows what a receiver answered lets whoever can aim a webhook read internal services, so
// the bodies already logged are cleared too.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  /** Bytes of the answer's body that were read; null when there was no answer. */
  await db.schema.alterTable('webhook_attempts').addColumn('response_bytes', 'integer').execute();
  /** 1 when reading stopped at the limit: the answer was longer than response_bytes. */
  await db.schema.alterTable('webhook_attempts').addColumn('response_truncated', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // The column stays (instances not yet upgraded still write it during a rolling upgrade) but holds nothing.
  await sql`update webhook_attempts set response = null where response is not null`.execute(db);
}
