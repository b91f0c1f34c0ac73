// The delivery worker. Each webhook's queue is delivered in order by one lane at a time, under a
// DB lease taken with a compare-and-set UPDATE, so with several instances on one database each
// delivery is made by exactly one of them. Lanes run concurrently: a slow receiver holds only
// its own lane, never a push or another webhook.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';
import {
  claimLease, dueWebhookIds, pruneDeliveries, releaseLeasesOf, findWebhook, headDelivery, recordAttempt, releaseLease, renewLease, updateWebhook,
  type DeliveryRow, type WebhookRow,
} from '../../metadata/webhooks.ts';
import { backoffMs } from './backoff.ts';
import type { StoredEvent } from './event.ts';
import { FORMATS, type FormatName, type RenderContext } from './formats/index.ts';
import { parseOptions } from './options.ts';
import { send } from './sender.ts';
import { SIGNATURE_HEADER, sign } from './signing.ts';
import type { SsrfGuard } from './ssrf.ts';

export interface WorkerSettings {
  readonly maxAttempts: number;
  readonly maxAgeMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly concurrency: number;
  readonly logRetentionMs: number;
}

const PRUNE_EVERY_MS = 3_600_000;

/** Deliveries one lane makes before it lets others have a turn (bounds every loop). */
const LANE_BATCH = 500;

export class DeliveryWorker {
  /** Who holds leases; start() makes it stable across restarts of the same instance. */
  owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly lanes = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking = false;
  private again = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: WorkerSettings,
    private readonly guard: SsrfGuard,
    private readonly render: () => RenderContext,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * `instance` names this instance stably (host and port): a restart first frees the leases its
   * killed predecessor held, instead of waiting for them to expire. Two live instances never
   * share a host and port, so they never free each other's leases.
   */
  async start(instance?: string): Promise<void> {
    if (this.stopped) return; // closed before the background start finished
    if (instance) {
      this.owner = instance;
      await releaseLeasesOf(this.db, instance).catch(this.onError);
    }
    this.timer = setInterval(() => this.wake(), this.settings.pollIntervalMs);
    this.timer.unref();
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
    this.wake();
  }

  /** Looks for due work now (after a local commit) instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.tick().catch(this.onError).finally(() => {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        setImmediate(() => this.wake());
      }
    });
  }

  /** Stops taking work and waits (at most `waitMs`) for attempts in flight to finish. */
  async close(waitMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.pruner);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.lanes.values()]),
      new Promise((r) => { timer = setTimeout(r, waitMs); }),
    ]);
    clearTimeout(timer);
  }

  /** The delivery log is kept for `logRetentionMs`; any instance may prune (it is idempotent). */
  private async prune(): Promise<void> {
    await pruneDeliveries(this.db, Date.now() - this.settings.logRetentionMs).catch(this.onError);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const free = this.settings.concurrency - this.lanes.size;
    if (free <= 0) return;
    const ids = await dueWebhookIds(this.db, now, free * 2);
    for (const id of ids) {
      if (this.stopped || this.lanes.size >= this.settings.concurrency || this.lanes.has(id)) continue;
      if (!(await claimLease(this.db, id, this.owner, now, now + this.leaseMs()))) continue; // another instance has it
      const lane = this.lane(id).catch(this.onError).finally(() => {
        this.lanes.delete(id);
        this.wake();
      });
      this.lanes.set(id, lane);
    }
  }

  /** Long enough for one attempt at the webhook's own timeout, renewed before each attempt. */
  private leaseMs(hook?: WebhookRow): number {
    return (hook ? parseOptions(hook).timeoutMs ?? this.settings.timeoutMs : 60_000) * 2 + 10_000;
  }

  private async lane(id: number): Promise<void> {
    try {
      for (let i = 0; i < LANE_BATCH && !this.stopped; i++) {
        const hook = await findWebhook(this.db, id);
        if (!hook || !hook.enabled || hook.paused) return;
        const head = await headDelivery(this.db, id);
        if (!head || head.next_attempt_at > Date.now()) return; // empty, or the head waits for its retry (order)
        if (!(await renewLease(this.db, id, this.owner, Date.now() + this.leaseMs(hook)))) return;
        await this.attempt(hook, head);
      }
    } finally {
      await releaseLease(this.db, id, this.owner).catch(this.onError);
    }
  }

  private async attempt(hook: WebhookRow, d: DeliveryRow): Promise<void> {
    const options = parseOptions(hook);
    const event = JSON.parse(d.event) as StoredEvent;
    const format = FORMATS[hook.format as FormatName] ?? FORMATS.berth;
    const rendered = format(event, this.render());
    const at = Date.now();
    const headers: Record<string, string> = {
      ...options.headers,
      'content-type': rendered.contentType,
      'user-agent': 'Berth-Webhooks/1.0',
      'berth-event-id': event.id,
      'berth-event-type': event.type,
      'berth-delivery-id': String(d.id),
      'berth-webhook-id': String(hook.id),
    };
    if (hook.secret) headers[SIGNATURE_HEADER.toLowerCase()] = sign(hook.secret, rendered.body, Math.floor(at / 1000));
    const guard = this.guard.forWebhook(options.allowPrivateTargets === true);
    const r = await send(hook.url, rendered.body, headers, options.timeoutMs ?? this.settings.timeoutMs, guard);
    const outcome = { at, statusCode: r.statusCode, latencyMs: r.latencyMs, responseBytes: r.responseBytes, responseTruncated: r.responseTruncated, error: r.error };
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    const attempts = d.attempts + 1;
    const maxAttempts = options.maxAttempts ?? this.settings.maxAttempts;
    const expired = Date.now() - d.created_at >= this.settings.maxAgeMs;
    await this.db.transaction().execute(async (trx) => {
      if (ok) {
        await recordAttempt(trx, d, outcome, { status: 'delivered' });
        if (hook.consecutive_failures) await updateWebhook(trx, hook.id, { consecutive_failures: 0 }, at);
      } else if (attempts >= maxAttempts || expired) {
        // Gave up: the endpoint is paused and flagged, so its later events wait (in order) until an owner resumes it.
        await recordAttempt(trx, d, outcome, { status: 'failed' });
        const why = `delivery ${d.id} failed ${attempts} time(s)${expired ? ' and is older than maxAgeSeconds' : ''}: ${r.error ?? `HTTP ${r.statusCode}`}`;
        await updateWebhook(trx, hook.id, { paused: 1, paused_reason: why.slice(0, 500), consecutive_failures: hook.consecutive_failures + 1 }, at);
      } else {
        const retryAt = Date.now() + backoffMs(attempts, options.backoffMs ?? this.settings.initialBackoffMs, this.settings.maxBackoffMs);
        await recordAttempt(trx, d, outcome, { status: 'pending', retryAt });
        await updateWebhook(trx, hook.id, { consecutive_failures: hook.consecutive_failures + 1 }, at);
      }
    });
  }
}
