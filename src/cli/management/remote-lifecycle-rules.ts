// The immutability commands against a running server (/api/v1).
import type { ApiClient } from './remote.ts';
import type { ImmutableOps, ImmutableRuleView, ImmutableRulesView } from './types.ts';

const enc = encodeURIComponent;

export function remoteLifecycleRuleOps(client: ApiClient): ImmutableOps {
  const { call } = client;
  return {
    immutableList: (project) => call<ImmutableRulesView>('GET', `/projects/${enc(project)}/immutable-rules`),
    immutableAdd: (project, rule) => call<ImmutableRuleView>('POST', `/projects/${enc(project)}/immutable-rules`, rule),
    immutableRemove: async (project, id) => { await call('DELETE', `/projects/${enc(project)}/immutable-rules/${id}`); },
  };
}
