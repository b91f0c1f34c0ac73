// Registry-wide endpoints from the config file become webhook rows (keyed by name), so they share
// the outbox, the lease, the retries and the delivery log with project webhooks.
import type { Kysely } from 'kysely';
import type { Config } from '../../core/config.ts';
import type { Database } from '../../metadata/schema.ts';
import { findConfigWebhook, insertWebhook, listWebhooks, updateWebhook } from '../../metadata/webhooks.ts';
import type { WebhookOptions } from './options.ts';

type Endpoint = Config['notifications']['endpoints'][number];

function options(e: Endpoint): WebhookOptions {
  return {
    headers: Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v])),
    ...(e.timeoutMs !== undefined ? { timeoutMs: e.timeoutMs } : {}),
    ...(e.threshold !== undefined ? { maxAttempts: e.threshold } : {}),
    ...(e.backoffMs !== undefined ? { backoffMs: e.backoffMs } : {}),
    ignoredMediaTypes: [...e.ignoredMediaTypes, ...e.ignore.mediaTypes],
    ignoredActions: e.ignore.actions,
    // The config file is the administrator's, so its endpoints may carry the exception.
    ...(e.allowPrivateTargets ? { allowPrivateTargets: true } : {}),
  };
}

export async function syncConfigEndpoints(db: Kysely<Database>, endpoints: readonly Endpoint[]): Promise<void> {
  const now = Date.now();
  const names = new Set(endpoints.map((e) => e.name));
  for (const e of endpoints) {
    const values = { url: e.url, secret: e.secret, events: e.events.join(','), filter: e.filter, format: e.format, options: JSON.stringify(options(e)), enabled: e.disabled ? 0 : 1 };
    const existing = await findConfigWebhook(db, e.name);
    if (existing) {
      await updateWebhook(db, existing.id, values, now);
      continue;
    }
    try {
      await insertWebhook(db, { projectId: null, project: null, configName: e.name, ...values, createdBy: 'config' }, now);
    } catch (error) {
      // Another instance inserted it first (unique name): update that one instead.
      const row = await findConfigWebhook(db, e.name);
      if (!row) throw error;
      await updateWebhook(db, row.id, values, now);
    }
  }
  // Endpoints removed from the file stop receiving events; their delivery log stays readable.
  for (const row of await listWebhooks(db)) {
    if (row.config_name !== null && !names.has(row.config_name) && row.enabled) await updateWebhook(db, row.id, { enabled: 0 }, now);
  }
}
