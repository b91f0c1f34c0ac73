// The trust commands offline, on the data directory (or PostgreSQL and the store) a server uses:
// policy and key changes are the server's at once (it reads the policy a second later at most);
// verification reads the signatures from the store in this process.
import type { Kysely } from 'kysely';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { Config } from '../../core/config.ts';
import { projectOf } from '../../core/reference.ts';
import { trustServices, type TrustServices } from '../../features/trust/index.ts';
import { verdictView } from '../../features/trust/views.ts';
import { openStorageFor, registryLimitsOf } from '../../http/stores.ts';
import type { Database } from '../../metadata/schema.ts';
import { EventBus } from '../../registry/event-bus.ts';
import { Registry } from '../../registry/registry.ts';
import type { TrustOps } from './types.ts';

export function localTrustOps(db: Kysely<Database>, config: Config, record: ChangeRecorder): TrustOps {
  let opened: { registry: Registry; services: TrustServices } | undefined;
  const open = () => {
    if (!opened) {
      const storage = openStorageFor(config);
      const registry = new Registry({ db, storage, bus: new EventBus(), limits: registryLimitsOf(config) });
      opened = { registry, services: trustServices({ db, registry, storage, record }) };
    }
    return opened;
  };
  return {
    trustKeyAdd: (project, name, key, kind) => open().services.settings.addSigner(SYSTEM, project, { name, material: key, ...(kind ? { kind } : {}) }),
    trustKeyList: async (project) => (await open().services.settings.get(SYSTEM, project)).signers,
    trustKeyRemove: (project, name) => open().services.settings.removeSigner(SYSTEM, project, name),
    trustPolicy: async (project) => ({ project, ...(await open().services.settings.get(SYSTEM, project)) }),
    updateTrustPolicy: async (project, changes) => ({ project, ...(await open().services.settings.update(SYSTEM, project, changes)) }),
    async trustVerify(repository, reference) {
      const { registry, services } = open();
      const info = await registry.manifests.resolve(repository, reference);
      const policy = await services.settings.of(projectOf(repository));
      return verdictView(repository, reference, policy.mode, await services.verdicts.of(repository, info.digest));
    },
  };
}
