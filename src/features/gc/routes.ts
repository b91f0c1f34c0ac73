// /api/v1/gc: the collector's status and runs, and a pass on request (administrators only: GC is
// registry-wide). A pass runs as a durable job, once across instances; the caller waits on it
// through /api/v1/jobs/{id}.
import { z } from 'zod';
import { isAdmin } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import { route, type ApiRoute } from '../../http/api/route.ts';
import type { JobRunner } from '../../jobs/runner.ts';
import type { GcService } from './service.ts';
import { GcRunSchema, GcStatusSchema } from './views.ts';

export const GC_JOB = 'gc.run';

export interface GcJobPayload {
  readonly trigger: 'worker' | 'api';
  readonly dryRun?: boolean;
  readonly actor?: string;
}

function requireAdministrator(actor: Principal): void {
  if (!isAdmin(actor)) throw new RegistryError('DENIED', undefined, { message: 'only system administrators run and inspect garbage collection' });
}

const RunRequest = z.strictObject({ dryRun: z.boolean().optional().describe('report what a pass would collect now, and change nothing') });
const RunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).optional() });

export function gcRoutes(service: GcService, jobs: JobRunner, record: ChangeRecorder): ApiRoute[] {
  const resource = 'gc';
  return [
    route({
      method: 'GET', path: '/gc', resource, auth: 'required',
      summary: 'Garbage collection: the last run, the queues (candidates and byte deletions), bytes freed so far and the next run',
      status: 200, response: GcStatusSchema, errors: [403],
      handler: async ({ actor }) => {
        requireAdministrator(actor);
        return service.status();
      },
    }),
    route({
      method: 'GET', path: '/gc/runs', resource, auth: 'required', query: RunsQuery,
      summary: 'The last garbage collection runs, newest first',
      status: 200, response: z.object({ runs: z.array(GcRunSchema) }), errors: [403],
      handler: async ({ actor, query }) => {
        requireAdministrator(actor);
        return { runs: await service.runs(query.limit ?? 20) };
      },
    }),
    route({
      method: 'POST', path: '/gc/runs', resource, auth: 'required', body: RunRequest,
      summary: 'Queue a garbage collection pass now (wait on the job: GET /jobs/{id}; its result is the summary)',
      status: 201, response: z.object({ job: z.number().int(), deduplicated: z.boolean() }), errors: [403],
      handler: async ({ actor, body }) => {
        requireAdministrator(actor);
        const payload: GcJobPayload = { trigger: 'api', dryRun: body.dryRun ?? false, actor: actor.name };
        const queued = await jobs.enqueue(GC_JOB, payload, { key: body.dryRun ? 'gc-dry-run' : 'gc' });
        // Who asked, from where (the pass itself is audited by the system when it is done).
        await record({ action: 'gc.request', actor, detail: { dryRun: body.dryRun ?? false, job: queued.id } });
        return { job: queued.id, deduplicated: queued.deduplicated };
      },
    }),
  ];
}
