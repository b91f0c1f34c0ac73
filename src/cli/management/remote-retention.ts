// The retention and tag history commands against a running server (/api/v1). A run streams the
// server's progress lines (NDJSON), so a long run neither times out nor goes quiet.
import { CliError } from '../cli-error.ts';
import type { ApiClient } from './remote.ts';
import { repoPath } from './remote-scan.ts';
import type { RetentionOps, RetentionPlanView, RetentionPolicyView, RetentionRunSummaryView, RetentionRunView, RollbackResultView, TagHistoryView } from './types.ts';

const enc = encodeURIComponent;
const NDJSON = 'application/x-ndjson';

export function remoteRetentionOps(client: ApiClient): RetentionOps {
  const { call } = client;

  async function streamed<T>(path: string, body: unknown, progress: (text: string) => void): Promise<T> {
    let response: Response;
    try {
      response = await fetch(client.url(path), {
        method: 'POST',
        headers: { accept: NDJSON, 'content-type': 'application/json', ...(client.authorization ? { authorization: client.authorization } : {}) },
        body: JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${client.server}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, 'Is "berth serve" running there? Check --url.');
    }
    if (!response.ok) throw client.refusal(response.status, response.statusText, await response.text());
    if (!response.body) throw new CliError(`${client.server} sent no answer`);
    let rest = '';
    let outcome: { result?: T; error?: { code: string; status?: number; message: string } } | undefined;
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        const item = JSON.parse(line) as { progress?: string; result?: T; error?: { code: string; status?: number; message: string } };
        if (item.progress !== undefined) progress(item.progress);
        else outcome = item;
      }
    }
    if (!outcome) throw new CliError(`${client.server} stopped answering before the run finished`, 'See berth retention show for what the run did.');
    if (outcome.error) throw client.refusal(outcome.error.status ?? 400, '', JSON.stringify({ errors: [outcome.error] }));
    return outcome.result as T;
  }

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
