// The retention and tag history commands against a running server (/api/v1). A run streams the
// server's progress lines (NDJSON), so a long run neither times out nor goes quiet.
import { CliError } from '../cli-error.ts';
import { streamedCall, type ApiClient } from './remote.ts';
import { repoPath } from './remote-scan.ts';
import type { RetentionOps, RetentionPlanView, RetentionPolicyView, RetentionRunSummaryView, RetentionRunView, RollbackResultView, TagHistoryView } from './types.ts';

const enc = encodeURIComponent;

export function remoteRetentionOps(client: ApiClient): RetentionOps {
  const { call } = client;

  const streamed = <T>(path: string, body: unknown, progress: (text: string) => void) => streamedCall<T>(client, path, {
    body: JSON.stringify(body), contentType: 'application/json',
    lost: new CliError(`${client.server} stopped answering before the run finished`, 'See berth retention show for what the run did.'),
  }, progress);

  return {
    retentionSet: (project, source) => call<RetentionPolicyView>('PUT', `/projects/${enc(project)}/retention`, { source }),
    async retentionShow(project, runs) {
      const policy = await call<RetentionPolicyView>('GET', `/projects/${enc(project)}/retention`);
      const list = await call<{ runs: RetentionRunSummaryView[] }>('GET', `/projects/${enc(project)}/retention/runs?limit=${runs}`);
      return { policy, runs: list.runs };
    },
    retentionPreview: (project) => call<RetentionPlanView>('POST', `/projects/${enc(project)}/retention/preview`, {}),
    retentionRun: (project, options, progress) => streamed<RetentionRunView>(`/projects/${enc(project)}/retention/runs`, { dryRun: options.dryRun }, progress),
    tagHistory: (repository, tag, options) => call<TagHistoryView>('GET', `/repositories/${repoPath(repository)}/tags/${enc(tag)}/history?n=${options.limit}${options.before !== undefined ? `&before=${options.before}` : ''}`),
    tagRollback: (repository, tag, request) => call<RollbackResultView>('POST', `/repositories/${repoPath(repository)}/tags/${enc(tag)}/rollback`, request),
  };
}
