// --s3 (issue 14): both registries store blobs in the same Ceph radosgw, each in a bucket of its
// own made for the run. scripts/s3-start.sh starts radosgw (RAM-backed) when none answers at
// $BENCH_S3_ENV (default /tmp/berth-s3/env); the bench stops only one it started.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface BenchS3 {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** A new bucket for one registry. */
  bucket(name: string): Promise<string>;
  stop(): void;
}

function answers(endpoint: string): boolean {
  return spawnSync('curl', ['-s', '-o', '/dev/null', '-m', '2', endpoint]).status === 0;
}

export async function openBenchS3(log: (s: string) => void): Promise<BenchS3> {
  const envFile = process.env.BENCH_S3_ENV ?? '/tmp/berth-s3/env';
  let started = false;
  const read = () => Object.fromEntries(readFileSync(envFile, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  if (!existsSync(envFile) || !answers(read().S3_ENDPOINT ?? '')) {
    log(`starting Ceph radosgw (scripts/s3-start.sh, RAM-backed, state in ${dirname(envFile)})`);
    const r = spawnSync('bash', ['scripts/s3-start.sh'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, S3_DATA: dirname(envFile), S3_OBJECTSTORE: 'memstore', S3_OSD_SIZE_GB: '12' } });
    if (r.status !== 0) throw new Error('radosgw did not start (scripts/s3-start.sh; it needs root to install Ceph the first time)');
    started = true;
  }
  const env = read();
  const s3 = { endpoint: env.S3_ENDPOINT!, region: env.S3_REGION ?? 'us-east-1', accessKey: env.S3_ACCESS_KEY!, secretKey: env.S3_SECRET_KEY! };
  const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } });
  const run = Date.now().toString(36);
  log(`S3: Ceph radosgw at ${s3.endpoint}`);
  return {
    ...s3,
    async bucket(name) {
      const bucket = `bench-${name}-${run}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    stop() {
      client.destroy();
      if (started) spawnSync('bash', ['scripts/s3-stop.sh'], { stdio: 'inherit', env: { ...process.env, S3_DATA: dirname(envFile) } });
    },
  };
}
