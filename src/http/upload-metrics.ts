// /metrics for how uploads found their digests: with several instances on storage.uploadHashState
// database, a chunked upload whose requests land on different instances should read nothing back
// (berth_upload_digest_reread_bytes_total stays flat while ..._continued_total grows).
import { Counter, Registry } from 'prom-client';
import type { UploadDigestStats } from '../registry/uploads.ts';

export function uploadDigestMetrics(stats: () => UploadDigestStats): Registry {
  const registry = new Registry();
  new Counter({
    name: 'berth_upload_digest_reread_bytes_total',
    help: 'Bytes of uploads read back from storage to compute their digest, because no running digest covered them (a restart, a failed chunk, or another instance with storage.uploadHashState memory)',
    registers: [registry],
    collect() { this.reset(); this.inc(stats().rereadBytes); },
  });
  new Counter({
    name: 'berth_upload_digest_continued_total',
    help: 'Chunks and closing PUTs that continued a running digest saved in the upload row (storage.uploadHashState database)',
    registers: [registry],
    collect() { this.reset(); this.inc(stats().continuedFromRow); },
  });
  return registry;
}
