// Scheduled retention runs through the durable job runner: each policy with a schedule has one
// pending job for its next occurrence (key retention:<project id>:<time>, so instances that queue
// the same occurrence get one job, and the job runner's lease makes one instance run it). A run
// queues the next occurrence when it ends, computed from the cron; a job whose policy changed its
// schedule meanwhile (or lost it) does nothing. Missed occurrences (the server was down) run once
// at the next start.
import type { Kysely } from 'kysely';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { JobContext, JobRunner } from '../../jobs/runner.ts';
import { scheduledPolicies } from '../../metadata/retention.ts';
import type { Database } from '../../metadata/schema.ts';
import { CronError, nextRun, parseCron } from './cron.ts';
import type { RetentionRunner } from './runner.ts';
import type { RetentionSettings } from './settings.ts';

export const RETENTION_JOB = 'retention.scheduled';

export interface ScheduledRun {
  readonly projectId: number;
  readonly project: string;
  readonly schedule: string;
  /** The occurrence (epoch ms) this job is for. */
  readonly at: number;
}

export function scheduleKey(projectId: number, at: number): string {
  return `retention:${projectId}:${at}`;
}

export class RetentionScheduler {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: JobRunner,
    private readonly settings: RetentionSettings,
    private readonly runner: RetentionRunner,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers the job handler (once, when the feature is enabled). */
  register(): void {
    this.jobs.register(RETENTION_JOB, { run: (payload, ctx) => this.handle(payload as ScheduledRun, ctx), concurrency: 2, maxAttempts: 3 });
  }

  /** Queues the next occurrence of every scheduled policy, now and every ten minutes (a lost job is found again). */
  start(): void {
    const sweep = () => void this.ensureAll().catch(this.onError);
    sweep();
    this.timer = setInterval(sweep, 10 * 60_000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  async ensureAll(): Promise<void> {
    for (const p of await scheduledPolicies(this.db)) await this.ensure(p.project_id, p.project, p.schedule);
  }

  /** Queues the first occurrence after `after` (default now); returns it, or undefined without a schedule. */
  async ensure(projectId: number, project: string, schedule: string | null, after = this.now()): Promise<number | undefined> {
    if (!schedule) return undefined;
    let at: number | undefined;
    try {
      at = nextRun(parseCron(schedule), after);
    } catch (error) {
      if (error instanceof CronError) return undefined; // refused when saved; a hand-edited row is ignored
      throw error;
    }
    if (at === undefined) return undefined;
    const payload: ScheduledRun = { projectId, project, schedule, at };
    await this.jobs.enqueue(RETENTION_JOB, payload, { key: scheduleKey(projectId, at), runAfter: at });
    return at;
  }

  private async handle(job: ScheduledRun, ctx: JobContext): Promise<unknown> {
    const project = await this.db.selectFrom('projects').select(['id', 'name', 'visibility', 'description', 'owner_user_id', 'created_at', 'verified', 'sponsored'])
      .where('id', '=', job.projectId).executeTakeFirst();
    if (!project) return { skipped: 'the project no longer exists' };
    const stored = await this.settings.of(project.id);
    if (stored.policy.schedule !== job.schedule) return { skipped: `the schedule changed (now ${stored.policy.schedule ?? 'none'})` };
    try {
      const result = await this.runner.run({ ...project, id: Number(project.id) }, stored.policy, {
        dryRun: false, trigger: 'schedule', actor: SYSTEM, signal: ctx.signal, progress: (t) => ctx.progress(t),
      });
      return { run: result.id, text: result.text, skipped: result.skipped.length, ...(result.error ? { error: result.error } : {}) };
    } finally {
      // The next occurrence, whatever this one's outcome: a failing run must not end the schedule.
      if (!ctx.signal.aborted) await this.ensure(project.id, project.name, job.schedule, Math.max(this.now(), job.at)).catch(this.onError);
    }
  }
}
