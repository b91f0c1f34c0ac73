// Manifests count in a project's usage too, but push gates are not asked about them: a push whose
// layers fit must be able to finish. So inside a manifest push's transaction (Feature.inTransaction),
// a manifest new to Berth is refused only when it would take the project more than
// MANIFEST_ALLOWANCE past its limit; a manifest already stored (a retag, the same image pushed
// again) is never refused. That stops an artifact of nothing but manifests from filling storage,
// and usage can exceed the limit by at most the allowance and one manifest (4 MiB by default).
import type { RegistryEvent } from '../../core/events.ts';
import { projectOf } from '../../core/reference.ts';
import type { Executor } from '../../metadata/executor.ts';
import { projectUsage } from '../../metadata/quota.ts';
import { quotaRefusal, type QuotaCache, type QuotaGate } from './gate.ts';

export const MANIFEST_ALLOWANCE = 2 ** 20;

export function manifestQuotaCheck(quotas: QuotaCache, gate: QuotaGate): (trx: Executor, events: readonly RegistryEvent[]) => Promise<void> {
  return async (trx, events) => {
    for (const e of events) {
      if (e.type !== 'push') continue;
      const project = projectOf(e.repository);
      const quota = await quotas.limitOf(project, trx);
      if (!quota || quota.quotaBytes === null) continue;
      // New to Berth: its row was made by this very push (insertManifest keeps the first one).
      const row = await trx.selectFrom('manifests').select('created_at').where('digest', '=', e.digest).executeTakeFirst();
      if (!row || Number(row.created_at) !== e.at.getTime()) continue;
      // Far from the limit by this instance's estimate (blob steps just counted it): no count here,
      // inside the write transaction.
      const estimated = gate.estimate(project);
      if (estimated === undefined || estimated + e.size > quota.quotaBytes + MANIFEST_ALLOWANCE) {
        const usage = (await projectUsage(trx, project)).total;
        if (usage > quota.quotaBytes + MANIFEST_ALLOWANCE) {
          throw quotaRefusal({ project, limit: quota.quotaBytes, used: Math.max(0, usage - e.size), needs: e.size, stage: 'manifest' });
        }
      }
      gate.counted(project, e.size);
    }
  };
}
