// /api/v1/jobs/{id}: how a queued piece of background work (a scan, a re-match) is doing, for
// the CLI and the UI that wait on it. A job about a repository is visible to whoever may pull
// from it; other jobs (registry-wide work) to administrators. Anyone else gets 404.
import { z } from 'zod';
import { isAdmin } from '../../auth/directory/actor.ts';
import { RegistryError } from '../../core/errors.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

export const JobSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  state: z.enum(['pending', 'running', 'done', 'failed']),
  attempts: z.number().int(),
  progress: z.string().nullable(),
  error: z.string().nullable().describe('the last attempt\'s error'),
  result: z.unknown().nullable().describe('what the job reports when done'),
  repository: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export function jobRoutes(deps: ApiDeps): ApiRoute[] {
  return [route({
    method: 'GET', path: '/jobs/{id}', resource: 'jobs', auth: 'required', summary: 'A background job: its state, progress and result',
    status: 200, response: JobSchema, errors: [404],
    handler: async ({ actor, params }) => {
      const missing = () => new RegistryError('NOT_FOUND', undefined, { message: `no job ${String(params.id).slice(0, 20)}` });
      const id = Number(params.id);
      if (!deps.jobs || !Number.isSafeInteger(id) || id <= 0) throw missing();
      const row = await deps.jobs.job(id);
      if (!row) throw missing();
      let payload: { repository?: unknown } = {};
      try {
        payload = JSON.parse(row.payload) as { repository?: unknown };
      } catch { /* not an object: registry-wide */ }
      const repository = typeof payload.repository === 'string' ? payload.repository : null;
      const visible = repository ? await deps.authorizer?.allows(actor, repository, 'pull') : isAdmin(actor);
      if (!visible) throw missing();
      let result: unknown = null;
      try {
        result = row.result ? JSON.parse(row.result) : null;
      } catch { result = row.result; }
      return {
        id: Number(row.id), kind: row.kind, state: row.state, attempts: Number(row.attempts), progress: row.progress, error: row.last_error, result, repository,
        createdAt: new Date(Number(row.created_at)).toISOString(), updatedAt: new Date(Number(row.updated_at)).toISOString(),
        finishedAt: row.finished_at !== null ? new Date(Number(row.finished_at)).toISOString() : null,
      };
    },
  })];
}
