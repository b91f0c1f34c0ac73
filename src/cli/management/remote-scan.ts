// The scan commands against a running server (/api/v1): feed imports (a file streamed as the
// body, or an oci:// reference the server pulls), with the server's progress lines shown as they
// come; scans queued and waited for; reports, policies and the registry-wide questions.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CliError } from '../cli-error.ts';
import { streamedCall, waitForRemoteJob, type ApiClient } from './remote.ts';
import type { FeedStatusView, ImportResultView, ReportView, ScanOps } from './types.ts';

const NDJSON = 'application/x-ndjson';
const enc = encodeURIComponent;
/** `project/repo/sub` -> the API's {project}/{repository} with the rest's "/" encoded. */
export const repoPath = (repository: string): string => {
  const slash = repository.indexOf('/');
  return `${enc(repository.slice(0, slash))}/${enc(repository.slice(slash + 1))}`;
};

export function remoteScanOps(client: ApiClient): ScanOps {
  const { call } = client;

  const streamed = <T>(path: string, init: { body: string | Readable; contentType: string; length?: number }, progress: (text: string) => void) =>
    streamedCall<T>(client, path, { ...init, lost: new CliError(`${client.server} stopped answering before the import finished`, 'Check the server\'s log; then run the import again.') }, progress);

  const waitForJob = (id: number, timeoutMs: number, progress: (text: string) => void) => waitForRemoteJob(client, id, timeoutMs, progress,
    (state) => new CliError(`the scan (job ${id}) did not finish within ${Math.round(timeoutMs / 1000)} s; it is ${state}`, 'It goes on in the background: see it later with berth scan report, or give a longer --timeout.'));

  return {
    vulndbStatus: () => call<FeedStatusView>('GET', '/vulndb'),
    async vulndbImport(source, options, progress) {
      if (source.startsWith('oci://')) {
        return streamed<ImportResultView>('/vulndb/imports/oci', {
          contentType: 'application/json',
          body: JSON.stringify({
            reference: source, ...(options.registryUser ? { username: options.registryUser } : {}),
            ...(options.registryPassword !== undefined ? { password: options.registryPassword } : {}), ...(options.plainHttp ? { plainHttp: true } : {}),
          }),
        }, progress);
      }
      const info = await stat(source).catch(() => undefined);
      if (!info) throw new CliError(`${source} does not exist`, 'Give a folder of OSV JSON files, an osv.dev all.zip, a JSON or NDJSON file, the Debian tracker\'s JSON, or oci://HOST/REPO:TAG.');
      if (info.isDirectory()) throw new CliError(`${source} is a folder: with --url, send one file (zip it: zip -qr feed.zip ${source})`, 'Or import it offline with --data / --config on the server\'s machine.');
      let sent = 0;
      let shown = 0;
      const file = createReadStream(source);
      const counted = Readable.from((async function* () {
        for await (const chunk of file) {
          sent += (chunk as Buffer).length;
          if (sent - shown >= 16 * 1024 * 1024 || (sent === info.size && sent > 0)) {
            shown = sent;
            progress(`uploaded ${(sent / 1048576).toFixed(0)} of ${(info.size / 1048576).toFixed(0)} MiB`);
          }
          yield chunk as Buffer;
        }
      })());
      const type = source.endsWith('.zip') ? 'application/zip' : source.endsWith('.ndjson') || source.endsWith('.jsonl') ? NDJSON : 'application/octet-stream';
      return streamed<ImportResultView>('/vulndb/imports', { body: counted, contentType: type, length: info.size }, progress);
    },
    vulndbRestore: () => call<FeedStatusView & { rematchJob: number }>('POST', '/vulndb/restore'),
    async scan(repository, reference, options, progress) {
      const queued = await call<{ job: number; deduplicated: boolean; digest: string }>('POST', `/repositories/${repoPath(repository)}/scans`, { reference, ...(options.reindex ? { reindex: true } : {}) });
      progress(`queued as job ${queued.job}${queued.deduplicated ? ' (a scan of this image was already queued)' : ''}`);
      const job = await waitForJob(queued.job, options.timeoutMs, progress);
      if (job.state === 'failed') throw new CliError(`the scan failed: ${job.error ?? 'no reason given'}`);
      // The image scanned, whatever the tag points at now; shown under the name it was asked by.
      const report = await call<ReportView>('GET', `/repositories/${repoPath(repository)}/reports/${enc(queued.digest)}`);
      return { ...report, reference };
    },
    scanReport(repository, reference, filter) {
      const q = new URLSearchParams();
      if (filter.severity) q.set('severity', filter.severity);
      if (filter.fixable !== undefined) q.set('fixable', String(filter.fixable));
      if (filter.package) q.set('package', filter.package);
      return call<ReportView>('GET', `/repositories/${repoPath(repository)}/reports/${enc(reference)}${q.size ? `?${q}` : ''}`);
    },
    scanPolicy: (project) => call('GET', `/projects/${enc(project)}/scan-policy`),
    updateScanPolicy: (project, changes) => call('PATCH', `/projects/${enc(project)}/scan-policy`, changes),
    findPackage(name, options) {
      const q = new URLSearchParams({ name });
      if (options.type) q.set('type', options.type);
      if (options.versions) q.set('versions', options.versions);
      return call('GET', `/scan/packages?${q}`);
    },
    findAdvisory: (id) => call('GET', `/scan/advisories/${enc(id)}`),
  };
}
