// An upload's running digest, saved with its offset (issue 14): with several instances the next
// PATCH, or the closing PUT, may land on another one, which continues the digest from here
// instead of re-reading every byte received so far from storage. Null when no state was saved
// (one instance keeps it in memory; see registry/hash-states.ts).
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await sql`alter table uploads add column hash_state ${sql.raw(ctx.dialect === 'postgres' ? 'bytea' : 'blob')}`.execute(db);
}
