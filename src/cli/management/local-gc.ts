// `berth gc` offline, on the data directory (or PostgreSQL and the store) a server uses: the same
// collector in this process. Safe while a server runs: every candidate is locked and re-checked in
// the transaction that deletes it, and the server's recent lookups are in the review queues.
import type { Kysely } from 'kysely';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { Config } from '../../core/config.ts';
import { gcServices } from '../../features/gc/index.ts';
import { REVIEW_FENCE_MS } from '../../metadata/gc-queues.ts';
import { openStorageFor, registryLimitsOf } from '../../http/stores.ts';
import type { Database } from '../../metadata/schema.ts';
import { EventBus } from '../../registry/event-bus.ts';
import { Registry } from '../../registry/registry.ts';
import type { GcOps } from './types.ts';

export function localGcOps(db: Kysely<Database>, config: Config, record: ChangeRecorder): GcOps {
  const open = () => {
    const storage = openStorageFor(config);
    const registry = new Registry({ db, storage, bus: new EventBus(), limits: registryLimitsOf(config) });
    return gcServices({ db, storage, registry, config, record });
  };
  return {
    async gc(options, progress) {
      return open().run('cli', SYSTEM, {
        ...(options.dryRun ? { dryRun: true } : {}),
        // Offline there may be no server to remove the bytes later: wait for them (seconds).
        waitForBytesMs: options.dryRun ? 0 : config.gc.byteDeleteDelaySeconds * 1000 + 1000,
        settleMs: REVIEW_FENCE_MS + 1000,
        progress,
      });
    },
    gcStatus: () => open().status(),
  };
}
