// Upload sessions shared by several instances (issue 14):
// - hash_state: the running digest, saved with the offset. The next PATCH, or the closing PUT,
//   may land on another instance, which continues the digest from here instead of re-reading
//   every byte received so far. Null when none was saved (one instance keeps it in memory; see
//   registry/hash-states.ts).
// - writer, writer_until: the lease of the request writing the upload now. Two requests at the
//   same offset on two instances would otherwise both write the bytes at that offset, and only
//   one of them would be recorded while the other's bytes could be what storage keeps.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await sql`alter table uploads add column hash_state ${sql.raw(ctx.dialect === 'postgres' ? 'bytea' : 'blob')}`.execute(db);
  await sql`alter table uploads add column writer text`.execute(db);
  await sql`alter table uploads add column writer_until bigint`.execute(db);
}
