// Blob pulls (distribution-spec v1.1, Pull and Content Management): GET, HEAD, Range, repository
// scoping and DELETE.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  berthOnly, call, digestOf, isBerth, expectBlob, expectError, expectStatus, randomBlob, repoName,
  startServer, uploadBlob, type Server,
} from './helpers.ts';

describe('blob pulls', () => {
  let srv: Server;
  let repo: string;
  let data: Buffer;
  let digest: string;
  before(async () => {
    srv = await startServer();
    repo = repoName();
    data = randomBlob(10_000);
    digest = await uploadBlob(srv, repo, data);
  });
  after(async () => { await srv?.stop(); });

  it('GET answers 200 with the bytes, Docker-Content-Digest and Content-Length', async () => {
    const res = await call(srv, 'GET', `/v2/${repo}/blobs/${digest}`);
    const body = await expectStatus(res, 200, 'GET blob');
    assert.ok(body.equals(data), 'blob bytes differ');
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(digestOf(body), digest, 'the body hashes to the digest');
  });

  it('HEAD answers 200 with Docker-Content-Digest and Content-Length and no body', async () => {
    const res = await call(srv, 'HEAD', `/v2/${repo}/blobs/${digest}`);
    const body = await expectStatus(res, 200, 'HEAD blob');
    assert.equal(body.length, 0);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('content-length'), String(data.length));
  });

  it('GET with Range answers 206 with Content-Range and exactly those bytes', async () => {
    for (const [start, end] of [[0, 0], [100, 1099], [9000, 9999]] as const) {
      const res = await call(srv, 'GET', `/v2/${repo}/blobs/${digest}`, { headers: { range: `bytes=${start}-${end}` } });
      const body = await expectStatus(res, 206, `GET bytes=${start}-${end}`);
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${data.length}`);
      assert.equal(res.headers.get('content-length'), String(end - start + 1));
      assert.equal(res.headers.get('docker-content-digest'), digest, 'a 206 answer concerns the blob and carries its digest');
      assert.ok(body.equals(data.subarray(start, end + 1)), `bytes ${start}-${end} differ`);
    }
  });

  it('GET with an open-ended and a suffix Range answers 206', async () => {
    let res = await call(srv, 'GET', `/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=9500-' } });
    let body = await expectStatus(res, 206, 'GET bytes=9500-');
    assert.equal(res.headers.get('content-range'), `bytes 9500-9999/${data.length}`);
    assert.ok(body.equals(data.subarray(9500)));
    res = await call(srv, 'GET', `/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=-10' } });
    body = await expectStatus(res, 206, 'GET bytes=-10');
    assert.equal(res.headers.get('content-range'), `bytes 9990-9999/${data.length}`);
    assert.ok(body.equals(data.subarray(9990)));
  });

  it('a large blob (sent through reused buffers) comes back whole, in ranges across buffer edges, and after a client that hung up', async () => {
    const big = randomBlob(9 * 1024 * 1024 + 12_345);
    const bigDigest = await uploadBlob(srv, repo, big);
    const res = await call(srv, 'GET', `/v2/${repo}/blobs/${bigDigest}`);
    const body = await expectStatus(res, 200, 'GET large blob');
    assert.equal(res.headers.get('content-length'), String(big.length));
    assert.equal(res.headers.get('docker-content-digest'), bigDigest);
    if (isBerth) assert.ok(res.headers.get('x-request-id'), 'headers set before the body was taken over are sent');
    assert.equal(digestOf(body), bigDigest);
    for (const [start, end] of [[1024 * 1024 - 7, 6 * 1024 * 1024 + 3], [0, 5 * 1024 * 1024], [big.length - 4_200_000, big.length - 1]] as const) {
      const r = await call(srv, 'GET', `/v2/${repo}/blobs/${bigDigest}`, { headers: { range: `bytes=${start}-${end}` } });
      const part = await expectStatus(r, 206, `GET bytes=${start}-${end}`);
      assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${big.length}`);
      assert.ok(part.equals(big.subarray(start, end + 1)), `bytes ${start}-${end} differ`);
    }
    // A client that reads a little and hangs up must not stall the server.
    const aborter = new AbortController();
    const partial = await fetch(`${srv.url}/v2/${repo}/blobs/${bigDigest}`, { signal: aborter.signal });
    const reader = partial.body!.getReader();
    await reader.read();
    aborter.abort();
    await reader.cancel().catch(() => undefined);
    const again = await call(srv, 'GET', `/v2/${repo}/blobs/${bigDigest}`);
    assert.equal(digestOf(await expectStatus(again, 200, 'GET after a hang-up')), bigDigest);
  });

  it('GET with an unsatisfiable Range answers 416', async () => {
    for (const range of [`bytes=${data.length}-${data.length + 10}`, `bytes=${data.length + 100}-`]) {
      const res = await call(srv, 'GET', `/v2/${repo}/blobs/${digest}`, { headers: { range } });
      await expectStatus(res, 416, `GET Range: ${range}`);
      const cr = res.headers.get('content-range');
      if (cr !== null) assert.equal(cr, `bytes */${data.length}`, 'Content-Range of a 416');
    }
  });

  it('an unknown blob answers 404 BLOB_UNKNOWN (GET) and 404 (HEAD)', async () => {
    const unknown = digestOf(randomBlob(32));
    await expectError(await call(srv, 'GET', `/v2/${repo}/blobs/${unknown}`), 404, 'BLOB_UNKNOWN', 'GET unknown blob');
    await expectStatus(await call(srv, 'HEAD', `/v2/${repo}/blobs/${unknown}`), 404, 'HEAD unknown blob');
  });

  it('a blob in an unknown repository answers 404', async () => {
    await expectError(await call(srv, 'GET', `/v2/${repoName('none')}/blobs/${digest}`), 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN'], 'GET blob of an unknown repository');
  });

  it('a malformed digest answers 400 DIGEST_INVALID with a JSON body, never 5xx', berthOnly('Distribution routes malformed digests to 404'), async () => {
    for (const bad of ['sha256:zz', `sha256:${'a'.repeat(63)}`, 'sha256', `sha512:${'b'.repeat(64)}`]) {
      await expectError(await call(srv, 'GET', `/v2/${repo}/blobs/${bad}`), 400, 'DIGEST_INVALID', `GET blob ${bad}`);
      await expectStatus(await call(srv, 'HEAD', `/v2/${repo}/blobs/${bad}`), 400, `HEAD blob ${bad}`);
    }
  });

  it('a blob of repository A is not pullable through repository B', async () => {
    const other = repoName();
    await uploadBlob(srv, other, randomBlob(100)); // B exists
    await expectError(await call(srv, 'GET', `/v2/${other}/blobs/${digest}`), 404, 'BLOB_UNKNOWN', 'GET A\'s blob via B');
    await expectStatus(await call(srv, 'HEAD', `/v2/${other}/blobs/${digest}`), 404, 'HEAD A\'s blob via B');
    await expectStatus(await call(srv, 'GET', `/v2/${other}/blobs/${digest}`, { headers: { range: 'bytes=0-9' } }), 404, 'ranged GET of A\'s blob via B');
  });

  it('DELETE answers 202, then the blob is 404 BLOB_UNKNOWN, and a second DELETE is 404', async () => {
    const r = repoName();
    const d = randomBlob(300);
    const dd = await uploadBlob(srv, r, d);
    await expectBlob(srv, r, d, dd, 'before delete');
    await expectStatus(await call(srv, 'DELETE', `/v2/${r}/blobs/${dd}`), 202, 'DELETE blob');
    await expectError(await call(srv, 'GET', `/v2/${r}/blobs/${dd}`), 404, 'BLOB_UNKNOWN', 'GET deleted blob');
    await expectStatus(await call(srv, 'HEAD', `/v2/${r}/blobs/${dd}`), 404, 'HEAD deleted blob');
    await expectError(await call(srv, 'DELETE', `/v2/${r}/blobs/${dd}`), 404, 'BLOB_UNKNOWN', 'DELETE again');
  });

  it('deleting a blob from one repository leaves it in another that links it', async () => {
    const a = repoName();
    const b = repoName();
    const d = randomBlob(256);
    const dd = await uploadBlob(srv, a, d);
    await uploadBlob(srv, b, d);
    await expectStatus(await call(srv, 'DELETE', `/v2/${a}/blobs/${dd}`), 202, 'DELETE blob in A');
    await expectStatus(await call(srv, 'HEAD', `/v2/${a}/blobs/${dd}`), 404, 'HEAD in A after delete');
    await expectBlob(srv, b, d, dd, 'B after deleting from A');
  });

  it('a deleted blob can be pushed again', async () => {
    const r = repoName();
    const d = randomBlob(128);
    const dd = await uploadBlob(srv, r, d);
    await expectStatus(await call(srv, 'DELETE', `/v2/${r}/blobs/${dd}`), 202, 'DELETE blob');
    await uploadBlob(srv, r, d);
    await expectBlob(srv, r, d, dd, 'after re-push');
  });
});
