// What the registry services need from the layers below, wired once by the server.
import type { Kysely } from 'kysely';
import type { RegistryEvent } from '../core/events.ts';
import type { Executor } from '../metadata/executor.ts';
import type { Database } from '../metadata/schema.ts';
import type { StorageDriver } from '../storage/driver.ts';
import type { EventBus } from './event-bus.ts';

export interface RegistryLimits {
  readonly manifestMaxBytes: number;
  readonly pageMaxEntries: number;
  /**
   * How long what a push leaves unreferenced (an upload, a mount, an untagged manifest, a lost
   * tag) is protected from garbage collection (gc.reviewDelaySeconds; default two hours).
   */
  readonly reviewDelayMs?: number;
  /**
   * Where the running digest of a chunked upload lives (storage.uploadHashState): memory (one
   * instance) or database (saved with each chunk's offset, so any instance continues it).
   */
  readonly uploadHashState?: 'memory' | 'database';
  /**
   * How long a request's writer lease on an upload lasts without renewal (renewed every third
   * of it while the request writes): how long an upload stays blocked after its writer died.
   */
  readonly uploadLeaseMs?: number;
}

export const DEFAULT_UPLOAD_LEASE_MS = 30_000;

export const DEFAULT_REVIEW_DELAY_MS = 2 * 3_600_000;

export interface RegistryDeps {
  readonly db: Kysely<Database>;
  readonly storage: StorageDriver;
  readonly bus: EventBus;
  readonly limits: RegistryLimits;
  readonly now?: () => number;
  /**
   * Called inside the transaction that makes a change (a manifest push, a tag move, a delete)
   * with the events it will emit once committed: an outbox writes them here, so if the change is
   * committed its events exist (DESIGN.md, Events). A throw rolls the change back.
   */
  readonly inTransaction?: (trx: Executor, events: readonly RegistryEvent[]) => Promise<void>;
}
