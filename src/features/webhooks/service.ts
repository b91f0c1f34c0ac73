// Managing webhooks, for the API (as the signed-in account) and the offline CLI (as the local
// system). Owners of a project and administrators manage its webhooks; registry-wide endpoints
// from the config file are administrators' only. Secrets are write-only: never returned, except
// a generated one, once, in the create answer.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import { requireAdmin, requireProject, requireProjectOwner, type Actor } from '../../auth/directory/actor.ts';
import { RegistryError } from '../../core/errors.ts';
import type { Database } from '../../metadata/schema.ts';
import {
  attemptsOf, deleteWebhook, findDelivery, findWebhook, insertWebhook, listDeliveries, listWebhooks, requeueDelivery, updateWebhook,
  type DeliveryRow, type WebhookRow,
} from '../../metadata/webhooks.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './event.ts';
import { FORMAT_NAMES, type FormatName } from './formats/index.ts';
import type { SsrfGuard } from './ssrf.ts';

export interface WebhookView {
  readonly id: number;
  readonly project: string | null;
  /** Config-file endpoints: their name there. */
  readonly name: string | null;
  readonly source: 'project' | 'config';
  readonly url: string;
  readonly events: string[];
  readonly format: string;
  readonly filter: string;
  readonly hasSecret: boolean;
  readonly enabled: boolean;
  /** Paused after an event could not be delivered; later events wait until it is resumed. */
  readonly paused: boolean;
  readonly pausedReason: string | null;
  /** Failing: the last attempt failed (it may still be retrying). */
  readonly failing: boolean;
  readonly consecutiveFailures: number;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface AttemptView {
  readonly at: string;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly response: string | null;
  readonly error: string | null;
}

export interface DeliveryView {
  readonly id: number;
  readonly webhookId: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly repository: string;
  readonly status: string;
  readonly attempts: number;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastLatencyMs: number | null;
  readonly lastError: string | null;
  readonly log: AttemptView[];
}

export interface NewWebhookInput {
  readonly url: string;
  readonly events: readonly string[];
  readonly format?: string;
  readonly filter?: string;
  readonly secret?: string;
}

export interface WebhookPatchInput {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly format?: string;
  readonly filter?: string;
  readonly secret?: string;
  readonly enabled?: boolean;
  /** false resumes a paused webhook. */
  readonly paused?: boolean;
}

export interface WebhookService {
  list(actor: Actor, project?: string): Promise<WebhookView[]>;
  get(actor: Actor, id: number): Promise<WebhookView>;
  create(actor: Actor, project: string, input: NewWebhookInput): Promise<{ webhook: WebhookView; secret?: string }>;
  update(actor: Actor, id: number, patch: WebhookPatchInput): Promise<WebhookView>;
  remove(actor: Actor, id: number): Promise<void>;
  deliveries(actor: Actor, id: number, limit: number): Promise<DeliveryView[]>;
  redeliver(actor: Actor, deliveryId: number): Promise<DeliveryView>;
}

const invalid = (message: string) => new RegistryError('INVALID_REQUEST', undefined, { message });

export function checkEvents(events: readonly string[]): WebhookEventType[] {
  const list = [...new Set(events.flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean))];
  if (!list.length) throw invalid(`events must name at least one of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  for (const e of list) if (!WEBHOOK_EVENT_TYPES.includes(e as WebhookEventType)) throw invalid(`unknown event type ${e}; use ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  return list as WebhookEventType[];
}

function checkFormat(format: string): FormatName {
  if (!FORMAT_NAMES.includes(format as FormatName)) throw invalid(`unknown format ${format}; use ${FORMAT_NAMES.join(', ')}`);
  return format as FormatName;
}

export function webhookServices(db: Kysely<Database>, guard: SsrfGuard, changed: () => void = () => {}): WebhookService {
  const checkUrl = (url: string): string => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw invalid(`${url.slice(0, 200)} is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid('the URL must start with http:// or https://');
    // Names are checked again on every delivery, after DNS; a literal address can be refused now.
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const why = isIP(host) ? guard.refusal(host) : undefined;
    if (why) throw invalid(`refused by the SSRF guard: ${why}`);
    return u.toString();
  };
  const authorize = async (actor: Actor, row: WebhookRow): Promise<void> => {
    if (row.project === null) return requireAdmin(actor);
    await requireProjectOwner(db, actor, await requireProject(db, row.project));
  };
  const load = async (actor: Actor, id: number): Promise<WebhookRow> => {
    const row = await findWebhook(db, id);
    if (!row) throw new RegistryError('NOT_FOUND', { webhook: id }, { message: `no webhook ${id}` });
    await authorize(actor, row);
    return row;
  };
  const deliveryViews = async (rows: DeliveryRow[]): Promise<DeliveryView[]> => {
    const attempts = await attemptsOf(db, rows.map((r) => r.id));
    return rows.map((r) => toDeliveryView(r, attempts.filter((a) => a.delivery_id === r.id).map((a) => ({
      at: new Date(a.at).toISOString(), statusCode: a.status_code, latencyMs: a.latency_ms, response: a.response, error: a.error,
    }))));
  };

  return {
    async list(actor, project) {
      if (project === undefined) requireAdmin(actor);
      else await requireProjectOwner(db, actor, await requireProject(db, project));
      return (await listWebhooks(db, project)).map(toView);
    },
    async get(actor, id) {
      return toView(await load(actor, id));
    },
    async create(actor, projectName, input) {
      const project = await requireProject(db, projectName);
      await requireProjectOwner(db, actor, project);
      const generated = input.secret === undefined || input.secret === '' ? randomBytes(24).toString('hex') : undefined;
      const row = await insertWebhook(db, {
        projectId: project.id, project: project.name, url: checkUrl(input.url), secret: generated ?? input.secret!,
        events: checkEvents(input.events).join(','), filter: input.filter ?? '', format: checkFormat(input.format ?? 'berth'),
        options: '{}', createdBy: actor.name,
      }, Date.now());
      changed();
      return { webhook: toView(row), ...(generated ? { secret: generated } : {}) };
    },
    async update(actor, id, patch) {
      const row = await load(actor, id);
      if (row.config_name !== null && (patch.url ?? patch.events ?? patch.format ?? patch.filter ?? patch.secret) !== undefined) {
        throw invalid('this endpoint comes from the config file; change it there (pausing and resuming work here)');
      }
      await updateWebhook(db, id, {
        ...(patch.url !== undefined ? { url: checkUrl(patch.url) } : {}),
        ...(patch.events !== undefined ? { events: checkEvents(patch.events).join(',') } : {}),
        ...(patch.format !== undefined ? { format: checkFormat(patch.format) } : {}),
        ...(patch.filter !== undefined ? { filter: patch.filter } : {}),
        ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
        ...(patch.paused === false ? { paused: 0, paused_reason: null, consecutive_failures: 0 } : {}),
        ...(patch.paused === true ? { paused: 1, paused_reason: `paused by ${actor.name}` } : {}),
      }, Date.now());
      changed();
      return toView((await findWebhook(db, id))!);
    },
    async remove(actor, id) {
      const row = await load(actor, id);
      if (row.config_name !== null) throw invalid('this endpoint comes from the config file; remove it there');
      await deleteWebhook(db, id);
      changed();
    },
    async deliveries(actor, id, limit) {
      await load(actor, id);
      return deliveryViews(await listDeliveries(db, id, limit));
    },
    async redeliver(actor, deliveryId) {
      const d = await findDelivery(db, deliveryId);
      if (!d) throw new RegistryError('NOT_FOUND', { delivery: deliveryId }, { message: `no delivery ${deliveryId}` });
      const hook = await load(actor, d.webhook_id);
      const now = Date.now();
      await requeueDelivery(db, d.id, now);
      // Redelivering is how an owner says the receiver is fixed: resume the endpoint too.
      if (hook.paused) await updateWebhook(db, hook.id, { paused: 0, paused_reason: null, consecutive_failures: 0 }, now);
      changed();
      return (await deliveryViews([(await findDelivery(db, d.id))!]))[0]!;
    },
  };
}

/** A URL's password is a secret too: lists show the URL without it. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

export function toView(r: WebhookRow): WebhookView {
  return {
    id: r.id, project: r.project, name: r.config_name, source: r.config_name === null ? 'project' : 'config', url: redactUrl(r.url),
    events: r.events.split(','), format: r.format, filter: r.filter, hasSecret: r.secret !== '', enabled: Boolean(r.enabled),
    paused: Boolean(r.paused), pausedReason: r.paused_reason, failing: r.consecutive_failures > 0, consecutiveFailures: r.consecutive_failures,
    createdBy: r.created_by, createdAt: new Date(r.created_at).toISOString(),
  };
}

function toDeliveryView(r: DeliveryRow, log: AttemptView[]): DeliveryView {
  return {
    id: r.id, webhookId: r.webhook_id, eventId: r.event_id, eventType: r.event_type, repository: r.repository, status: r.status, attempts: r.attempts,
    createdAt: new Date(r.created_at).toISOString(), finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
    nextAttemptAt: r.status === 'pending' ? new Date(r.next_attempt_at).toISOString() : null,
    lastStatusCode: r.last_status_code, lastLatencyMs: r.last_latency_ms, lastError: r.last_error, log,
  };
}
