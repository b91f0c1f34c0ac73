// berth gc [--dry-run] [--json], berth gc status: online garbage collection (docs/gc.md).
// Offline (--data/--config) the pass runs in this process; with --url it runs on the server.
import type { Command } from 'commander';
import { formatBytes } from '../../core/sizes.ts';
import type { GcProgressView, GcSummaryView } from '../management/types.ts';
import { printJson, run, say, when, withCommon, type CommonFlags } from './common.ts';

const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';

/** A progress bar on a terminal (rewritten in place), or a line per phase otherwise; on stderr. */
function progressBar(): { update(p: GcProgressView): void; end(): void } {
  const tty = process.stderr.isTTY;
  let shown = '';
  let phase = '';
  return {
    update(p) {
      if (!tty) {
        if (p.phase !== phase) process.stderr.write(`gc: reviewing ${p.phase}...\n`);
        phase = p.phase;
        return;
      }
      const width = 30;
      const filled = p.total > 0 ? Math.min(width, Math.round((p.done / p.total) * width)) : 0;
      const line = `gc ${p.phase.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}`;
      if (line !== shown) process.stderr.write(`\r${line}`);
      shown = line;
    },
    end() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}

function printSummary(s: GcSummaryView): void {
  const verb = s.dryRun ? 'would free' : 'freed';
  say(`${verb} ${s.manifests} manifest${s.manifests === 1 ? '' : 's'}, ${s.blobs} blob${s.blobs === 1 ? '' : 's'}, ${formatBytes(s.bytes)}`
    + `${s.uploads ? `; ${s.dryRun ? 'would remove' : 'removed'} ${s.uploads} stale upload${s.uploads === 1 ? '' : 's'}` : ''}${s.tempFiles ? ` and ${s.tempFiles} temp file${s.tempFiles === 1 ? '' : 's'}` : ''}`
    + ` (${s.reviewed} candidate${s.reviewed === 1 ? '' : 's'} reviewed in ${(s.durationMs / 1000).toFixed(1)} s)`);
  if (!s.dryRun && s.bytesRemoved) say(`removed ${s.objectsRemoved} object${s.objectsRemoved === 1 ? '' : 's'} (${formatBytes(s.bytesRemoved)}) from storage`);
  if (s.pendingBytes) say(`${formatBytes(s.pendingBytes)} of collected bytes are still to be removed from storage (after gc.byteDeleteDelaySeconds, by the server's worker or the next berth gc)`);
  const waiting = s.waiting.manifests + s.waiting.blobs;
  if (waiting) {
    say(`${waiting} candidate${waiting === 1 ? ' is' : 's are'} within the review delay (recent uploads, mounts and lookups are protected while a push may need them); the next is due ${s.waiting.nextDueAt === null ? 'later' : when(new Date(s.waiting.nextDueAt).toISOString())}`);
  }
}

export function registerGcCommands(program: Command): void {
  const gc = withCommon(program.command('gc'))
    .description('garbage collection: review the candidates that are due and free what nothing references (no read-only window; docs/gc.md)')
    .option('--dry-run', 'report what a pass would collect now, and change nothing')
    .option('--timeout <seconds>', 'with --url: how long to wait for the pass', '3600')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (flags: CommonFlags & { dryRun?: boolean; timeout: string }) => run(flags, async (m) => {
      const bar = progressBar();
      const summary = await m.gc({ ...(flags.dryRun ? { dryRun: true } : {}), timeoutMs: Number(flags.timeout) * 1000 }, (p) => bar.update(p));
      bar.end();
      if (flags.json) return printJson(summary);
      printSummary(summary);
    }));

  withCommon(gc.command('status'))
    .description('the last run, the queues, bytes freed so far and the next run')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (flags: CommonFlags) => run(flags, async (m) => {
      const s = await m.gcStatus();
      if (flags.json) return printJson(s);
      say(`garbage collection: ${s.enabled ? `continuous, every ${s.intervalSeconds} s` : 'worker off (berth gc runs a pass)'}; review delay ${s.reviewDelaySeconds} s`);
      say(`last run: ${s.lastRun ? `${when(s.lastRun.startedAt)} (${s.lastRun.trigger}${s.lastRun.error ? `, failed: ${s.lastRun.error}` : ''})` : 'never'}`);
      if (s.lastCollection) say(`last collection: ${when(s.lastCollection.startedAt)}: ${s.lastCollection.manifests} manifests, ${s.lastCollection.blobs} blobs, ${formatBytes(s.lastCollection.bytes)}`);
      say(`queued: ${s.queue.manifests} manifest and ${s.queue.blobs} blob candidates (${s.waiting.manifests + s.waiting.blobs} not yet due), ${s.queue.byteDeletes} byte deletions`);
      say(`freed so far: ${formatBytes(s.bytesFreed)}; next run: ${s.nextRunAt ? when(s.nextRunAt) : 'none scheduled'}`);
    }));
}
