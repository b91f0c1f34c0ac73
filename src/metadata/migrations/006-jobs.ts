// Durable jobs (src/jobs/): scans, re-matches after a feed import, and later GC, retention and
// replication. A row per job, with a lease so that with several instances each job runs once,
// and a key so that the same work is not queued twice while it is pending or running.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.createTable('jobs')
    .addColumn('id', ctx.dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('kind', 'text', (c) => c.notNull())
    /** Work with the same key is queued once while pending or running (null: never deduplicated). */
    .addColumn('key', 'text')
    /** JSON. */
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    /** pending, running, done or failed. */
    .addColumn('state', 'text', (c) => c.notNull())
    /** Lower runs first. */
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_after', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
    /** What the job last said about itself (progress) or why it failed. */
    .addColumn('progress', 'text')
    .addColumn('last_error', 'text')
    /** JSON the handler returned, for whoever waits on the job. */
    .addColumn('result', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['state', 'run_after']).execute();
  // The dedup guard: at most one open job per key, whichever instance enqueues it.
  await sql`create unique index jobs_open_key on jobs (key) where state in ('pending', 'running')`.execute(db);
  await db.schema.createIndex('jobs_finished').on('jobs').column('finished_at').execute();
}
