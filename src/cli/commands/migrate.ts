// berth migrate --to CONFIG: copy this embedded registry into another one (docs/migrate.md).
// Thin: reads the two configurations, runs src/migrate (loaded only here), prints the summary.
import type { Command } from 'commander';
import { formatBytes } from '../../core/sizes.ts';
import { CliError } from '../cli-error.ts';
import { loadConfig } from '../config-loader.ts';
import { printJson, say } from './common.ts';

interface MigrateFlags {
  readonly to: string;
  readonly config?: string;
  readonly data?: string;
  readonly concurrency: string;
  readonly progressInterval: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/**
 * The environment for the source: the BERTH_* variables that describe where a registry's
 * database and storage are belong to the target in a migration (its secrets are normally given
 * that way), so the source, always embedded, ignores them.
 */
export function sourceEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('BERTH_DATABASE_') && k !== 'BERTH_STORAGE_DRIVER' && !k.startsWith('BERTH_STORAGE_S3_')));
}

function mib(bytes: number, ms: number): string {
  return ms > 0 ? `${((bytes / 1048576) / (ms / 1000)).toFixed(1)} MiB/s` : '-';
}

export function registerMigrateCommand(program: Command): void {
  program.command('migrate')
    .description('copy this embedded registry (SQLite + filesystem) into the registry a config describes, e.g. PostgreSQL + S3; resumable, every blob verified on the far side (docs/migrate.md)')
    .requiredOption('--to <file>', 'configuration file of the target registry (database.dialect: postgres, storage.driver: s3, ...)')
    .option('-d, --data <dir>', 'data directory of the source registry (as for berth serve)')
    .option('-c, --config <file>', 'configuration file of the source registry (as for berth serve)')
    .option('--concurrency <n>', 'blobs copied at the same time', '4')
    .option('--progress-interval <seconds>', 'when stderr is not a terminal: seconds between progress lines', '5')
    .option('--dry-run', 'check both sides and print what would be copied (and why some tables are not); copies nothing (the target schema and bucket are created as berth serve would)')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: MigrateFlags) => {
      const concurrency = Number(flags.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new CliError(`--concurrency ${flags.concurrency}: expected a whole number from 1 to 64`);
      const interval = Number(flags.progressInterval);
      if (!Number.isFinite(interval) || interval < 0) throw new CliError(`--progress-interval ${flags.progressInterval}: expected seconds, e.g. 5`);
      const source = loadConfig({ config: flags.config, data: flags.data }, sourceEnvironment(process.env));
      const target = loadConfig({ config: flags.to });
      const { migrate } = await import('../../migrate/run.ts');
      const { MigrateError } = await import('../../migrate/source.ts');
      const { progressReporter } = await import('../../migrate/progress.ts');
      const progress = progressReporter({ tty: Boolean(process.stderr.isTTY), intervalMs: interval * 1000, write: (t) => process.stderr.write(t) });
      let summary;
      try {
        summary = await migrate({ source, target, concurrency, progress, ...(flags.dryRun ? { dryRun: true } : {}) });
      } catch (error) {
        if (error instanceof MigrateError) throw new CliError(error.message, error.hint);
        throw error;
      }
      if (flags.json) return printJson(summary);
      const b = summary.blobs;
      const rows = summary.tables.reduce((n, t) => n + t.rows, 0);
      if (summary.dryRun) {
        say(`would copy ${summary.source} to ${summary.targetStorage} and ${summary.targetDatabase}${summary.resumed ? ' (the target holds an earlier run of this migration: its blobs are verified again, and skipped)' : ''}:`);
        say(`  ${b.total} blobs, ${formatBytes(b.bytesTotal)}; ${rows} rows in ${summary.tables.length} tables`);
      } else {
        say(`migrated ${summary.source} to ${summary.targetStorage} and ${summary.targetDatabase}${summary.resumed ? ' (resumed)' : ''} in ${(summary.ms / 1000).toFixed(1)} s`);
        say(`  blobs: ${b.copied} copied (${formatBytes(b.bytesCopied)}, ${mib(b.bytesCopied, b.ms)}), ${b.skipped} already there and verified (${formatBytes(b.bytesSkipped)}); all ${b.total} read back from the target and verified`);
        say(`  rows: ${summary.rowsAlreadyCopied ? `already copied by an earlier run (${rows} rows, counts checked)` : `${rows} copied in ${(summary.rowsMs / 1000).toFixed(1)} s; ${summary.sequences} id sequences advanced`}`);
      }
      for (const t of summary.tables) if (t.rows > 0) say(`    ${t.table.padEnd(22)} ${t.rows}`);
      const empty = summary.tables.filter((t) => t.rows === 0).map((t) => t.table);
      if (empty.length) say(`    (empty: ${empty.join(', ')})`);
      const derived = summary.excluded.filter((e) => e.reason.startsWith('SQLite'));
      const left = summary.excluded.filter((e) => !e.reason.startsWith('SQLite'));
      if (summary.dryRun) {
        say('  not copied:');
        for (const e of left) say(`    ${e.table}: ${e.reason}`);
        for (const e of derived) say(`    ${e.table}: ${e.reason}`);
      } else {
        say(`  not copied: ${left.map((e) => e.table).join(', ')}, and ${derived.length} SQLite-only tables (full-text indexes the target rebuilds, and bookkeeping; --dry-run says why for each)`);
      }
      if (!summary.dryRun) say(`Start the target with: berth serve --config ${flags.to}`);
    });
}
