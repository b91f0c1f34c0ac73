// The cron parser moved to core/cron.ts (retention and replication schedules share it).
export { CronError, nextRun, nextRuns, parseCron, type Cron } from '../../core/cron.ts';
