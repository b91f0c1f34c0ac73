// berth migrate --to CONFIG: copies an embedded registry (SQLite plus the filesystem) into the
// registry CONFIG describes (normally PostgreSQL plus S3). In order:
//   1. open the source exclusively (a running server is refused) and the target (its schema is
//      migrated to the same version);
//   2. check the target: empty, or marked as an earlier, unfinished copy of this same source;
//      then mark it;
//   3. copy every blob, streamed, and verify each one on the far side (already-present blobs
//      are verified and skipped: this is how an interrupted run resumes);
//   4. copy the metadata rows of every table in one transaction, and advance the sequences.
// The blobs go first, so the target's database never names bytes the target does not hold.
import { resolve, join } from 'node:path';
import type { Config } from '../core/config.ts';
import { copyBlobs, type BlobCopyResult } from './blobs.ts';
import { readMarker, writeMarker, MARKER_PATH } from './marker.ts';
import type { MigrateProgress, ProgressSink } from './progress.ts';
import { copyRows } from './rows.ts';
import { MigrateError, openSource } from './source.ts';
import { planTables } from './tables.ts';
import { openTarget } from './target.ts';

export interface MigrateOptions {
  readonly source: Config;
  readonly target: Config;
  /** Blobs copied at the same time. */
  readonly concurrency: number;
  readonly progress: ProgressSink;
  /** Check everything and report the plan; write nothing. */
  readonly dryRun?: boolean;
  /** Test seam (see blobs.ts). */
  readonly afterCommit?: (path: string) => Promise<void>;
}

export interface MigrateSummary {
  readonly source: string;
  readonly targetStorage: string;
  readonly targetDatabase: string;
  readonly dryRun: boolean;
  /** A marker of an earlier run of this source was found. */
  readonly resumed: boolean;
  readonly blobs: BlobCopyResult & { total: number; bytesTotal: number };
  /** Rows per copied table (the source's counts). */
  readonly tables: { table: string; rows: number }[];
  /** The rows were already in the target (a run after a finished migration): not copied again. */
  readonly rowsAlreadyCopied: boolean;
  readonly rowsMs: number;
  readonly sequences: number;
  readonly excluded: readonly { table: string; reason: string }[];
  readonly ms: number;
}

function sameEmbeddedPlace(a: Config, b: Config): boolean {
  const dir = (c: Config) => resolve(c.storage.dataDir);
  const sameDb = b.database.dialect === 'sqlite' && join(dir(a), 'berth.db') === join(dir(b), 'berth.db');
  const sameStorage = b.storage.driver === 'filesystem' && dir(a) === dir(b);
  return sameDb || sameStorage;
}

export async function migrate(options: MigrateOptions): Promise<MigrateSummary> {
  const started = Date.now();
  if (sameEmbeddedPlace(options.source, options.target)) {
    throw new MigrateError('the target configuration uses the source\'s own data directory', 'Give --to a configuration with another database and storage (e.g. database.dialect: postgres and storage.driver: s3).');
  }
  const source = await openSource(options.source);
  try {
    const plan = planTables(source.tables(), source.virtualTables(), source.references());
    if (plan.unknown.length) {
      throw new MigrateError(`berth migrate does not know the table${plan.unknown.length === 1 ? '' : 's'} ${plan.unknown.join(', ')} of the schema, so it would not copy ${plan.unknown.length === 1 ? 'it' : 'them'}`,
        'This is a bug of this Berth version: src/migrate/tables.ts must list every table as copied or excluded. Nothing was changed.');
    }
    const target = await openTarget(options.target);
    try {
      return await migrateInto(source, target, plan, options, started);
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

async function migrateInto(source: Awaited<ReturnType<typeof openSource>>, target: Awaited<ReturnType<typeof openTarget>>, plan: ReturnType<typeof planTables>, options: MigrateOptions, started: number): Promise<MigrateSummary> {
  const sourceVersions = source.migrations();
  const targetVersions = await target.migrations();
  if (sourceVersions.join() !== targetVersions.join()) {
    throw new MigrateError(`the schema versions differ: the source has ${sourceVersions.at(-1) ?? 'none'}, the target ${targetVersions.at(-1) ?? 'none'}`, 'Run the same Berth version on both sides.');
  }
  const targetTables = new Set(await target.tables());
  const absent = plan.copy.filter((t) => !targetTables.has(t));
  if (absent.length) throw new MigrateError(`the target database has no table ${absent.join(', ')}`, 'Run the same Berth version on both sides.');

  // Is the target empty, or an unfinished copy of this source?
  const sourceCounts = new Map(plan.copy.map((t) => [t, source.count(t)]));
  const targetCounts = new Map<string, number>();
  for (const t of plan.copy) targetCounts.set(t, await target.count(t));
  const withRows = plan.copy.filter((t) => targetCounts.get(t)! > 0);
  const marker = await readMarker(target.storage);
  let resumed = false;
  if (!marker) {
    let stored: string | undefined;
    for (const prefix of ['blobs/', 'uploads/']) {
      for await (const path of target.storage.list(prefix)) {
        stored = path;
        break;
      }
      if (stored) break;
    }
    if (withRows.length || stored) {
      throw new MigrateError(`the target is not empty: ${withRows.length ? `its database has rows (${withRows.slice(0, 5).map((t) => `${t}: ${targetCounts.get(t)}`).join(', ')})` : ''}${withRows.length && stored ? ' and ' : ''}${stored ? `its storage holds ${target.locate(stored)}` : ''}`,
        `berth migrate fills an empty registry, or resumes its own unfinished copy of the same source (marked by ${MARKER_PATH} in the target storage). Point --to at an empty database and an empty bucket (or another storage.s3.prefix), and do not start berth serve on the target before the migration has finished.`);
    }
  } else if (marker.sourceId !== source.id) {
    throw new MigrateError(`the target holds a migration of another registry (${marker.source}, started ${marker.startedAt}), not of ${source.dataDir}`,
      'Point --to at an empty database and bucket, or run berth migrate with the --data of that other registry.');
  } else {
    resumed = true;
  }
  // The rows go in one transaction: all there (a finished run) or none (interrupted).
  const rowsAlreadyCopied = withRows.length > 0;
  if (rowsAlreadyCopied) {
    const differs = plan.copy.filter((t) => targetCounts.get(t) !== sourceCounts.get(t));
    if (differs.length) {
      throw new MigrateError(`the target's database was filled by an earlier run, but differs from the source now (${differs.slice(0, 5).map((t) => `${t}: ${sourceCounts.get(t)} in the source, ${targetCounts.get(t)} in the target`).join('; ')})`,
        'The source changed after that migration (or the target was used). To copy it again, start with an empty database and bucket.');
    }
  }

  const blobs = source.blobs();
  const bytesTotal = blobs.reduce((n, b) => n + b.size, 0);
  const rowsTotal = [...sourceCounts.values()].reduce((a, b) => a + b, 0);
  const tables = plan.copy.map((t) => ({ table: t, rows: sourceCounts.get(t)! }));
  let state: MigrateProgress = { phase: 'blobs', blobsDone: 0, blobsTotal: blobs.length, bytesDone: 0, bytesTotal, rowsDone: 0, rowsTotal };
  if (options.dryRun) {
    return {
      source: source.dataDir, targetStorage: target.describeStorage, targetDatabase: target.describeDatabase, dryRun: true, resumed,
      blobs: { copied: 0, skipped: 0, bytesCopied: 0, bytesSkipped: 0, ms: 0, total: blobs.length, bytesTotal },
      tables, rowsAlreadyCopied, rowsMs: 0, sequences: 0, excluded: plan.excluded, ms: Date.now() - started,
    };
  }
  const startedAt = marker?.startedAt ?? new Date().toISOString();
  if (!marker) await writeMarker(target.storage, { sourceId: source.id, source: source.dataDir, startedAt });

  options.progress.update(state);
  const blobResult = await copyBlobs(blobs, {
    source: source.storage, target: target.storage, locate: target.locate, concurrency: options.concurrency,
    ...(options.afterCommit ? { afterCommit: options.afterCommit } : {}),
    onProgress: ({ blobs: done, bytes }) => {
      state = { ...state, blobsDone: done, bytesDone: bytes };
      options.progress.update(state);
    },
  });
  options.progress.endPhase(state);

  let rowsMs = 0;
  let sequences = 0;
  state = { ...state, phase: 'rows', rowsDone: rowsAlreadyCopied ? rowsTotal : 0 };
  if (!rowsAlreadyCopied) {
    options.progress.update(state);
    const rows = await copyRows(source, target, plan.copy, (done, table) => {
      state = { ...state, rowsDone: done, table };
      options.progress.update(state);
    });
    rowsMs = rows.ms;
    sequences = rows.sequences;
    state = { ...state, table: undefined };
  }
  options.progress.endPhase(state);
  await writeMarker(target.storage, { sourceId: source.id, source: source.dataDir, startedAt, finishedAt: new Date().toISOString() });
  return {
    source: source.dataDir, targetStorage: target.describeStorage, targetDatabase: target.describeDatabase, dryRun: false, resumed,
    blobs: { ...blobResult, total: blobs.length, bytesTotal }, tables, rowsAlreadyCopied, rowsMs, sequences, excluded: plan.excluded, ms: Date.now() - started,
  };
}
