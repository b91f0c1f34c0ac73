// Audit log rows: who did what, to which repository, from where, and when.
import { rowsPerInsert, slices } from '../batches.ts';
import type { Executor } from '../executor.ts';

export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly project?: string | null;
  readonly repository?: string | null;
  readonly reference?: string | null;
  readonly address?: string | null;
  readonly outcome: 'success' | 'failure';
  readonly detail?: string | null;
}

export interface AuditRow extends AuditEntry {
  readonly id: number;
}

export async function insertAudit(db: Executor, entries: readonly AuditEntry[]): Promise<void> {
  const rows = entries.map((e) => ({
    at: e.at, actor: e.actor, action: e.action, project: e.project ?? null, repository: e.repository ?? null,
    reference: e.reference ?? null, address: e.address ?? null, outcome: e.outcome, detail: e.detail ?? null,
  }));
  for (const batch of slices(rows, rowsPerInsert(9))) await db.insertInto('audit_log').values(batch).execute();
}

export interface AuditQuery {
  readonly project?: string;
  readonly actor?: string;
  readonly action?: string;
  /** The full repository name (project/repository). */
  readonly repository?: string;
  readonly since?: number;
  /** Entries before this time (epoch ms, exclusive). */
  readonly until?: number;
  readonly limit: number;
  /** Return entries older than this id (paging backwards). */
  readonly before?: number;
}

export async function queryAudit(db: Executor, q: AuditQuery): Promise<AuditRow[]> {
  let s = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.project !== undefined) s = s.where('project', '=', q.project);
  if (q.actor !== undefined) s = s.where('actor', '=', q.actor);
  if (q.action !== undefined) s = s.where('action', '=', q.action);
  if (q.repository !== undefined) s = s.where('repository', '=', q.repository);
  if (q.since !== undefined) s = s.where('at', '>=', q.since);
  if (q.until !== undefined) s = s.where('at', '<', q.until);
  if (q.before !== undefined) s = s.where('id', '<', q.before);
  return (await s.execute()) as AuditRow[];
}
