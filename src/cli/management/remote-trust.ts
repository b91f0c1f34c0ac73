// The trust commands against a running server (/api/v1).
import type { ApiClient } from './remote.ts';
import { repoPath } from './remote-scan.ts';
import type { TrustOps, TrustPolicyView, TrustSignerView, VerdictView } from './types.ts';

const enc = encodeURIComponent;

export function remoteTrustOps(client: ApiClient): TrustOps {
  const { call } = client;
  return {
    trustKeyAdd: (project, name, key, kind) => call<TrustSignerView>('POST', `/projects/${enc(project)}/trust-keys`, { name, key, ...(kind ? { kind } : {}) }),
    trustKeyList: async (project) => (await call<{ signers: TrustSignerView[] }>('GET', `/projects/${enc(project)}/trust-keys`)).signers,
    trustKeyRemove: async (project, name) => { await call('DELETE', `/projects/${enc(project)}/trust-keys/${enc(name)}`); },
    trustPolicy: (project) => call<TrustPolicyView>('GET', `/projects/${enc(project)}/trust-policy`),
    updateTrustPolicy: (project, changes) => call<TrustPolicyView>('PATCH', `/projects/${enc(project)}/trust-policy`, changes),
    trustVerify: (repository, reference) => call<VerdictView>('GET', `/repositories/${repoPath(repository)}/trust/${enc(reference)}`),
  };
}
