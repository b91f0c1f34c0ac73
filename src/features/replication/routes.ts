// /api/v1/replication/...: rules (list, add, show, change, remove), runs asked for now, a rule's history
// and a run's per-artifact results (administrators only: a rule reaches out to the network with
// stored credentials, and reads or writes any repository).
import { z } from 'zod';
import { isAdmin } from '../../auth/directory/actor.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import { route, type ApiRoute } from '../../http/api/route.ts';
import type { ReplicationService } from './service.ts';
import { RuleSchema, RunSchema, RunWithResultsSchema } from './views.ts';

const NewRule = z.strictObject({
  name: z.string().min(1).max(64),
  to: z.string().min(1).max(2048).optional().describe('push rule: the target registry, http(s)://host[:port]'),
  from: z.string().min(1).max(2048).optional().describe('pull rule: the source registry'),
  repos: z.string().min(1).max(256).describe('glob over full repository names: library/*, team/**'),
  tags: z.string().min(1).max(258).optional().describe('glob, or /regular expression/ (default **: every tag)'),
  label: z.string().min(1).max(32).optional().describe('push rules: only repositories with this label'),
  onPush: z.boolean().optional(),
  schedule: z.string().min(1).max(200).optional().describe('cron, 5 fields, UTC'),
  deletions: z.boolean().optional().describe('replicate tag deletions too'),
  username: z.string().min(1).max(255).optional(),
  password: z.string().min(1).max(4096).optional().describe('stored sealed; never shown again'),
  destPrefix: z.string().min(1).max(200).optional().describe("replaces the first path component of each name on the target (Harbor's destination namespace); for a pull rule, the Berth project"),
  enabled: z.boolean().optional().describe('default true'),
});

const RuleChange = z.strictObject({
  peer: z.string().min(1).max(2048).optional().describe('the peer (the direction stays)'),
  repos: z.string().min(1).max(256).optional(),
  tags: z.string().min(1).max(258).optional(),
  label: z.string().min(1).max(32).nullable().optional(),
  onPush: z.boolean().optional(),
  schedule: z.string().min(1).max(200).nullable().optional(),
  deletions: z.boolean().optional(),
  destPrefix: z.string().min(1).max(200).nullable().optional(),
  enabled: z.boolean().optional(),
  username: z.string().min(1).max(255).nullable().optional().describe('null removes the credentials'),
  password: z.string().min(1).max(4096).optional().describe('replaces the stored one (left out: it stays); never shown'),
});

function admin(actor: Principal): void {
  if (!isAdmin(actor)) throw new RegistryError('DENIED', undefined, { message: 'only system administrators manage replication' });
}

export function replicationRoutes(service: ReplicationService): ApiRoute[] {
  const resource = 'replication';
  return [
    route({
      method: 'GET', path: '/replication/rules', resource, auth: 'required', summary: 'The replication rules (administrators)',
      status: 200, response: z.array(RuleSchema), errors: [403],
      handler: async ({ actor }) => { admin(actor); return service.list(); },
    }),
    route({
      method: 'POST', path: '/replication/rules', resource, auth: 'required', body: NewRule,
      summary: 'Add a rule: push from Berth to a peer (to) or pull from a peer into Berth (from) (administrators)',
      status: 201, response: RuleSchema, errors: [403, 409],
      handler: async ({ actor, body }) => { admin(actor); return service.add(actor, body); },
    }),
    route({
      method: 'GET', path: '/replication/rules/{name}', resource, auth: 'required', summary: 'A replication rule (administrators)',
      status: 200, response: RuleSchema, errors: [403, 404],
      handler: async ({ actor, params }) => { admin(actor); return service.get(params.name!); },
    }),
    route({
      method: 'PATCH', path: '/replication/rules/{name}', resource, auth: 'required', body: RuleChange,
      summary: 'Change a rule: filters, trigger, peer, credentials, destination prefix, enabled (administrators)',
      status: 200, response: RuleSchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => { admin(actor); return service.update(actor, params.name!, body); },
    }),
    route({
      method: 'DELETE', path: '/replication/rules/{name}', resource, auth: 'required', summary: 'Remove a rule and its history (administrators)',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => { admin(actor); await service.remove(params.name!, actor); },
    }),
    route({
      method: 'POST', path: '/replication/rules/{name}/runs', resource, auth: 'required',
      summary: 'Run a rule now: a durable job (GET /jobs/{id} shows its progress) (administrators)',
      status: 201, response: z.object({ run: RunSchema, job: z.number().int() }), errors: [403, 404],
      handler: async ({ actor, params }) => { admin(actor); return service.requestRun(actor, params.name!); },
    }),
    route({
      method: 'GET', path: '/replication/rules/{name}/runs', resource, auth: 'required', summary: "A rule's runs, newest first (administrators)",
      status: 200, response: z.array(RunSchema), errors: [403, 404],
      handler: async ({ actor, params }) => { admin(actor); return service.history(params.name!); },
    }),
    route({
      method: 'GET', path: '/replication/runs/{id}', resource, auth: 'required', summary: 'A run with its per-artifact results (administrators)',
      status: 200, response: RunWithResultsSchema, errors: [403, 404],
      handler: async ({ actor, params }) => {
        admin(actor);
        const id = Number(params.id);
        if (!Number.isSafeInteger(id) || id <= 0) throw new RegistryError('NOT_FOUND', undefined, { message: `no replication run ${String(params.id).slice(0, 20)}` });
        return service.runWithResults(id);
      },
    }),
  ];
}
