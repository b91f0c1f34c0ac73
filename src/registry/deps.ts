// What the registry services need from the layers below, wired once by the server.
import type { Kysely } from 'kysely';
import type { Database } from '../metadata/schema.ts';
import type { StorageDriver } from '../storage/driver.ts';
import type { EventBus } from './event-bus.ts';

export interface RegistryLimits {
  readonly manifestMaxBytes: number;
  readonly pageMaxEntries: number;
}

export interface RegistryDeps {
  readonly db: Kysely<Database>;
  readonly storage: StorageDriver;
  readonly bus: EventBus;
  readonly limits: RegistryLimits;
  readonly now?: () => number;
}
