// The audit log: who pushed, pulled, deleted, logged in or failed to, which repository and
// digest, from which address, and when. Subscribes to registry events; writes in batches so a
// busy pull path never waits on the audit table. Failed logins go through FailedLoginAggregator
// (failed-logins.ts), so a flood of them writes a bounded number of rows with counts.
import type { Kysely } from 'kysely';
import type { RegistryEvent } from '../../core/events.ts';
import { projectOf } from '../../core/reference.ts';
import { insertAudit, type AuditEntry } from '../../metadata/identity/audit.ts';
import type { Database } from '../../metadata/schema.ts';
import type { EventBus } from '../../registry/event-bus.ts';
import { FailedLoginAggregator, type FailedLogin, type FailedLoginOptions } from './failed-logins.ts';

export { FailedLoginAggregator, FAILED_LOGIN_DEFAULTS, truncateActor, type FailedLogin } from './failed-logins.ts';

export interface AuditLog {
  record(entry: AuditEntry): void;
  /** A failed login or a refusal while locked: summed with its repeats (failed-logins.ts). */
  recordFailedLogin(login: FailedLogin): void;
  /** A 403 refusal: summed with its repeats like failed logins, as action "denied". */
  recordDenied(denial: { actor: string; address: string; via: string; project?: string; what: string }): void;
  /** Writes what is queued, and the failed-login runs that have ended (tests and shutdown call this). */
  flush(): Promise<void>;
  /** Stops listening, ends every failed-login run and writes what is left. */
  close(): Promise<void>;
}

export interface AuditOptions {
  readonly flushMs?: number;
  readonly failedLogins?: Partial<FailedLoginOptions>;
  /** The writer (tests pass a fake); defaults to insertAudit on `db`. */
  readonly write?: (entries: readonly AuditEntry[]) => Promise<void>;
  readonly now?: () => number;
}

const FLUSH_MS = 500;
const MAX_QUEUE = 50_000;

export function enableAudit(db: Kysely<Database>, bus: EventBus, onError: (error: unknown) => void, options: AuditOptions = {}): AuditLog {
  const insert = options.write ?? ((entries: readonly AuditEntry[]) => insertAudit(db, entries));
  const now = options.now ?? Date.now;
  const failed = new FailedLoginAggregator(options.failedLogins);
  let queue: AuditEntry[] = [];
  let writing: Promise<void> = Promise.resolve();

  const record = (entry: AuditEntry) => {
    if (queue.length >= MAX_QUEUE) return; // a stalled DB must not grow memory without bound
    queue.push(entry);
  };
  /** Queues `rows`, then writes the queue in one batch after any write in progress. */
  const writeWith = (rows: readonly AuditEntry[]): Promise<void> => {
    for (const row of rows) record(row);
    writing = writing.then(async () => {
      if (!queue.length) return;
      const batch = queue;
      queue = [];
      try {
        await insert(batch);
      } catch (error) {
        onError(error);
      }
    });
    return writing;
  };
  const flush = (): Promise<void> => writeWith(failed.take(now()));
  const timer = setInterval(() => void flush(), options.flushMs ?? FLUSH_MS);
  timer.unref();
  const unsubscribe = bus.onAny((event) => {
    const entry = fromEvent(event);
    if (entry) record(entry);
  });

  let closed = false;
  return {
    record,
    recordFailedLogin(login) {
      if (!closed) failed.record(login, now());
    },
    recordDenied(denial) {
      if (!closed) failed.record({ account: denial.actor, address: denial.address, via: denial.via, action: 'denied', what: denial.what, ...(denial.project !== undefined ? { project: denial.project } : {}) }, now());
    },
    flush,
    async close() {
      closed = true;
      unsubscribe();
      clearInterval(timer);
      await writeWith(failed.drain());
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
