// The audit log: who pushed, pulled, deleted, logged in or failed to, which repository and
// digest, from which address, and when. Subscribes to registry events; writes in batches so a
// busy pull path never waits on the audit table.
import type { Kysely } from 'kysely';
import type { RegistryEvent } from '../../core/events.ts';
import { projectOf } from '../../core/reference.ts';
import { insertAudit, type AuditEntry } from '../../metadata/identity/audit.ts';
import type { Database } from '../../metadata/schema.ts';
import type { EventBus } from '../../registry/event-bus.ts';

export interface AuditLog {
  record(entry: AuditEntry): void;
  /** Writes what is queued (tests and shutdown call this). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const FLUSH_MS = 500;
const MAX_QUEUE = 50_000;

export function enableAudit(db: Kysely<Database>, bus: EventBus, onError: (error: unknown) => void): AuditLog {
  let queue: AuditEntry[] = [];
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    writing = writing.then(async () => {
      if (!queue.length) return;
      const batch = queue;
      queue = [];
      try {
        await insertAudit(db, batch);
      } catch (error) {
        onError(error);
      }
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), FLUSH_MS);
  timer.unref();

  const record = (entry: AuditEntry) => {
    if (queue.length >= MAX_QUEUE) return; // a stalled DB must not grow memory without bound
    queue.push(entry);
  };
  const unsubscribe = bus.onAny((event) => {
    const entry = fromEvent(event);
    if (entry) record(entry);
  });

  return {
    record,
    flush,
    async close() {
      unsubscribe();
      clearInterval(timer);
      await flush();
    },
  };
}

function fromEvent(e: RegistryEvent): AuditEntry | undefined {
  const base = { at: e.at.getTime(), actor: e.actor.name ?? 'anonymous', project: projectOf(e.repository), repository: e.repository, address: e.actor.address ?? null, outcome: 'success' as const };
  switch (e.type) {
    case 'push': return { ...base, action: 'push', reference: e.tag ? `${e.tag}@${e.digest}` : e.digest };
    case 'pull': return { ...base, action: 'pull', reference: e.tag ? `${e.tag}@${e.digest}` : e.digest };
    case 'delete': return { ...base, action: e.target === 'manifest' ? 'delete' : 'delete_blob', reference: e.digest, detail: e.tags.length ? JSON.stringify({ tags: e.tags }) : null };
    case 'untag': return { ...base, action: 'untag', reference: `${e.tag}@${e.digest}` };
    case 'mount': return { ...base, action: 'mount', reference: e.digest, detail: JSON.stringify({ from: e.from }) };
    default: return undefined; // blob pushes and tag moves are part of the push entry
  }
}
