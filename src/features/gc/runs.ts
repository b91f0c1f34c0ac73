// GC runs as rows (gc_runs): what each pass collected, for the API, the UI and `berth gc`.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';
import type { GcSummary } from './collector.ts';

export interface GcRunView {
  readonly id: number;
  readonly trigger: string;
  readonly dryRun: boolean;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly manifests: number;
  readonly blobs: number;
  readonly bytes: number;
  readonly uploads: number;
  readonly error: string | null;
}

/** Runs kept; older ones are pruned as new ones are recorded. */
const KEEP_RUNS = 1000;

export async function startRun(db: Kysely<Database>, trigger: string, dryRun: boolean, at: number): Promise<number> {
  const row = await db.insertInto('gc_runs').values({ trigger, dry_run: dryRun ? 1 : 0, started_at: at, finished_at: null, error: null }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function finishRun(db: Kysely<Database>, id: number, at: number, summary: GcSummary | undefined, error?: string): Promise<void> {
  await db.updateTable('gc_runs').set({
    finished_at: at,
    manifests: summary?.manifests ?? 0,
    blobs: summary?.blobs ?? 0,
    bytes: summary?.bytes ?? 0,
    uploads: (summary?.uploads ?? 0) + (summary?.tempFiles ?? 0),
    error: error ?? null,
  }).where('id', '=', id).execute();
  await db.deleteFrom('gc_runs').where('id', '<=', id - KEEP_RUNS).execute();
}

/** The last runs, newest first; with `collected`, only those that collected something or failed. */
export async function lastRuns(db: Kysely<Database>, limit: number, collected = false): Promise<GcRunView[]> {
  let q = db.selectFrom('gc_runs').selectAll().orderBy('id', 'desc').limit(limit);
  if (collected) q = q.where((eb) => eb.or([eb('manifests', '>', 0), eb('blobs', '>', 0), eb('uploads', '>', 0), eb('error', 'is not', null), eb('trigger', '!=', 'worker')]));
  const rows = await q.execute();
  return rows.map((r) => ({
    id: Number(r.id),
    trigger: r.trigger,
    dryRun: r.dry_run === 1,
    startedAt: new Date(Number(r.started_at)).toISOString(),
    finishedAt: r.finished_at === null ? null : new Date(Number(r.finished_at)).toISOString(),
    manifests: Number(r.manifests),
    blobs: Number(r.blobs),
    bytes: Number(r.bytes),
    uploads: Number(r.uploads),
    error: r.error,
  }));
}

/** Bytes collected by every recorded (non-dry) run. */
export async function bytesFreed(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('gc_runs').select(sql<number | null>`sum(bytes)`.as('b')).where('dry_run', '=', 0).executeTakeFirstOrThrow();
  return Number(row.b ?? 0);
}

/** Candidates queued (due or not) and byte deletions pending. */
export async function queueDepth(db: Kysely<Database>): Promise<{ manifests: number; blobs: number; bytes: number }> {
  const count = async (t: 'gc_manifest_reviews' | 'gc_blob_reviews') => Number((await db.selectFrom(t).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  const bytes = Number((await db.selectFrom('gc_byte_deletes').select(sql<number>`count(*)`.as('n')).where('done_at', 'is', null).executeTakeFirstOrThrow()).n);
  return { manifests: await count('gc_manifest_reviews'), blobs: await count('gc_blob_reviews'), bytes };
}
