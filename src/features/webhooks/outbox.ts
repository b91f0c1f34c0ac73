// The outbox: one delivery row per (event, webhook that wants it), written in the transaction
// of the change that caused the event, so a committed change always has its deliveries.
// Pulls have no transaction; they are written from a bus subscriber right after the fact.
import type { Kysely } from 'kysely';
import type { RegistryEvent } from '../../core/events.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { Database } from '../../metadata/schema.ts';
import { enabledWebhooks, insertDeliveries, type NewDelivery, type WebhookRow } from '../../metadata/webhooks.ts';
import { toStored } from './event.ts';
import { wants } from './options.ts';

/** How long pulls may use a cached list of webhooks (pulls are hot; pushes always read fresh). */
const PULL_CACHE_MS = 1000;

export class Outbox {
  private cached: { at: number; rows: WebhookRow[] } | undefined;
  /** Events whose transaction wrote deliveries; the same objects are emitted after the commit. */
  private readonly queued = new WeakSet<RegistryEvent>();

  constructor(private readonly db: Kysely<Database>, private readonly onError: (error: unknown) => void) {}

  /** The Registry's inTransaction hook. */
  readonly inTransaction = async (trx: Executor, events: readonly RegistryEvent[]): Promise<void> => {
    const stored = events.map(toStored).filter((e) => e !== undefined);
    if (!stored.length) return;
    const hooks = await enabledWebhooks(trx);
    if (!hooks.length) return;
    const rows = rowsFor(hooks, stored);
    if (!rows.length) return;
    await insertDeliveries(trx, rows, Date.now());
    for (const e of events) this.queued.add(e);
  };

  /**
   * Whether the transaction that produced this (committed, now emitted) event wrote deliveries.
   * The registry emits the very objects it passed to inTransaction, so the subscriber that wakes
   * the worker asks this first: a change no webhook wants costs the worker nothing, and
   * concurrent transactions cannot take each other's wake-up.
   */
  queuedDeliveriesFor(event: RegistryEvent): boolean {
    return this.queued.has(event);
  }

  /**
   * Records a pull (or another event that has no transaction of its own: a scan's) outside any
   * transaction, from a bus subscriber; failures are logged. Resolves to
   * the number of deliveries written, so the worker is only woken when there is work: pulls are
   * the hottest path and most have no webhook that wants them.
   */
  recordPull(event: RegistryEvent): Promise<number> {
    const now = Date.now();
    // The common case on the hottest path: a fresh cache says no webhook exists; nothing to build.
    if (this.cached && now - this.cached.at <= PULL_CACHE_MS && this.cached.rows.length === 0) return Promise.resolve(0);
    const stored = toStored(event);
    if (!stored) return Promise.resolve(0);
    return (async () => {
      if (!this.cached || now - this.cached.at > PULL_CACHE_MS) this.cached = { at: now, rows: await enabledWebhooks(this.db) };
      const rows = rowsFor(this.cached.rows, [stored]);
      if (!rows.length) return 0;
      await insertDeliveries(this.db, rows, now);
      return rows.length;
    })().catch((error: unknown) => {
      this.onError(error);
      return 0;
    });
  }

  /** Forgets the cached webhook list (after a local change through the API or CLI). */
  invalidate(): void {
    this.cached = undefined;
  }
}

function rowsFor(hooks: readonly WebhookRow[], events: readonly NonNullable<ReturnType<typeof toStored>>[]): NewDelivery[] {
  const rows: NewDelivery[] = [];
  for (const e of events) {
    for (const h of hooks) {
      if (wants(h, e)) rows.push({ webhookId: h.id, eventId: e.id, eventType: e.type, repository: e.repository, event: JSON.stringify(e) });
    }
  }
  return rows;
}
