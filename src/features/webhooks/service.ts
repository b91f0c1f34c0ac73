// Managing webhooks, for the API (as the signed-in account) and the offline CLI (as the local
// system). Owners of a project and administrators manage its webhooks; registry-wide endpoints
// from the config file are administrators' only. Secrets are write-only: never returned, except
// a generated one, once, in the create answer. Only system administrators may let a webhook reach
// loopback and private addresses (allowPrivateTargets).
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { canSeeProject, isAdmin, requireAdmin, requireOwnedProject, requireProjectOwner, type Actor } from '../../auth/directory/actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../../auth/directory/changes.ts';
import { findProject } from '../../metadata/identity/projects.ts';
import { RegistryError } from '../../core/errors.ts';
import type { Database } from '../../metadata/schema.ts';
import {
  attemptsOf, deleteWebhook, findDelivery, findWebhook, insertWebhook, listDeliveries, listWebhooks, requeueDelivery, updateWebhook,
  type DeliveryRow, type WebhookRow,
} from '../../metadata/webhooks.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './event.ts';
import { FORMAT_NAMES, type FormatName } from './formats/index.ts';
import { parseOptions } from './options.ts';
import { isLocalhostName, literalHost, type SsrfGuard } from './ssrf.ts';

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
  /** An administrator let this webhook reach loopback and private addresses. */
  readonly allowPrivateTargets: boolean;
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
  /** The size of the answer's body (never the body itself); null without an answer. */
  readonly responseBytes: number | null;
  /** Berth stopped reading: the answer was longer than responseBytes. */
  readonly responseTruncated: boolean;
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
  /** Administrators only: the webhook may reach loopback and private addresses. */
  readonly allowPrivateTargets?: boolean;
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
  /** Administrators only may set it to true; an owner who changes the URL drops it. */
  readonly allowPrivateTargets?: boolean;
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

function requireGrantor(actor: Actor): void {
  if (!isAdmin(actor)) {
    throw new RegistryError('DENIED', undefined, { message: 'only system administrators may set allowPrivateTargets (it lets a webhook reach loopback and private addresses)' });
  }
}

/** The options JSON with the grant set or removed. */
function withGrant(row: WebhookRow, granted: boolean): string {
  const { allowPrivateTargets: _old, ...rest } = parseOptions(row);
  return JSON.stringify(granted ? { ...rest, allowPrivateTargets: true } : rest);
}

export function webhookServices(db: Kysely<Database>, guard: SsrfGuard, changed: () => void = () => {}, record: ChangeRecorder = IGNORE_CHANGES): WebhookService {
  const checkUrl = (url: string, allowPrivateTargets: boolean): string => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw invalid(`${url.slice(0, 200)} is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid('the URL must start with http:// or https://');
    // Names are checked on every delivery, after DNS; a literal address (or localhost, which is
    // loopback by definition) can be refused now.
    const check = guard.forWebhook(allowPrivateTargets);
    const literal = literalHost(u.hostname);
    const why = literal !== undefined ? check.refusal(literal)
      : isLocalhostName(u.hostname) ? check.refusal('127.0.0.1') : undefined;
    if (why) throw invalid(`refused by the SSRF guard: ${literal === undefined ? `${u.hostname} always means loopback: ` : ''}${why}`);
    return u.toString();
  };
  /** Owners of its project (or administrators); to anyone who may not see the project, it does not exist. */
  const load = async (actor: Actor, id: number): Promise<WebhookRow> => {
    const missing = () => new RegistryError('NOT_FOUND', { webhook: id }, { message: `no webhook ${id}` });
    const row = await findWebhook(db, id);
    if (!row) throw missing();
    if (row.project === null) {
      requireAdmin(actor);
      return row;
    }
    const project = await findProject(db, row.project);
    if (!project || !(await canSeeProject(db, actor, project))) throw missing();
    await requireProjectOwner(db, actor, project);
    return row;
  };
  const audit = (action: string, actor: Actor, row: WebhookRow, detail?: Record<string, unknown>) =>
    record({ action, actor, ...(row.project !== null ? { project: row.project } : {}), target: `webhook ${row.id}`, ...(detail ? { detail } : {}) });
  const deliveryViews = async (rows: DeliveryRow[]): Promise<DeliveryView[]> => {
    const attempts = await attemptsOf(db, rows.map((r) => r.id));
    return rows.map((r) => toDeliveryView(r, attempts.filter((a) => a.delivery_id === r.id).map((a) => ({
      at: new Date(a.at).toISOString(), statusCode: a.status_code, latencyMs: a.latency_ms,
      responseBytes: a.response_bytes, responseTruncated: Boolean(a.response_truncated), error: a.error,
    }))));
  };

  return {
    async list(actor, project) {
      if (project === undefined) requireAdmin(actor);
      else await requireOwnedProject(db, actor, project);
      return (await listWebhooks(db, project)).map(toView);
    },
    async get(actor, id) {
      return toView(await load(actor, id));
    },
    async create(actor, projectName, input) {
      const project = await requireOwnedProject(db, actor, projectName);
      const granted = input.allowPrivateTargets === true;
      if (granted) requireGrantor(actor);
      const generated = input.secret === undefined || input.secret === '' ? randomBytes(24).toString('hex') : undefined;
      const row = await insertWebhook(db, {
        projectId: project.id, project: project.name, url: checkUrl(input.url, granted), secret: generated ?? input.secret!,
        events: checkEvents(input.events).join(','), filter: input.filter ?? '', format: checkFormat(input.format ?? 'berth'),
        options: granted ? JSON.stringify({ allowPrivateTargets: true }) : '{}', createdBy: actor.name,
      }, Date.now());
      changed();
      const view = toView(row);
      await audit('webhook.create', actor, row, { url: view.url, events: view.events, format: view.format, allowPrivateTargets: granted });
      return { webhook: view, ...(generated ? { secret: generated } : {}) };
    },
    async update(actor, id, patch) {
      const row = await load(actor, id);
      if (row.config_name !== null && (patch.url ?? patch.events ?? patch.format ?? patch.filter ?? patch.secret ?? patch.allowPrivateTargets) !== undefined) {
        throw invalid('this endpoint comes from the config file; change it there (pausing and resuming work here)');
      }
      const had = parseOptions(row).allowPrivateTargets === true;
      if (patch.allowPrivateTargets === true) requireGrantor(actor);
      // The exception was granted for the URL an administrator saw: an owner who points the
      // webhook elsewhere loses it (dropping it is always allowed).
      const granted = patch.allowPrivateTargets ?? (had && !(patch.url !== undefined && !isAdmin(actor)));
      await updateWebhook(db, id, {
        ...(patch.url !== undefined ? { url: checkUrl(patch.url, granted) } : {}),
        ...(granted !== had ? { options: withGrant(row, granted) } : {}),
        ...(patch.events !== undefined ? { events: checkEvents(patch.events).join(',') } : {}),
        ...(patch.format !== undefined ? { format: checkFormat(patch.format) } : {}),
        ...(patch.filter !== undefined ? { filter: patch.filter } : {}),
        ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
        ...(patch.paused === false ? { paused: 0, paused_reason: null, consecutive_failures: 0 } : {}),
        ...(patch.paused === true ? { paused: 1, paused_reason: `paused by ${actor.name}` } : {}),
      }, Date.now());
      changed();
      const view = toView((await findWebhook(db, id))!);
      const { secret, ...rest } = patch;
      await audit('webhook.update', actor, row, { ...rest, ...(patch.url !== undefined ? { url: view.url } : {}), ...(secret !== undefined ? { secret: 'changed' } : {}) });
      return view;
    },
    async remove(actor, id) {
      const row = await load(actor, id);
      if (row.config_name !== null) throw invalid('this endpoint comes from the config file; remove it there');
      await deleteWebhook(db, id);
      changed();
      await audit('webhook.delete', actor, row);
    },
    async deliveries(actor, id, limit) {
      await load(actor, id);
      return deliveryViews(await listDeliveries(db, id, limit));
    },
    async redeliver(actor, deliveryId) {
      const missing = () => new RegistryError('NOT_FOUND', { delivery: deliveryId }, { message: `no delivery ${deliveryId}` });
      const d = await findDelivery(db, deliveryId);
      if (!d) throw missing();
      const hook = await load(actor, d.webhook_id).catch((error: unknown) => {
        throw error instanceof RegistryError && error.code === 'NOT_FOUND' ? missing() : error;
      });
      const now = Date.now();
      await requeueDelivery(db, d.id, now);
      // Redelivering is how an owner says the receiver is fixed: resume the endpoint too.
      if (hook.paused) await updateWebhook(db, hook.id, { paused: 0, paused_reason: null, consecutive_failures: 0 }, now);
      changed();
      await audit('webhook.redeliver', actor, hook, { delivery: d.id, event: d.event_id });
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
    events: r.events.split(','), format: r.format, filter: r.filter, hasSecret: r.secret !== '',
    allowPrivateTargets: parseOptions(r).allowPrivateTargets === true, enabled: Boolean(r.enabled),
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
