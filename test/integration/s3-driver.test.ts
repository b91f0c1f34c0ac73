// The S3 driver beyond the shared contract: what only S3 makes hard. An upload's data grows by
// appends of any size into segment objects, and commit joins them into one object with a
// multipart upload (big segments copied inside the server, small runs joined into 5 MiB+ parts).
// A stage nobody finished is an open multipart upload that purgeStale aborts.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { S3Driver } from '../../src/storage/s3.ts';
import { s3TestOptions } from '../helpers/s3.ts';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const chunks = (data: Buffer, size = 256 * 1024) => Readable.from((function* () { for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size); })());
async function readAll(r: Readable): Promise<Buffer> { const out: Buffer[] = []; for await (const c of r) out.push(c as Buffer); return Buffer.concat(out); }

describe('S3 driver: segments, joins and leftovers', () => {
  let driver: S3Driver;
  let client: S3Client;
  const bucket = 'berth-s3-driver';
  before(async () => {
    const o = await s3TestOptions();
    driver = new S3Driver({ ...o, bucket });
    client = new S3Client({ endpoint: o.endpoint, region: o.region, forcePathStyle: true, credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } });
  });
  after(async () => { await driver.deletePrefix('t/'); await driver.close(); client.destroy(); });

  it('appends of 7 MiB, 1 byte, 300 KiB and 12 MiB read back while growing, and commit makes one object of them', async () => {
    const sizes = [7 * MiB, 1, 300 * 1024, 12 * MiB];
    const pieces = sizes.map((n) => randomBytes(n));
    const all = Buffer.concat(pieces);
    let at = 0;
    for (const p of pieces) at = await driver.append('t/up/data', chunks(p), at);
    assert.equal(at, all.length);
    assert.equal((await driver.stat('t/up/data'))?.size, all.length);
    // A range across three segments of the object under construction.
    const from = 7 * MiB - 10;
    const to = 7 * MiB + 300 * 1024 + 20;
    assert.ok((await readAll(await driver.read('t/up/data', { start: from, end: to }))).equals(all.subarray(from, to + 1)));
    await driver.commit('t/up/data', 't/blobs/x');
    assert.equal(await driver.stat('t/up/data'), undefined);
    const back = await readAll(await driver.read('t/blobs/x'));
    assert.equal(sha(back), sha(all));
    const listed: string[] = [];
    for await (const p of driver.list('t/')) listed.push(p);
    assert.deepEqual(listed, ['t/blobs/x'], 'the segments are gone');
  });

  it('truncate cuts inside a segment, and appends go on from there', async () => {
    const a = randomBytes(9 * MiB);
    await driver.append('t/tr/data', chunks(a), 0);
    await driver.truncate('t/tr/data', 8 * MiB + 5);
    const b = randomBytes(1000);
    assert.equal(await driver.append('t/tr/data', chunks(b), 8 * MiB + 5), 8 * MiB + 1005);
    assert.equal(sha(await readAll(await driver.read('t/tr/data'))), sha(Buffer.concat([a.subarray(0, 8 * MiB + 5), b])));
    await driver.delete('t/tr/data');
    assert.equal(await driver.stat('t/tr/data'), undefined);
  });

  it('a 20 MiB stage is a multipart upload until commit; an abandoned one is aborted by purgeStale', async () => {
    const data = randomBytes(20 * MiB);
    const staged = await driver.stage('t/staged', chunks(data));
    assert.equal(await driver.stat('t/staged'), undefined, 'invisible before commit');
    await staged.commit();
    assert.equal(sha(await readAll(await driver.read('t/staged'))), sha(data));

    const abandoned = await driver.stage('t/abandoned', chunks(randomBytes(10 * MiB)));
    void abandoned; // never committed nor discarded: a crash between stage and commit
    const open = async () => ((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 't/' }))).Uploads ?? []).length;
    assert.equal(await open(), 1);
    assert.equal(await driver.purgeStale(new Date(Date.now() - 3600_000)), 0, 'a recent one stays');
    assert.equal(await driver.purgeStale(new Date(Date.now() + 60_000)), 1);
    assert.equal(await open(), 0);
    assert.equal(await driver.stat('t/abandoned'), undefined);
  });

  it('paths that name segments are refused', async () => {
    await assert.rejects(driver.stat('t/x.~seg/0000000000000000'), /invalid path/);
    await assert.rejects(driver.put('t/x.~seg', Buffer.from('x')), /invalid path/);
  });
});
