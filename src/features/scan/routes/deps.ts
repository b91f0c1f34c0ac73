// What the scan routes need, handed over by enable().
import type { Kysely } from 'kysely';
import type { Authorizer } from '../../../auth/authorizer.ts';
import type { ChangeRecorder } from '../../../auth/directory/changes.ts';
import type { Config } from '../../../core/config.ts';
import type { JobRunner } from '../../../jobs/runner.ts';
import type { Database } from '../../../metadata/schema.ts';
import type { Registry } from '../../../registry/registry.ts';
import type { ScanServices } from '../services.ts';

export interface ScanRouteDeps {
  readonly db: Kysely<Database>;
  readonly services: ScanServices;
  readonly registry: Registry;
  readonly authorizer: Authorizer;
  readonly jobs: JobRunner;
  readonly config: Config['scan'];
  /** Feed changes and scan requests, for the audit log. */
  readonly record: ChangeRecorder;
  /** Queues the re-match of every stored image after the feed changed; the job's id. */
  readonly onFeedSwitched: (feedId: number) => Promise<number>;
}
