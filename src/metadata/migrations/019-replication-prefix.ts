// Replication rules (features/replication, docs/replication.md): a destination prefix (Harbor's
// destination namespace: it replaces the first path component of each name on the target, or
// names the Berth project a pull rule fills), and whether a rule is enabled (a disabled rule is
// not run on push or on its schedule; it keeps its history and can still be run by hand).
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('replication_rules').addColumn('dest_prefix', 'text').execute();
  await db.schema.alterTable('replication_rules').addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1)).execute();
}
