// A directory change as an audit log row (metadata/identity/audit.ts).
import type { AuditEntry } from '../../metadata/identity/audit.ts';
import type { DirectoryChange } from './changes.ts';

export function auditEntryOf(change: DirectoryChange, at = Date.now()): AuditEntry {
  const address = change.actor.kind === 'system' ? undefined : change.actor.address;
  return {
    at,
    actor: change.actor.name,
    action: change.action,
    project: change.project ?? null,
    reference: change.target ?? null,
    address: address ?? null,
    outcome: 'success',
    detail: change.detail && Object.keys(change.detail).length ? JSON.stringify(change.detail) : null,
  };
}
