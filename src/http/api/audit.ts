// /api/v1/audit: who did what, newest first. Administrators read everything; project owners
// read their project's entries (they must name the project) from the project's creation on, so
// the owners of a project made under a deleted project's name never read the old one's.
import { z } from 'zod';
import { isAdmin, requireOwnedProject } from '../../auth/directory/actor.ts';
import { parseDuration } from '../../core/account-names.ts';
import { RegistryError } from '../../core/errors.ts';
import { queryAudit } from '../../metadata/identity/audit.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string().describe('ISO 8601'),
  actor: z.string(),
  action: z.string().describe('push, pull, delete, delete_blob, untag, mount, login, login_failed, ...'),
  project: z.string().nullable(),
  repository: z.string().nullable(),
  reference: z.string().nullable(),
  address: z.string().nullable(),
  outcome: z.string(),
  detail: z.string().nullable().describe('JSON text with extra facts, when there are any'),
});

const AuditQuery = z.object({
  project: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  repository: z.string().min(1).max(300).optional().describe('a full repository name, project/repository'),
  since: z.string().min(1).optional().describe('a duration back from now (1h, 7d) or an ISO 8601 time'),
  until: z.string().min(1).optional().describe('entries before this time: an ISO 8601 time, or a duration back from now'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(1).optional().describe('entries older than this id (the previous page\'s "next")'),
});

/** "1h" (back from now) or an ISO time, as epoch milliseconds. */
export function sinceToEpoch(since: string, now = Date.now()): number | undefined {
  const ms = parseDuration(since);
  if (ms !== undefined) return now - ms;
  const t = Date.parse(since);
  return Number.isNaN(t) ? undefined : t;
}

export function auditRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    route({
      method: 'GET', path: '/audit', resource: 'audit', auth: 'required',
      summary: 'Audit log entries, newest first (administrators: all; project owners: their project)',
      query: AuditQuery, status: 200,
      response: z.object({ entries: z.array(AuditEntrySchema), next: z.number().int().optional().describe('pass as before= for the next page') }),
      errors: [403, 404],
      handler: async ({ actor, query }) => {
        let since: number | undefined;
        if (query.since !== undefined) {
          since = sinceToEpoch(query.since);
          if (since === undefined) throw new RegistryError('INVALID_REQUEST', { since: query.since }, { message: 'since must be a duration like 1h or 7d, or an ISO 8601 time' });
        }
        let until: number | undefined;
        if (query.until !== undefined) {
          until = sinceToEpoch(query.until);
          if (until === undefined) throw new RegistryError('INVALID_REQUEST', { until: query.until }, { message: 'until must be an ISO 8601 time or a duration like 1h' });
        }
        if (!isAdmin(actor)) {
          if (query.project === undefined) {
            throw new RegistryError('DENIED', undefined, { message: 'only administrators read the whole audit log; project owners ask with project=NAME' });
          }
          const project = await requireOwnedProject(deps.db, actor, query.project);
          since = Math.max(since ?? 0, project.created_at);
        }
        const rows = await queryAudit(deps.db, {
          limit: query.limit,
          ...(query.project !== undefined ? { project: query.project } : {}),
          ...(query.actor !== undefined ? { actor: query.actor } : {}),
          ...(query.action !== undefined ? { action: query.action } : {}),
          ...(query.repository !== undefined ? { repository: query.repository } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          ...(query.before !== undefined ? { before: query.before } : {}),
        });
        const entries = rows.map((r) => ({
          id: r.id, at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, project: r.project ?? null,
          repository: r.repository ?? null, reference: r.reference ?? null, address: r.address ?? null, outcome: r.outcome, detail: r.detail ?? null,
        }));
        return { entries, ...(rows.length === query.limit ? { next: rows[rows.length - 1]!.id } : {}) };
      },
    }),
  ];
}
