// The S3 server the tests use: a real Ceph radosgw, which scripts/s3-start.sh starts (.ci/run
// does, before npm test). Its endpoint and keys are in $BERTH_TEST_S3_ENV (default
// /tmp/berth-s3/env), the file that script writes. A missing server is a failure that says how
// to start it, never a skip.
import { readFileSync } from 'node:fs';
import type { S3DriverOptions } from '../../src/storage/s3.ts';

export const S3_ENV_FILE = process.env.BERTH_TEST_S3_ENV ?? '/tmp/berth-s3/env';

export async function s3TestOptions(): Promise<Omit<S3DriverOptions, 'bucket'>> {
  let text: string;
  try {
    text = readFileSync(S3_ENV_FILE, 'utf8');
  } catch {
    throw new Error(`no S3 server for the tests: ${S3_ENV_FILE} is missing. Start Ceph radosgw with: S3_DATA=/tmp/berth-s3 bash scripts/s3-start.sh (as root; .ci/run does it)`);
  }
  const env = Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const endpoint = env.S3_ENDPOINT!;
  try {
    await fetch(endpoint);
  } catch {
    throw new Error(`the S3 server at ${endpoint} (from ${S3_ENV_FILE}) does not answer. Start it with: S3_DATA=/tmp/berth-s3 bash scripts/s3-start.sh`);
  }
  return { endpoint, region: env.S3_REGION ?? 'us-east-1', accessKeyId: env.S3_ACCESS_KEY!, secretAccessKey: env.S3_SECRET_KEY!, forcePathStyle: true, prefix: '', createBucket: true };
}
