// /api/v1 webhooks: per-project endpoints (owners and administrators), registry-wide ones from
// the config file (administrators), their delivery logs and manual redelivery. Secrets are
// write-only: a generated secret appears once, in the create answer. The delivery log shows the
// size of each answer, never its body.
import { z } from 'zod';
import { RegistryError } from '../../core/errors.ts';
import type { WebhookService } from '../../features/webhooks/index.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const EventList = z.union([
  z.array(z.enum(['push', 'pull', 'delete', 'tag', 'scan.completed', 'vulnerability.new', 'quota.warning'])).min(1),
  z.string().min(1).describe('comma-separated, e.g. "push,delete"'),
]);
const Format = z.enum(['berth', 'cloudevents', 'distribution', 'slack']);

export const WebhookSchema = z.object({
  id: z.number().int(),
  project: z.string().nullable().describe('null for registry-wide endpoints from the config file'),
  name: z.string().nullable().describe("the config file's endpoint name"),
  source: z.enum(['project', 'config']),
  url: z.string(),
  events: z.array(z.string()),
  format: z.string(),
  filter: z.string().describe('glob on repository names, or repository:tag'),
  hasSecret: z.boolean().describe('the secret itself is never returned'),
  allowPrivateTargets: z.boolean().describe('an administrator let this webhook reach loopback and private addresses'),
  enabled: z.boolean(),
  paused: z.boolean().describe('an event could not be delivered; later events wait until the webhook is resumed'),
  pausedReason: z.string().nullable(),
  failing: z.boolean().describe('the last attempt failed'),
  consecutiveFailures: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
});

const DeliverySchema = z.object({
  id: z.number().int(),
  webhookId: z.number().int(),
  eventId: z.string().describe('stable across retries: receivers de-duplicate on it (Berth-Event-Id header)'),
  eventType: z.string(),
  repository: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastLatencyMs: z.number().int().nullable(),
  lastError: z.string().nullable(),
  log: z.array(z.object({
    at: z.string(),
    statusCode: z.number().int().nullable(),
    latencyMs: z.number().int(),
    responseBytes: z.number().int().nullable().describe("the size of the answer's body in bytes (the body is never kept); null without an answer"),
    responseTruncated: z.boolean().describe('Berth stopped reading at its limit: the answer was longer than responseBytes'),
    error: z.string().nullable(),
  })),
});

const CreateWebhook = z.strictObject({
  url: z.string().min(1),
  events: EventList,
  format: Format.optional().describe('default berth'),
  filter: z.string().max(500).optional(),
  secret: z.string().min(16).max(500).optional().describe('HMAC key for Berth-Signature; generated (and returned once) when omitted'),
  allowPrivateTargets: z.boolean().optional().describe('system administrators only (403 otherwise): let this webhook reach loopback and private addresses'),
});
const UpdateWebhook = z.strictObject({
  url: z.string().min(1).optional(),
  events: EventList.optional(),
  format: Format.optional(),
  filter: z.string().max(500).optional(),
  secret: z.string().min(16).max(500).optional(),
  enabled: z.boolean().optional(),
  paused: z.boolean().optional().describe('false resumes a paused webhook'),
  allowPrivateTargets: z.boolean().optional()
    .describe('true: system administrators only (403 otherwise); a non-administrator who changes the url drops it'),
});
const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

const events = (e: z.output<typeof EventList>): string[] => (Array.isArray(e) ? e : e.split(','));

function idOf(value: string | undefined, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new RegistryError('NOT_FOUND', undefined, { message: `no ${what} ${String(value).slice(0, 40)}` });
  return n;
}

/** The routes exist (and are documented) whether or not the server passed the feature in. */
export function webhookRoutes(deps: ApiDeps): ApiRoute[] {
  const service = (): WebhookService => {
    if (!deps.webhooks) throw new RegistryError('UNSUPPORTED', undefined, { message: 'webhooks are not enabled on this server' });
    return deps.webhooks;
  };
  const w: WebhookService = {
    list: (...a) => service().list(...a),
    get: (...a) => service().get(...a),
    create: (...a) => service().create(...a),
    update: (...a) => service().update(...a),
    remove: (...a) => service().remove(...a),
    deliveries: (...a) => service().deliveries(...a),
    redeliver: (...a) => service().redeliver(...a),
  };
  return routes(w);
}

function routes(w: WebhookService): ApiRoute[] {
  const resource = 'webhooks';
  return [
    route({
      method: 'GET', path: '/webhooks', resource, auth: 'required', summary: 'Every webhook, registry-wide endpoints included (administrators)',
      status: 200, response: z.object({ webhooks: z.array(WebhookSchema) }), errors: [403],
      handler: async ({ actor }) => ({ webhooks: await w.list(actor) }),
    }),
    route({
      method: 'GET', path: '/projects/{name}/webhooks', resource, auth: 'required', summary: "A project's webhooks, with paused and failing flags (owners, administrators)",
      status: 200, response: z.object({ webhooks: z.array(WebhookSchema) }), errors: [403, 404],
      handler: async ({ actor, params }) => ({ webhooks: await w.list(actor, params.name!) }),
    }),
    route({
      method: 'POST', path: '/projects/{name}/webhooks', resource, auth: 'required', summary: 'Add a webhook; a generated secret is returned once',
      body: CreateWebhook, status: 201,
      response: z.object({ webhook: WebhookSchema, secret: z.string().optional().describe('only when Berth generated it; shown once') }),
      errors: [403, 404],
      handler: async ({ actor, params, body }) => w.create(actor, params.name!, {
        url: body.url, events: events(body.events),
        ...(body.format !== undefined ? { format: body.format } : {}),
        ...(body.filter !== undefined ? { filter: body.filter } : {}),
        ...(body.secret !== undefined ? { secret: body.secret } : {}),
        ...(body.allowPrivateTargets !== undefined ? { allowPrivateTargets: body.allowPrivateTargets } : {}),
      }),
    }),
    route({
      method: 'GET', path: '/webhooks/{id}', resource, auth: 'required', summary: 'One webhook',
      status: 200, response: WebhookSchema, errors: [403, 404],
      handler: async ({ actor, params }) => w.get(actor, idOf(params.id, 'webhook')),
    }),
    route({
      method: 'PATCH', path: '/webhooks/{id}', resource, auth: 'required', summary: 'Change a webhook, or pause and resume it',
      body: UpdateWebhook, status: 200, response: WebhookSchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => w.update(actor, idOf(params.id, 'webhook'), {
        ...(body.url !== undefined ? { url: body.url } : {}),
        ...(body.events !== undefined ? { events: events(body.events) } : {}),
        ...(body.format !== undefined ? { format: body.format } : {}),
        ...(body.filter !== undefined ? { filter: body.filter } : {}),
        ...(body.secret !== undefined ? { secret: body.secret } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        ...(body.paused !== undefined ? { paused: body.paused } : {}),
        ...(body.allowPrivateTargets !== undefined ? { allowPrivateTargets: body.allowPrivateTargets } : {}),
      }),
    }),
    route({
      method: 'DELETE', path: '/webhooks/{id}', resource, auth: 'required', summary: 'Remove a webhook and its delivery log',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => w.remove(actor, idOf(params.id, 'webhook')),
    }),
    route({
      method: 'GET', path: '/webhooks/{id}/deliveries', resource, auth: 'required', summary: "A webhook's deliveries, newest first, with each attempt",
      query: DeliveriesQuery, status: 200, response: z.object({ deliveries: z.array(DeliverySchema) }), errors: [403, 404],
      handler: async ({ actor, params, query }) => ({ deliveries: await w.deliveries(actor, idOf(params.id, 'webhook'), query.limit) }),
    }),
    route({
      method: 'POST', path: '/webhook-deliveries/{id}/redeliver', resource, auth: 'required',
      summary: 'Deliver an event again (same event id); resumes a paused webhook',
      status: 200, response: DeliverySchema, errors: [403, 404],
      handler: async ({ actor, params }) => w.redeliver(actor, idOf(params.id, 'delivery')),
    }),
  ];
}
