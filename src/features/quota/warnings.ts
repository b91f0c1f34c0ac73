// The 80% warning: when a committed change (a blob, a mount, a manifest) takes a project with a
// quota to 80% of it or more, one quota.warning event goes to the bus (webhooks deliver it) and a
// warning to the log. It is sent once: projects.quota_warned_at marks it, with a compare-and-set,
// so two instances never both send it; it is re-armed when usage is seen below 80% again (after
// deletes, or a larger quota).
import type { Kysely } from 'kysely';
import type { EventActor, RegistryEvent } from '../../core/events.ts';
import { projectOf } from '../../core/reference.ts';
import { clearQuotaWarned, findProjectQuota, markQuotaWarned, projectUsage } from '../../metadata/quota.ts';
import type { Database } from '../../metadata/schema.ts';
import type { EventBus } from '../../registry/event-bus.ts';
import type { FeatureLog } from '../feature.ts';
import type { QuotaCache } from './gate.ts';
import { formatSize } from './size.ts';

export const WARN_RATIO = 0.8;
/** At most one evaluation a second per project (the last change of a burst is always evaluated). */
const EVERY_MS = 1000;

interface Trigger {
  readonly repository: string;
  readonly actor: EventActor;
}

export class QuotaWarnings {
  /** Projects being evaluated, and whether another evaluation was asked for meanwhile. */
  private readonly running = new Map<string, { again?: Trigger }>();
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly quotas: QuotaCache,
    private readonly log: FeatureLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** Re-evaluates after the committed change this event reports (a no-op for projects without a quota). */
  observe(e: RegistryEvent): void {
    if (e.type !== 'blob.push' && e.type !== 'mount' && e.type !== 'push' && e.type !== 'delete') return;
    this.schedule(projectOf(e.repository), { repository: e.repository, actor: e.actor });
  }

  /** Evaluates a project now (after its quota changed); the trigger names no repository then. */
  schedule(project: string, trigger: Trigger = { repository: project, actor: { name: 'system' } }): void {
    const current = this.running.get(project);
    if (current) {
      current.again = trigger;
      return;
    }
    const state: { again?: Trigger } = {};
    this.running.set(project, state);
    void (async () => {
      let next: Trigger | undefined = trigger;
      while (next) {
        const started = this.now();
        try {
          await this.evaluate(project, next);
        } catch (error) {
          this.log.error({ err: error, project }, 'quota warning check failed');
        }
        // Counting usage reads all of the project's rows: a burst of pushes is checked once a second.
        if (state.again) await new Promise((r) => setTimeout(r, Math.max(0, started + EVERY_MS - this.now())));
        next = state.again;
        delete state.again;
      }
      this.running.delete(project);
      if (!this.running.size) for (const f of this.idle) f();
    })();
  }

  /** Resolves once no evaluation runs (tests, shutdown). */
  async settled(): Promise<void> {
    if (!this.running.size) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.idle.delete(done);
        resolve();
      };
      this.idle.add(done);
    });
  }

  private async evaluate(project: string, trigger: Trigger): Promise<void> {
    const limited = await this.quotas.limitOf(project);
    if (!limited) {
      // No quota (any more): nothing to warn about; re-arm for a quota set later.
      const row = await findProjectQuota(this.db, project);
      if (row && row.warnedAt !== null) await clearQuotaWarned(this.db, row.id);
      return;
    }
    const row = await findProjectQuota(this.db, project);
    if (!row || row.quotaBytes === null) return;
    const limit = row.quotaBytes;
    const used = (await projectUsage(this.db, project)).total;
    const percent = limit > 0 ? Math.round((used / limit) * 1000) / 10 : 100;
    if (limit > 0 && used < limit * WARN_RATIO) {
      if (row.warnedAt !== null) await clearQuotaWarned(this.db, row.id);
      return;
    }
    if (row.warnedAt !== null) return;
    if (!(await markQuotaWarned(this.db, row.id, this.now()))) return;
    this.log.warn({ project, usedBytes: used, limitBytes: limit, percent }, `project ${project} uses ${formatSize(used)} of its ${formatSize(limit)} quota (${percent}%)`);
    this.bus.emit({
      type: 'quota.warning', repository: trigger.repository, project, limitBytes: limit, usedBytes: used, percent,
      at: new Date(this.now()), actor: trigger.actor,
    });
  }
}
