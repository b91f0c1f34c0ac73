// Webhook rows: endpoints, the delivery outbox and its attempt log, and the delivery lease.
// Leases are compare-and-set UPDATEs, so they work the same on SQLite and PostgreSQL.
import type { Selectable } from 'kysely';
import type { Executor } from './executor.ts';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhooksTable } from './schema.ts';

export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type AttemptRow = Selectable<WebhookAttemptsTable>;

export interface NewWebhook {
  readonly projectId: number | null;
  readonly project: string | null;
  readonly configName?: string | null;
  readonly url: string;
  readonly secret: string;
  readonly events: string;
  readonly filter: string;
  readonly format: string;
  readonly options: string;
  readonly createdBy: string;
  readonly enabled?: number;
}

export interface NewDelivery {
  readonly webhookId: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly repository: string;
  readonly event: string;
}

export async function insertWebhook(db: Executor, w: NewWebhook, now: number): Promise<WebhookRow> {
  return db.insertInto('webhooks').values({
    project_id: w.projectId, project: w.project, config_name: w.configName ?? null, url: w.url, secret: w.secret, events: w.events,
    filter: w.filter, format: w.format, options: w.options, enabled: w.enabled ?? 1, created_by: w.createdBy, created_at: now, updated_at: now,
  }).returningAll().executeTakeFirstOrThrow();
}

export async function findWebhook(db: Executor, id: number): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findConfigWebhook(db: Executor, name: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('config_name', '=', name).executeTakeFirst();
}

/** A project's webhooks, or (project undefined) every webhook. */
export async function listWebhooks(db: Executor, project?: string): Promise<WebhookRow[]> {
  let q = db.selectFrom('webhooks').selectAll().orderBy('id');
  if (project !== undefined) q = q.where('project', '=', project);
  return q.execute();
}

export async function enabledWebhooks(db: Executor): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('enabled', '=', 1).execute();
}

export type WebhookPatch = Partial<Pick<WebhookRow, 'url' | 'secret' | 'events' | 'filter' | 'format' | 'options' | 'enabled' | 'paused' | 'paused_reason' | 'consecutive_failures' | 'config_name'>>;

export async function updateWebhook(db: Executor, id: number, patch: WebhookPatch, now: number): Promise<void> {
  await db.updateTable('webhooks').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export async function deleteWebhook(db: Executor, id: number): Promise<boolean> {
  await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', id)).execute();
  await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
  const r = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function insertDeliveries(db: Executor, rows: readonly NewDelivery[], now: number): Promise<void> {
  if (!rows.length) return;
  await db.insertInto('webhook_deliveries').values(rows.map((d) => ({
    webhook_id: d.webhookId, event_id: d.eventId, event_type: d.eventType, repository: d.repository, event: d.event,
    status: 'pending', attempts: 0, next_attempt_at: now, created_at: now,
  }))).execute();
}

/**
 * Webhooks (enabled, not paused, lease free) whose oldest pending delivery is due. Only the head
 * counts: a webhook whose head waits for its retry is blocked (order), so it must not take a slot.
 */
export async function dueWebhookIds(db: Executor, now: number, limit: number): Promise<number[]> {
  const rows = await db.selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select('d.webhook_id')
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where('d.id', '=', (eb) => eb.selectFrom('webhook_deliveries as h').select((e) => e.fn.min('h.id').as('head'))
      .whereRef('h.webhook_id', '=', 'd.webhook_id').where('h.status', '=', 'pending'))
    .where('w.paused', '=', 0)
    .where('w.enabled', '=', 1)
    .where('w.lease_until', '<', now)
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.webhook_id));
}

/** Takes the webhook's delivery lease if it is free or expired (compare-and-set); true if taken. */
export async function claimLease(db: Executor, webhookId: number, owner: string, now: number, until: number): Promise<boolean> {
  const r = await db.updateTable('webhooks').set({ lease_owner: owner, lease_until: until })
    .where('id', '=', webhookId).where('lease_until', '<', now).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Extends a lease this owner still holds; false if another instance took it over. */
export async function renewLease(db: Executor, webhookId: number, owner: string, until: number): Promise<boolean> {
  const r = await db.updateTable('webhooks').set({ lease_until: until })
    .where('id', '=', webhookId).where('lease_owner', '=', owner).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function releaseLease(db: Executor, webhookId: number, owner: string): Promise<void> {
  await db.updateTable('webhooks').set({ lease_until: 0 }).where('id', '=', webhookId).where('lease_owner', '=', owner).execute();
}

/** Frees every lease held under this owner name (a restarted instance's predecessor's). */
export async function releaseLeasesOf(db: Executor, owner: string): Promise<void> {
  await db.updateTable('webhooks').set({ lease_until: 0 }).where('lease_owner', '=', owner).execute();
}

/** The head of the webhook's queue: its oldest pending delivery (order per webhook). */
export async function headDelivery(db: Executor, webhookId: number): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll()
    .where('webhook_id', '=', webhookId).where('status', '=', 'pending').orderBy('id').limit(1).executeTakeFirst();
}

export interface AttemptOutcome {
  readonly at: number;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  /** The size of the answer's body, never the body: the log must not let anyone read a receiver's answers. */
  readonly responseBytes: number | null;
  readonly responseTruncated: boolean;
  readonly error: string | null;
}

/** Logs an attempt and moves the delivery on: delivered, failed (gave up) or pending until `retryAt`. */
export async function recordAttempt(db: Executor, d: DeliveryRow, o: AttemptOutcome, next: { status: 'delivered' | 'failed' | 'pending'; retryAt?: number }): Promise<void> {
  await db.insertInto('webhook_attempts').values({
    delivery_id: d.id, at: o.at, status_code: o.statusCode, latency_ms: o.latencyMs,
    response_bytes: o.responseBytes, response_truncated: o.responseTruncated ? 1 : 0, error: o.error,
  }).execute();
  await db.updateTable('webhook_deliveries').set({
    status: next.status,
    attempts: d.attempts + 1,
    next_attempt_at: next.retryAt ?? o.at,
    finished_at: next.status === 'pending' ? null : o.at,
    last_status_code: o.statusCode,
    last_latency_ms: o.latencyMs,
    last_error: o.error,
  }).where('id', '=', d.id).execute();
}

export async function listDeliveries(db: Executor, webhookId: number, limit: number): Promise<DeliveryRow[]> {
  return db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('id', 'desc').limit(limit).execute();
}

export async function findDelivery(db: Executor, id: number): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function attemptsOf(db: Executor, deliveryIds: readonly number[]): Promise<AttemptRow[]> {
  if (!deliveryIds.length) return [];
  return db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('id').execute();
}

/** Forgets finished deliveries (and their attempts) older than `before`; pending ones always stay. */
export async function pruneDeliveries(db: Executor, before: number): Promise<number> {
  const old = db.selectFrom('webhook_deliveries').select('id').where('status', '!=', 'pending').where('finished_at', '<', before);
  await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', old).execute();
  const r = await db.deleteFrom('webhook_deliveries').where('status', '!=', 'pending').where('finished_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Queues a delivery again (same event id); it keeps its attempt log. */
export async function requeueDelivery(db: Executor, id: number, now: number): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ status: 'pending', attempts: 0, next_attempt_at: now, finished_at: null }).where('id', '=', id).execute();
}
