// The retention and tag history commands offline, on the data directory (or PostgreSQL and the
// store) a server uses, as the local system. Deletes and rollbacks go through a registry in this
// process with the transaction hooks a server has (the webhook outbox, which a running server's
// worker delivers; immutability; the retention guard), and its events reach the audit log. A
// schedule set here is queued as a job for the server's job runner.
import type { Kysely } from 'kysely';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { Config } from '../../core/config.ts';
import { RegistryError } from '../../core/errors.ts';
import { enableAudit, type AuditLog } from '../../features/audit/index.ts';
import { enforceImmutability } from '../../features/immutability/enforce.ts';
import { retentionServices, type RetentionServices } from '../../features/retention/index.ts';
import { PolicyError, parsePolicy } from '../../features/retention/rules.ts';
import { RetentionScheduler } from '../../features/retention/schedule.ts';
import { policyView, runSummary } from '../../features/retention/views.ts';
import { Outbox } from '../../features/webhooks/outbox.ts';
import { openStorageFor, registryLimitsOf } from '../../http/stores.ts';
import { JobRunner } from '../../jobs/runner.ts';
import { listRetentionRuns } from '../../metadata/retention.ts';
import type { Database } from '../../metadata/schema.ts';
import { EventBus } from '../../registry/event-bus.ts';
import { Registry } from '../../registry/registry.ts';
import type { StorageDriver } from '../../storage/driver.ts';
import type { RetentionOps } from './types.ts';

function invalid(error: unknown): never {
  if (error instanceof PolicyError) throw new RegistryError('INVALID_REQUEST', { problems: error.problems }, { message: `invalid retention policy: ${error.message}` });
  throw error;
}

export function localRetentionOps(db: Kysely<Database>, config: Config, record: ChangeRecorder): RetentionOps & { close(): Promise<void> } {
  let opened: { storage: StorageDriver; audit: AuditLog; services: RetentionServices } | undefined;
  const open = (): RetentionServices => {
    if (opened) return opened.services;
    const storage = openStorageFor(config);
    const bus = new EventBus();
    const outbox = new Outbox(db, (e) => process.stderr.write(`berth: warning: webhook outbox: ${(e as Error).message}\n`));
    const hooks: { inTransaction?: (trx: Parameters<typeof enforceImmutability>[0], events: Parameters<typeof enforceImmutability>[1]) => Promise<void> } = {};
    const registry = new Registry({
      db, storage, bus, limits: registryLimitsOf(config),
      inTransaction: async (trx, events) => {
        await outbox.inTransaction(trx, events);
        await enforceImmutability(trx, events);
        await hooks.inTransaction?.(trx, events);
      },
    });
    const audit = enableAudit(db, bus, (e) => process.stderr.write(`berth: warning: audit log: ${(e as Error).message}\n`));
    const services = retentionServices({ db, registry, record });
    hooks.inTransaction = services.guard.inTransaction;
    // Not started: it only queues the schedule's next run for the server's job runner.
    const scheduler = new RetentionScheduler(db, new JobRunner(db, { pollMs: 1000, leaseMs: 60_000, keepMs: 7 * 86_400_000, onError: () => {} }), services.settings, services.runner, () => {});
    services.settings.onSaved = async (projectId, project, schedule) => {
      await scheduler.ensure(projectId, project, schedule);
    };
    opened = { storage, audit, services };
    return services;
  };

  return {
    async retentionSet(project, source) {
      const s = open();
      let policy;
      try {
        policy = parsePolicy(source);
      } catch (error) {
        invalid(error);
      }
      const saved = await s.settings.set(SYSTEM, project, policy, source);
      return policyView(saved.project.name, saved, s.settings.nextRuns(saved.policy.schedule), true);
    },
    async retentionShow(project, runs) {
      const s = open();
      const access = await s.settings.access(SYSTEM, project);
      const stored = await s.settings.of(access.project.id);
      return {
        policy: policyView(access.project.name, stored, s.settings.nextRuns(stored.policy.schedule), true),
        runs: (await listRetentionRuns(db, access.project.id, runs)).map(runSummary),
      };
    },
    async retentionPreview(project) {
      const s = open();
      const access = await s.settings.access(SYSTEM, project);
      return s.runner.preview(access.project, (await s.settings.of(access.project.id)).policy);
    },
    async retentionRun(project, options, progress) {
      const s = open();
      const p = await s.settings.requireChange(SYSTEM, project);
      const stored = await s.settings.of(p.id);
      return s.runner.run(p, stored.policy, { dryRun: options.dryRun, trigger: 'cli', actor: SYSTEM, progress });
    },
    tagHistory: (repository, tag, options) => open().history.history(repository, tag, options),
    async tagRollback(repository, tag, request) {
      const result = await open().rollback.rollback({ actor: { name: SYSTEM.name } }, repository, tag, request);
      if (result.moved) {
        await record({ action: 'tag.rollback', actor: SYSTEM, project: repository.slice(0, repository.indexOf('/')), target: `${repository}:${tag}`, detail: { from: result.from, to: result.to, ...(result.steps !== undefined ? { steps: result.steps } : {}) } });
      }
      return result;
    },
    async close() {
      if (!opened) return;
      await opened.audit.close();
      await opened.storage.close?.();
    },
  };
}
