// Prometheus metrics of retention and rollback, served on /metrics with the core's.
import { Counter, Registry as PromRegistry } from 'prom-client';
import type { RunResult } from './runner.ts';

export class RetentionMetrics {
  readonly registry = new PromRegistry();
  readonly runs = new Counter({ name: 'berth_retention_runs_total', help: 'Retention runs, by trigger (manual, schedule, cli) and outcome (done, dry-run, stopped, failed)', labelNames: ['trigger', 'outcome'] as const, registers: [this.registry] });
  readonly tags = new Counter({ name: 'berth_retention_tags_deleted_total', help: 'Tags retention runs deleted', registers: [this.registry] });
  readonly manifests = new Counter({ name: 'berth_retention_manifests_deleted_total', help: 'Untagged manifests retention runs deleted', registers: [this.registry] });
  readonly bytes = new Counter({ name: 'berth_retention_bytes_released_total', help: 'Estimated bytes retention runs left unreferenced for GC', registers: [this.registry] });
  readonly skipped = new Counter({ name: 'berth_retention_skipped_total', help: 'Planned deletions a run did not make, by outcome (immutable, moved, gone, failed)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly rollbacks = new Counter({ name: 'berth_tag_rollbacks_total', help: 'Tags moved back by a rollback', registers: [this.registry] });

  ran(result: RunResult): void {
    this.runs.inc({ trigger: result.trigger, outcome: result.dryRun ? 'dry-run' : result.error ? 'stopped' : 'done' });
    if (result.dryRun) return;
    this.tags.inc(result.summary.tags);
    this.manifests.inc(result.summary.manifests);
    this.bytes.inc(result.summary.bytes);
    for (const s of result.skipped) this.skipped.inc({ outcome: s.outcome });
  }

  failed(trigger: string): void {
    this.runs.inc({ trigger, outcome: 'failed' });
  }
}
