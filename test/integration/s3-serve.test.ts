// berth serve with storage.driver s3 against a real Ceph radosgw (issue 14, part 1): monolithic
// and chunked pushes (chunks below and above S3's 5 MiB part minimum), pulls with ranges, a
// restart that finds everything again, readiness, and that the bytes are in the bucket, not
// under the data directory.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { s3TestOptions } from '../helpers/s3.ts';
import { call, expectImageIntact, expectStatus, pushImage, type PushedImage, type Server } from './helpers.ts';

const MiB = 1024 * 1024;
const digestOf = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('berth serve on S3 (Ceph radosgw)', { timeout: 180_000 }, () => {
  let server: BerthProcess;
  let srv: Server;
  let client: S3Client;
  const bucket = `berth-serve-${randomBytes(3).toString('hex')}`;
  let env: Record<string, string>;

  before(async () => {
    const o = await s3TestOptions();
    env = {
      BERTH_STORAGE_DRIVER: 's3', BERTH_STORAGE_S3_ENDPOINT: o.endpoint, BERTH_STORAGE_S3_BUCKET: bucket,
      BERTH_STORAGE_S3_ACCESS_KEY_ID: o.accessKeyId, BERTH_STORAGE_S3_SECRET_ACCESS_KEY: o.secretAccessKey, BERTH_STORAGE_S3_PREFIX: 'reg/',
      BERTH_SCAN_ENABLED: 'false',
    };
    server = await startBerth({ auth: 'none', env });
    srv = server as unknown as Server;
    client = new S3Client({ endpoint: o.endpoint, region: o.region, forcePathStyle: true, credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } });
  });
  after(async () => { await server?.kill(); client?.destroy(); });

  let image: PushedImage;
  let big: Buffer;

  it('a monolithic push and pull, with the bytes in the bucket under the prefix', async () => {
    image = await pushImage(srv, 'library/on-s3', { tag: 'v1', layers: 2, layerSize: 3 * MiB });
    await expectImageIntact(srv, image);
    const keys = ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'reg/blobs/' }))).Contents ?? []).map((o) => o.Key);
    for (const l of image.layers) assert.ok(keys.includes(`reg/blobs/sha256/${l.digest.slice(7, 9)}/${l.digest.slice(7)}`), `${l.digest} is in the bucket`);
    const local = await readdir(join(server.dataDir, 'storage')).catch(() => [] as string[]);
    assert.deepEqual(local.filter((f) => f === 'blobs'), [], 'no blobs under the data directory');
  });

  it('a chunked push: 6 MiB, 1 KiB and 9 MiB chunks, then a ranged pull across them', async () => {
    big = randomBytes(6 * MiB + 1024 + 9 * MiB);
    const start = await call(srv, 'POST', '/v2/library/on-s3/blobs/uploads/');
    await expectStatus(start, 202);
    let location = start.headers.get('location')!;
    let at = 0;
    for (const size of [6 * MiB, 1024, 9 * MiB]) {
      const chunk = big.subarray(at, at + size);
      const res = await call(srv, 'PATCH', location, { headers: { 'content-type': 'application/octet-stream', 'content-range': `${at}-${at + size - 1}`, 'content-length': String(size) }, body: chunk });
      await expectStatus(res, 202, `PATCH ${at}`);
      assert.equal(res.headers.get('range'), `0-${at + size - 1}`);
      location = res.headers.get('location')!;
      at += size;
    }
    const sep = location.includes('?') ? '&' : '?';
    await expectStatus(await call(srv, 'PUT', `${location}${sep}digest=${digestOf(big)}`), 201);
    const whole = Buffer.from(await (await call(srv, 'GET', `/v2/library/on-s3/blobs/${digestOf(big)}`)).arrayBuffer());
    assert.equal(digestOf(whole), digestOf(big));
    const part = await call(srv, 'GET', `/v2/library/on-s3/blobs/${digestOf(big)}`, { headers: { range: `bytes=${6 * MiB - 5}-${6 * MiB + 2000}` } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(big.subarray(6 * MiB - 5, 6 * MiB + 2001)));
    const leftovers = ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'reg/uploads/' }))).Contents ?? []).length;
    assert.equal(leftovers, 0, 'the upload\'s segments are gone after the commit');
  });

  it('/readyz checks the bucket; a restart serves everything again', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok', storage: 'ok' } });
    server = await server.restart();
    srv = server as unknown as Server;
    await expectImageIntact(srv, image, 'after a restart');
    const again = Buffer.from(await (await call(srv, 'GET', `/v2/library/on-s3/blobs/${digestOf(big)}`)).arrayBuffer());
    assert.equal(digestOf(again), digestOf(big));
  });

  it('a bucket that cannot be reached makes the start fail with what to check', async () => {
    await assert.rejects(
      startBerth({ auth: 'none', env: { ...env, BERTH_STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9', BERTH_STORAGE_S3_BUCKET: 'nowhere' } }).then((s) => s.kill()),
      /storage\.s3: bucket nowhere at http:\/\/127\.0\.0\.1:9 is not reachable/,
    );
  });
});
