// Job rows (src/jobs/): enqueue with a dedup key, claim under a lease (compare-and-set), renew,
// finish, retry, and prune.
import type { Executor } from './executor.ts';
import type { JobState } from './schema.ts';

export interface JobRow {
  readonly id: number;
  readonly kind: string;
  readonly key: string | null;
  readonly payload: string;
  readonly state: JobState;
  readonly priority: number;
  readonly attempts: number;
  readonly run_after: number;
  readonly lease_owner: string | null;
  readonly lease_until: number;
  readonly progress: string | null;
  readonly last_error: string | null;
  readonly result: string | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly finished_at: number | null;
}

/** The open (pending or running) job with this key, if any. */
export async function findOpenJob(db: Executor, key: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('key', '=', key).where('state', 'in', ['pending', 'running']).executeTakeFirst() as Promise<JobRow | undefined>;
}

export async function findJob(db: Executor, id: number): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst() as Promise<JobRow | undefined>;
}

export async function insertJob(db: Executor, j: { kind: string; key: string | null; payload: string; priority: number; runAfter: number }, now: number): Promise<number> {
  const r = await db.insertInto('jobs').values({
    kind: j.kind, key: j.key, payload: j.payload, state: 'pending', priority: j.priority, attempts: 0, run_after: j.runAfter,
    lease_owner: null, lease_until: 0, progress: null, last_error: null, result: null, created_at: now, updated_at: now, finished_at: null,
  }).returning('id').executeTakeFirstOrThrow();
  return Number(r.id);
}

/**
 * Jobs that may run now: pending and due, or running under a lease that expired (its instance
 * died); the kinds given, best priority and oldest first.
 */
export async function dueJobs(db: Executor, kinds: readonly string[], now: number, limit: number): Promise<JobRow[]> {
  if (!kinds.length) return [];
  return db.selectFrom('jobs').selectAll()
    .where('kind', 'in', [...kinds])
    .where((eb) => eb.or([
      eb.and([eb('state', '=', 'pending'), eb('run_after', '<=', now)]),
      eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now)]),
    ]))
    .orderBy('priority').orderBy('id').limit(limit).execute() as Promise<JobRow[]>;
}

/** Takes the job if nobody else did since it was read (compare-and-set on state and lease). */
export async function claimJob(db: Executor, job: JobRow, owner: string, now: number, until: number): Promise<boolean> {
  const r = await db.updateTable('jobs')
    .set({ state: 'running', lease_owner: owner, lease_until: until, attempts: job.attempts + 1, updated_at: now })
    .where('id', '=', job.id).where('state', '=', job.state).where('lease_until', '=', job.lease_until).where('attempts', '=', job.attempts)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Extends the lease (and notes progress) while this owner still holds it. */
export async function renewJob(db: Executor, id: number, owner: string, now: number, until: number, progress?: string): Promise<boolean> {
  const r = await db.updateTable('jobs')
    .set({ lease_until: until, updated_at: now, ...(progress !== undefined ? { progress } : {}) })
    .where('id', '=', id).where('lease_owner', '=', owner).where('state', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function finishJob(db: Executor, id: number, owner: string, now: number, result: string | null): Promise<void> {
  await db.updateTable('jobs').set({ state: 'done', finished_at: now, updated_at: now, lease_until: 0, result, last_error: null })
    .where('id', '=', id).where('lease_owner', '=', owner).execute();
}

/** A failed attempt: again at `retryAt`, or failed for good when retryAt is undefined. */
export async function failJob(db: Executor, id: number, owner: string, now: number, error: string, retryAt?: number): Promise<void> {
  await db.updateTable('jobs').set(retryAt === undefined
    ? { state: 'failed', finished_at: now, updated_at: now, lease_until: 0, last_error: error }
    : { state: 'pending', run_after: retryAt, updated_at: now, lease_until: 0, last_error: error })
    .where('id', '=', id).where('lease_owner', '=', owner).execute();
}

/** Fails a job for good if nobody took it since it was read (compare-and-set, as claimJob). */
export async function abandonJob(db: Executor, job: JobRow, now: number, error: string): Promise<boolean> {
  const r = await db.updateTable('jobs').set({ state: 'failed', finished_at: now, updated_at: now, lease_until: 0, last_error: error })
    .where('id', '=', job.id).where('state', '=', job.state).where('lease_until', '=', job.lease_until).where('attempts', '=', job.attempts)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Frees every lease held under this owner name (a restarted instance's predecessor's). */
export async function releaseJobsOf(db: Executor, owner: string): Promise<void> {
  await db.updateTable('jobs').set({ lease_until: 0 }).where('lease_owner', '=', owner).where('state', '=', 'running').execute();
}

/** Forgets finished jobs older than `before`. */
export async function pruneJobs(db: Executor, before: number): Promise<number> {
  const r = await db.deleteFrom('jobs').where('state', 'in', ['done', 'failed']).where('finished_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Counts by state, for a kind (status pages and tests). */
export async function countJobs(db: Executor, kind: string): Promise<Record<JobState, number>> {
  const rows = await db.selectFrom('jobs').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('kind', '=', kind).groupBy('state').execute();
  const out: Record<JobState, number> = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const r of rows) out[r.state as JobState] = Number(r.n);
  return out;
}
