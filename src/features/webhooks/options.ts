// Per-webhook delivery settings, stored as JSON on the webhook row (config-file endpoints set
// them; project webhooks use the registry's defaults, plus an administrator's SSRF exception).
import type { WebhookRow } from '../../metadata/webhooks.ts';
import type { StoredEvent } from './event.ts';
import { matchesFilter } from './glob.ts';

export interface WebhookOptions {
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly ignoredMediaTypes?: readonly string[];
  readonly ignoredActions?: readonly string[];
  /** An administrator's exception: this webhook may reach loopback and private addresses. */
  readonly allowPrivateTargets?: boolean;
}

export function parseOptions(row: Pick<WebhookRow, 'options'>): WebhookOptions {
  try {
    return JSON.parse(row.options) as WebhookOptions;
  } catch {
    return {};
  }
}

/** Whether the webhook wants this event: its project, event types, filter and ignore lists. */
export function wants(row: WebhookRow, e: StoredEvent): boolean {
  if (row.project !== null && row.project !== e.project) return false;
  if (!row.events.split(',').includes(e.type)) return false;
  if (!matchesFilter(row.filter, e.repository, e.tag)) return false;
  const o = parseOptions(row);
  if (o.ignoredActions?.includes(e.type)) return false;
  if (e.mediaType !== undefined && o.ignoredMediaTypes?.includes(e.mediaType)) return false;
  return true;
}
