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

  constructor(private readonly db: Kysely<Database>, private readonly onError: (error: unknown) => void) {}

  /** The Registry's inTransaction hook. */
  readonly inTransaction = async (trx: Executor, events: readonly RegistryEvent[]): Promise<void> => {
    const stored = events.map(toStored).filter((e) => e !== undefined);
    if (!stored.length) return;
    const hooks = await enabledWebhooks(trx);
    if (!hooks.length) return;
    await insertDeliveries(trx, rowsFor(hooks, stored), Date.now());
  };

  /**
   * Records a pull outside any transaction (a bus subscriber); failures are logged. Resolves to
   * the number of deliveries written, so the worker is only woken when there is work: pulls are
   * the hottest path and most have no webhook that wants them.
   */
  recordPull(event: RegistryEvent): Promise<number> {
    const stored = toStored(event);
    if (!stored) return Promise.resolve(0);
    return (async () => {
      const now = Date.now();
      if (!this.cached || now - this.cached.at > PULL_CACHE_MS) this.cached = { at: now, rows: await enabledWebhooks(this.db) };
      const rows = rowsFor(this.cached.rows, [stored]);
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
