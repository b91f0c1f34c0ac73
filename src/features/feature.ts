// How a feature plugs in (DESIGN.md, How features plug in): `enable(ctx)` takes what the layers
// below offer and returns what the feature contributes. The composition root adds each feature
// with one line; nothing under features/ is imported by the core.
import type { Kysely } from 'kysely';
import type { Registry as PromRegistry } from 'prom-client';
import type { BuiltinAuth } from '../auth/builtin.ts';
import type { ChangeRecorder } from '../auth/directory/changes.ts';
import type { Config } from '../core/config.ts';
import type { ApiRoute } from '../http/api/route.ts';
import type { JobRunner } from '../jobs/runner.ts';
import type { Dialect } from '../metadata/db.ts';
import type { Database } from '../metadata/schema.ts';
import type { Registry } from '../registry/registry.ts';
import type { PullGate } from '../registry/pull-gate.ts';
import type { RegistryEvent } from '../core/events.ts';
import type { Executor } from '../metadata/executor.ts';
import type { StorageDriver } from '../storage/driver.ts';

export interface FeatureLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface FeatureContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly config: Config;
  readonly registry: Registry;
  readonly storage: StorageDriver;
  readonly jobs: JobRunner;
  /** Users, projects and the authorizer (auth.mode builtin); undefined in the other modes. */
  readonly identity?: BuiltinAuth;
  /** Management changes, for the audit log. */
  readonly record: ChangeRecorder;
  readonly log: FeatureLog;
  /** The clock of leases and timestamps (the database's, metadata/db-clock.ts); Date.now when absent. */
  readonly now?: () => number;
}

export interface Feature {
  readonly name: string;
  /** /api/v1 routes; they land in the OpenAPI document with the core's. */
  readonly routes?: readonly ApiRoute[];
  /** What the web UI may offer (GET /api/v1/capabilities lists the names). */
  readonly capabilities?: readonly string[];
  /** Refuse (or let through) manifest GETs; HEAD and Berth's own reads are never asked. */
  readonly pullGates?: readonly PullGate[];
  /**
   * Called inside the transaction of every registry change with the events it will emit (the
   * Registry's inTransaction): what a feature writes here is committed with the change or not at all.
   */
  inTransaction?(trx: Executor, events: readonly RegistryEvent[]): Promise<void>;
  /** Prometheus metrics, served on /metrics with the core's. */
  readonly metrics?: PromRegistry;
  /** Starts background work once the server listens. */
  start?(): void;
  close?(): Promise<void>;
}
