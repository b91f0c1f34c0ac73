// Webhooks (DESIGN.md, Events): per-project and config-file endpoints, fed from an outbox written
// in the change's transaction and delivered at least once by a leased worker. The composition
// root passes `inTransaction` to the Registry and closes the feature on shutdown.
import type { Kysely } from 'kysely';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { Config } from '../../core/config.ts';
import type { RegistryEvent } from '../../core/events.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { Database } from '../../metadata/schema.ts';
import type { EventBus } from '../../registry/event-bus.ts';
import { syncConfigEndpoints } from './config-endpoints.ts';
import { Outbox } from './outbox.ts';
import { webhookServices, type WebhookService } from './service.ts';
import { SsrfGuard } from './ssrf.ts';
import { DeliveryWorker } from './worker.ts';

export type { WebhookService, WebhookView, DeliveryView, NewWebhookInput, WebhookPatchInput } from './service.ts';

export interface WebhooksOptions {
  readonly db: Kysely<Database>;
  readonly bus: EventBus;
  readonly config: Config['notifications'];
  /** host[:port] that clients pull from, for pull commands and payload URLs (known after listen). */
  readonly registryHost: () => string;
  readonly onError: (error: unknown) => void;
  /** Webhook changes, for the audit log. */
  readonly record?: ChangeRecorder;
}

export interface Webhooks {
  readonly inTransaction: (trx: Executor, events: readonly RegistryEvent[]) => Promise<void>;
  readonly services: WebhookService;
  /**
   * Starts delivering; config endpoints are synced in the background, so startup never waits on
   * it. `instance` (host:port) names this instance stably across restarts.
   */
  start(instance?: string): void;
  /** Stops the worker, letting attempts in flight finish for at most `waitMs`. */
  close(waitMs?: number): Promise<void>;
}

export function guardFor(config: Config['notifications']): SsrfGuard {
  return new SsrfGuard({ allowLoopback: config.allowLoopback, allowPrivateNetworks: config.allowPrivateNetworks, allowNetworks: config.allowNetworks });
}

export function enableWebhooks(o: WebhooksOptions): Webhooks {
  const guard = guardFor(o.config);
  const outbox = new Outbox(o.db, o.onError);
  const worker: DeliveryWorker = new DeliveryWorker(o.db, {
    maxAttempts: o.config.maxAttempts,
    maxAgeMs: o.config.maxAgeSeconds * 1000,
    initialBackoffMs: o.config.initialBackoffMs,
    maxBackoffMs: o.config.maxBackoffMs,
    timeoutMs: o.config.timeoutMs,
    pollIntervalMs: o.config.pollIntervalMs,
    concurrency: o.config.concurrency,
    logRetentionMs: o.config.deliveryLogDays * 86_400_000,
  }, guard, () => ({ registryHost: o.registryHost(), instanceId: worker.owner }), o.onError);
  const services = webhookServices(o.db, guard, () => {
    outbox.invalidate();
    worker.wake();
  }, o.record);
  const unsubscribe = [
    o.bus.on('pull', (e) => void outbox.recordPull(e).then((written) => { if (written) worker.wake(); })),
    // Scan events come from jobs, not from a change's transaction: written right after the fact too.
    o.bus.on('scan.completed', (e) => void outbox.recordPull(e).then((written) => { if (written) worker.wake(); })),
    o.bus.on('vulnerability.new', (e) => void outbox.recordPull(e).then((written) => { if (written) worker.wake(); })),
    // So do quota warnings (features/quota), after the change that crossed 80% was committed.
    o.bus.on('quota.warning', (e) => void outbox.recordPull(e).then((written) => { if (written) worker.wake(); })),
    // Committed changes that queued deliveries wake the worker at once: a push is delivered well
    // within a second. Deliveries queued by another instance are found by the worker's poll.
    o.bus.onAny((e) => { if (e.type !== 'pull' && outbox.queuedDeliveriesFor(e)) worker.wake(); }),
  ];
  let started = false;
  return {
    inTransaction: outbox.inTransaction,
    services,
    start(instance) {
      if (started) return;
      started = true;
      void syncConfigEndpoints(o.db, o.config.endpoints).catch(o.onError).finally(() => worker.start(instance));
    },
    async close(waitMs = 5000) {
      for (const u of unsubscribe) u();
      await worker.close(waitMs);
    },
  };
}
