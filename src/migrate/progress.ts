// Progress of a migration on stderr: a bar rewritten in place on a terminal, and otherwise a
// plain line every few seconds (logs, CI), plus one at the end of each phase.
import { formatBytes } from '../core/sizes.ts';

export interface MigrateProgress {
  readonly phase: 'blobs' | 'rows';
  readonly blobsDone: number;
  readonly blobsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly rowsDone: number;
  readonly rowsTotal: number;
  /** The table being copied (rows phase). */
  readonly table?: string;
}

export interface ProgressSink {
  update(p: MigrateProgress): void;
  /** The phase is over: the last state is printed in full. */
  endPhase(p: MigrateProgress): void;
}

export interface ProgressOptions {
  readonly tty: boolean;
  /** Plain lines: at most one per this many ms. */
  readonly intervalMs: number;
  readonly write: (text: string) => void;
  readonly now?: () => number;
}

function bar(done: number, total: number, width = 28): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function rate(bytes: number, ms: number): string {
  return ms > 0 ? `${formatBytes(Math.round((bytes / ms) * 1000))}/s` : '-';
}

/** One line describing p (without a line break). */
export function describe(p: MigrateProgress, elapsedMs: number, withBar: boolean): string {
  if (p.phase === 'blobs') {
    const pct = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 100;
    return `migrate blobs ${withBar ? `${bar(p.bytesDone, p.bytesTotal)} ` : ''}${p.blobsDone}/${p.blobsTotal} blobs, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} (${pct}%), ${rate(p.bytesDone, elapsedMs)}`;
  }
  return `migrate rows  ${withBar ? `${bar(p.rowsDone, p.rowsTotal)} ` : ''}${p.rowsDone}/${p.rowsTotal} rows${p.table ? ` (${p.table})` : ''}`;
}

export function progressReporter(options: ProgressOptions): ProgressSink {
  const now = options.now ?? Date.now;
  const started = new Map<string, number>();
  let lastAt = Number.NEGATIVE_INFINITY;
  let shown = '';
  const since = (p: MigrateProgress) => {
    if (!started.has(p.phase)) started.set(p.phase, now());
    return now() - started.get(p.phase)!;
  };
  return {
    update(p) {
      const elapsed = since(p);
      const t = now();
      if (options.tty) {
        if (t - lastAt < 100) return;
        lastAt = t;
        const line = describe(p, elapsed, true);
        if (line !== shown) options.write(`\r${line.padEnd(shown.length)}`);
        shown = line;
        return;
      }
      // The end of a phase is printed by endPhase, once.
      if (p.phase === 'blobs' ? p.blobsDone === p.blobsTotal : p.rowsDone === p.rowsTotal) return;
      if (t - lastAt < options.intervalMs) return;
      lastAt = t;
      options.write(`${describe(p, elapsed, false)}\n`);
    },
    endPhase(p) {
      const line = describe(p, since(p), options.tty);
      options.write(options.tty ? `\r${line.padEnd(shown.length)}\n` : `${line}\n`);
      shown = '';
      lastAt = now();
    },
  };
}
