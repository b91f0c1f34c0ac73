// A write transaction that is tried again when PostgreSQL aborts it for a deadlock or a
// serialization failure (40P01, 40001): with several instances, a push and the collector can
// lock rows in different orders, and PostgreSQL then ends one of them. Nothing of an aborted
// attempt is kept, so running it again is safe; SQLite (one writer) never aborts like this.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 4;

export async function transact<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
    }
  }
}
