// Per-project storage quotas (docs/quotas.md): a limit in bytes set by administrators
// (berth project update NAME --quota 10GiB, or PATCH /projects/{name} {quotaBytes}); usage counted
// from the rows the push transactions commit (metadata/quota.ts); pushes that would exceed it
// refused with DENIED and a message clients print; deletes always allowed; one quota.warning event
// (webhooks) and log warning when usage reaches 80%.
import { onQuotaChange } from '../../metadata/quota.ts';
import type { Feature, FeatureContext } from '../feature.ts';
import { QuotaCache, QuotaGate } from './gate.ts';
import { manifestQuotaCheck } from './manifests.ts';
import { QuotaWarnings } from './warnings.ts';

export interface QuotaFeature extends Feature {
  readonly gate: QuotaGate;
  readonly warnings: QuotaWarnings;
}

export function enableQuota(ctx: FeatureContext): QuotaFeature {
  const quotas = new QuotaCache(ctx.db);
  const { registry } = ctx;
  const gate = new QuotaGate(ctx.db, quotas, (repository, id) => {
    // After the refusal is answered (the upload's lock is held until then): its bytes stop counting.
    void registry.uploads.cancel(repository, id).catch(() => {});
  });
  registry.pushGates.add(gate);
  const warnings = new QuotaWarnings(ctx.db, registry.bus, quotas, ctx.log);
  const unsubscribe = [
    registry.bus.on('blob.push', (e) => gate.linked(e.repository, e.digest)),
    registry.bus.on('mount', (e) => gate.linked(e.repository, e.digest)),
    registry.bus.onAny((e) => warnings.observe(e)),
    onQuotaChange((project) => warnings.schedule(project)),
  ];
  return {
    name: 'quota',
    capabilities: ['quota'],
    gate,
    warnings,
    inTransaction: manifestQuotaCheck(quotas, gate),
    async close() {
      for (const u of unsubscribe) u();
      gate.close();
      quotas.close();
      await warnings.settled();
    },
  };
}
