// `berth gc` against a running server: a pass queued through /api/v1/gc/runs and waited for.
import { CliError } from '../cli-error.ts';
import { waitForRemoteJob, type ApiClient } from './remote.ts';
import type { GcOps, GcStatusView, GcSummaryView } from './types.ts';

export function remoteGcOps(client: ApiClient): GcOps {
  return {
    async gc(options, progress) {
      const { job } = await client.call<{ job: number }>('POST', '/gc/runs', { dryRun: options.dryRun ?? false });
      const done = await waitForRemoteJob(client, job, options.timeoutMs, (text) => {
        const m = /^(\w+): (\d+)\/(\d+)$/.exec(text);
        if (m) progress({ phase: m[1] as 'manifests', done: Number(m[2]), total: Number(m[3]) });
      }, (state) => new CliError(`the garbage collection pass (job ${job}) did not finish within ${Math.round(options.timeoutMs / 1000)} s; it is ${state}`, 'It goes on in the server: see it with berth gc status --url ...'));
      if (done.state === 'failed') throw new CliError(`garbage collection failed: ${done.error ?? 'no reason given'}`, 'See the server\'s log; the next pass retries what is left.');
      return done.result as GcSummaryView;
    },
    gcStatus: () => client.call<GcStatusView>('GET', '/gc'),
  };
}
