// Blob uploads (distribution-spec v1.1, Push): monolithic, POST then PUT, chunked, streamed,
// status, cancel, errors, sha512, cross-repository mount and concurrent pushes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  abs, berthOnly, call, digestOf, expectAlive, expectDigestHeader, expectBlob, expectError, expectStatus, location, isBerth,
  randomBlob, rangeEnd, repoName, sendTruncated, startServer, startUpload, uploadBlob, withQuery, type Server,
} from './helpers.ts';

function patch(srv: Server, loc: string, data: Uint8Array, contentRange?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(data.length) };
  if (contentRange !== undefined) headers['content-range'] = contentRange;
  return call(srv, 'PATCH', loc, { headers, body: data });
}

function put(srv: Server, loc: string, digest: string, data?: Uint8Array, contentRange?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(data?.length ?? 0) };
  if (contentRange !== undefined) headers['content-range'] = contentRange;
  return call(srv, 'PUT', withQuery(loc, { digest }), data ? { headers, body: data } : { headers });
}

/** PATCHes one chunk with its Content-Range and checks the 202 answer; returns the next Location. */
async function patchChunk(srv: Server, loc: string, data: Uint8Array, offset: number): Promise<string> {
  const res = await patch(srv, loc, data, `${offset}-${offset + data.length - 1}`);
  await expectStatus(res, 202, `PATCH chunk at ${offset}`);
  assert.equal(rangeEnd(res.headers.get('range')), offset + data.length - 1, 'Range after the chunk');
  return location(srv, res);
}

/** GET on an upload: 204 with Range, Location and Docker-Upload-UUID; returns the last byte index. */
async function uploadStatus(srv: Server, loc: string): Promise<number> {
  const res = await call(srv, 'GET', loc);
  await expectStatus(res, 204, 'GET upload status');
  location(srv, res);
  assert.ok(res.headers.get('docker-upload-uuid'), 'upload status lacks Docker-Upload-UUID');
  return rangeEnd(res.headers.get('range'));
}

/** The 201 answer that closes an upload: Location GETs the blob, Docker-Content-Digest is its digest. */
async function expectCreated(srv: Server, res: Response, repo: string, data: Buffer, digest: string, what: string): Promise<void> {
  await expectStatus(res, 201, what);
  expectDigestHeader(res, data, digest, what);
  const blobUrl = location(srv, res);
  // The spec asks for "a pullable blob URL"; Berth answers with the blob's own path. (Distribution
  // names sha512 blobs by their canonical sha256 digest.)
  if (isBerth) assert.equal(new URL(blobUrl).pathname, `/v2/${repo}/blobs/${digest}`, `${what}: Location of the blob`);
  else assert.ok(new URL(blobUrl).pathname.startsWith(`/v2/${repo}/blobs/`), `${what}: Location ${blobUrl} is not a blob of ${repo}`);
  const got = await call(srv, 'GET', blobUrl);
  const body = await expectStatus(got, 200, `${what}: GET the Location`);
  assert.ok(body.equals(data), `${what}: the blob's bytes differ`);
}

describe('blob uploads', () => {
  let srv: Server;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('monolithic single POST ?digest= answers 201 with the blob Location', berthOnly('Distribution 2.8.2 answers single POST with 202'), async () => {
    const repo = repoName();
    const data = randomBlob(5000);
    const digest = digestOf(data);
    const res = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
      body: data,
    });
    await expectCreated(srv, res, repo, data, digest, 'POST ?digest=');
  });

  it('POST then PUT: 202 with Location and Docker-Upload-UUID, then 201', async () => {
    const repo = repoName();
    const data = randomBlob(70_000);
    const digest = digestOf(data);
    const post = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'content-length': '0' } });
    await expectStatus(post, 202, 'POST upload');
    const loc = location(srv, post);
    const uuid = post.headers.get('docker-upload-uuid');
    assert.ok(uuid, 'POST answer lacks Docker-Upload-UUID');
    assert.ok(loc.includes(uuid), `Location ${loc} does not carry the session id ${uuid}`);
    await expectCreated(srv, await put(srv, loc, digest, data), repo, data, digest, 'PUT monolithic');
  });

  it('chunked PATCH with Content-Range, then PUT without a body', async () => {
    const repo = repoName();
    const data = randomBlob(300_000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    const cuts = [0, 100_000, 250_000, data.length];
    for (let i = 0; i + 1 < cuts.length; i++) loc = await patchChunk(srv, loc, data.subarray(cuts[i], cuts[i + 1]), cuts[i]!);
    assert.equal(await uploadStatus(srv, loc), data.length - 1);
    await expectCreated(srv, await put(srv, loc, digest), repo, data, digest, 'closing PUT');
  });

  it('chunked PATCH, with the last chunk in the closing PUT', async () => {
    const repo = repoName();
    const data = randomBlob(20_000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data.subarray(0, 12_000), 0);
    const res = await put(srv, loc, digest, data.subarray(12_000), `12000-${data.length - 1}`);
    await expectCreated(srv, res, repo, data, digest, 'PUT with the final chunk');
  });

  it('streamed PATCH without Content-Range (chunked transfer encoding) appends', async () => {
    const repo = repoName();
    const data = randomBlob(200_000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    for (const [from, to] of [[0, 120_000], [120_000, data.length]] as const) {
      const part = data.subarray(from, to);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let o = 0; o < part.length; o += 16_384) controller.enqueue(part.subarray(o, o + 16_384));
          controller.close();
        },
      });
      const res = await call(srv, 'PATCH', loc, { headers: { 'content-type': 'application/octet-stream' }, body: stream });
      await expectStatus(res, 202, `streamed PATCH ${from}-${to - 1}`);
      assert.equal(rangeEnd(res.headers.get('range')), to - 1, 'Range after a streamed PATCH');
      loc = location(srv, res);
    }
    await expectCreated(srv, await put(srv, loc, digest), repo, data, digest, 'closing PUT after streamed PATCHes');
  });

  it('streamed PATCH with Content-Length but no Content-Range appends', async () => {
    const repo = repoName();
    const data = randomBlob(9000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    let res = await patch(srv, loc, data.subarray(0, 4000));
    await expectStatus(res, 202, 'PATCH without Content-Range');
    assert.equal(rangeEnd(res.headers.get('range')), 3999);
    loc = location(srv, res);
    res = await patch(srv, loc, data.subarray(4000));
    await expectStatus(res, 202, 'second PATCH without Content-Range');
    assert.equal(rangeEnd(res.headers.get('range')), 8999);
    await expectCreated(srv, await put(srv, location(srv, res), digest), repo, data, digest, 'closing PUT');
  });

  it('a zero-length blob uploads (POST then PUT) and pulls with Content-Length 0', async () => {
    const repo = repoName();
    const empty = Buffer.alloc(0);
    const digest = digestOf(empty);
    const loc = await startUpload(srv, repo);
    await expectCreated(srv, await put(srv, loc, digest), repo, empty, digest, 'PUT of an empty blob');
    const head = await call(srv, 'HEAD', `/v2/${repo}/blobs/${digest}`);
    await expectStatus(head, 200, 'HEAD empty blob');
    assert.equal(head.headers.get('content-length'), '0');
    await expectBlob(srv, repo, empty, digest, 'empty blob:');
  });

  it('the closing PUT may carry the last chunk without Content-Range', async () => {
    const repo = repoName();
    const data = randomBlob(7000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data.subarray(0, 3000), 0);
    await expectCreated(srv, await put(srv, loc, digest, data.subarray(3000)), repo, data, digest, 'PUT with a trailing chunk and no Content-Range');
  });

  it('a 24 MiB blob streamed in one PATCH round-trips intact, with ranged reads at its end', async () => {
    const repo = repoName();
    const data = randomBlob(24 * 1024 * 1024);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= data.length) { controller.close(); return; }
        controller.enqueue(data.subarray(offset, offset + 256 * 1024));
        offset += 256 * 1024;
      },
    });
    const res = await call(srv, 'PATCH', loc, { headers: { 'content-type': 'application/octet-stream' }, body: stream });
    await expectStatus(res, 202, 'streamed 24 MiB PATCH');
    assert.equal(rangeEnd(res.headers.get('range')), data.length - 1);
    loc = location(srv, res);
    await expectCreated(srv, await put(srv, loc, digest), repo, data, digest, 'closing PUT of 24 MiB');
    const tail = await call(srv, 'GET', `/v2/${repo}/blobs/${digest}`, { headers: { range: `bytes=${data.length - 1000}-` } });
    const body = await expectStatus(tail, 206, 'ranged GET of the tail');
    assert.ok(body.equals(data.subarray(data.length - 1000)));
  });

  it('GET on an upload answers 204 with Range 0-<last>, Location and Docker-Upload-UUID', async () => {
    const repo = repoName();
    const data = randomBlob(1234);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data, 0);
    const res = await call(srv, 'GET', loc);
    const body = await expectStatus(res, 204, 'GET upload');
    assert.equal(body.length, 0);
    assert.equal(res.headers.get('range'), '0-1233', 'Range of the upload status');
    const statusLoc = location(srv, res);
    const uuid = res.headers.get('docker-upload-uuid');
    assert.ok(uuid, 'Docker-Upload-UUID missing');
    assert.ok(statusLoc.includes(uuid), `Location ${statusLoc} does not carry the session id ${uuid}`);
  });

  it('DELETE cancels an upload (204); the id is then 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const repo = repoName();
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, randomBlob(100), 0);
    await expectStatus(await call(srv, 'DELETE', loc), 204, 'DELETE upload');
    await expectError(await call(srv, 'GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET a cancelled upload');
    await expectError(await patch(srv, loc, randomBlob(10), '100-109'), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH a cancelled upload');
    await expectError(await put(srv, loc, digestOf('x'), Buffer.from('x')), 404, 'BLOB_UPLOAD_UNKNOWN', 'PUT a cancelled upload');
    await expectError(await call(srv, 'DELETE', loc), 404, 'BLOB_UPLOAD_UNKNOWN', 'DELETE a cancelled upload again');
  });

  it('an out-of-order chunk answers 416 with the current Range, and the upload continues', async () => {
    const repo = repoName();
    const data = randomBlob(3000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data.subarray(0, 1000), 0);
    // A gap (starts at 2000 instead of 1000) and an overlap (starts at 500).
    for (const start of [2000, 500]) {
      const res = await patch(srv, loc, data.subarray(start, start + 1000), `${start}-${start + 999}`);
      await expectStatus(res, 416, `out-of-order chunk at ${start}`);
      if (isBerth) assert.equal(res.headers.get('range'), '0-999', '416 answer carries the current Range');
    }
    assert.equal(await uploadStatus(srv, loc), 999, 'the offset is unchanged after 416');
    loc = await patchChunk(srv, loc, data.subarray(1000), 1000);
    await expectCreated(srv, await put(srv, loc, digest), repo, data, digest, 'PUT after a 416');
  });

  it('a finished upload id answers 404 BLOB_UPLOAD_UNKNOWN', async () => {
    const repo = repoName();
    const data = randomBlob(512);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data, 0);
    await expectStatus(await put(srv, loc, digest), 201, 'closing PUT');
    await expectError(await call(srv, 'GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET a finished upload');
    await expectError(await patch(srv, loc, randomBlob(10), '512-521'), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH a finished upload');
    await expectError(await put(srv, loc, digest), 404, 'BLOB_UPLOAD_UNKNOWN', 'PUT a finished upload');
  });

  it('a digest that does not match the content answers 400 DIGEST_INVALID and stores nothing', async () => {
    const repo = repoName();
    const data = randomBlob(4096);
    const claimed = digestOf(randomBlob(16));
    const loc = await startUpload(srv, repo);
    await expectError(await put(srv, loc, claimed, data), 400, 'DIGEST_INVALID', 'PUT with a wrong digest');
    await expectStatus(await call(srv, 'HEAD', `/v2/${repo}/blobs/${claimed}`), 404, 'HEAD the claimed digest');
    await expectStatus(await call(srv, 'HEAD', `/v2/${repo}/blobs/${digestOf(data)}`), 404, 'HEAD the real digest');
  });

  it('a wrong digest on a chunked upload answers 400 DIGEST_INVALID', async () => {
    const repo = repoName();
    const data = randomBlob(4096);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data, 0);
    await expectError(await put(srv, loc, digestOf(data.subarray(1))), 400, 'DIGEST_INVALID', 'closing PUT with a wrong digest');
  });

  it('a wrong digest on a single POST answers 400 DIGEST_INVALID', berthOnly('single POST unsupported'), async () => {
    const repo = repoName();
    const data = randomBlob(100);
    const res = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digestOf('other')}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': '100' },
      body: data,
    });
    await expectError(res, 400, 'DIGEST_INVALID', 'POST ?digest= with a wrong digest');
  });

  for (const bad of ['sha256:xyz', 'garbage', `sha256:${'a'.repeat(63)}`, `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, 'sha256:', `md5:${'a'.repeat(32)}`]) {
    it(`a malformed digest ${JSON.stringify(bad.slice(0, 20))} on the closing PUT answers 400 DIGEST_INVALID with a JSON body`, async () => {
      const repo = repoName();
      const loc = await startUpload(srv, repo);
      const res = await call(srv, 'PUT', withQuery(loc, { digest: bad }), {
        headers: { 'content-type': 'application/octet-stream', 'content-length': '4' },
        body: Buffer.from('data'),
      });
      await expectError(res, 400, ['DIGEST_INVALID', ...(isBerth ? [] : ['UNSUPPORTED'])], `PUT ?digest=${bad}`);
    });
  }

  it('a malformed digest on a single POST answers 400 DIGEST_INVALID with a JSON body', berthOnly('single POST unsupported'), async () => {
    const repo = repoName();
    const res = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/?digest=sha256:nothex`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': '4' },
      body: Buffer.from('data'),
    });
    await expectError(res, 400, 'DIGEST_INVALID', 'POST ?digest=sha256:nothex');
  });

  it('a PUT without ?digest= does not complete the upload', async () => {
    const repo = repoName();
    const loc = await startUpload(srv, repo);
    const res = await call(srv, 'PUT', loc, { headers: { 'content-type': 'application/octet-stream', 'content-length': '4' }, body: Buffer.from('data') });
    assert.ok(res.status >= 400 && res.status < 500, `PUT without digest: expected a 4xx, got ${res.status}`);
    await res.arrayBuffer();
    await expectStatus(await call(srv, 'HEAD', `/v2/${repo}/blobs/${digestOf('data')}`), 404, 'HEAD after a PUT without digest');
  });

  it('sha512: monolithic and chunked uploads, pulled by their sha512 digest', async () => {
    const repo = repoName();
    const a = randomBlob(3000);
    const da = await uploadBlob(srv, repo, a, 'sha512');
    assert.match(da, /^sha512:[a-f0-9]{128}$/);
    await expectBlob(srv, repo, a, da);
    const head = await call(srv, 'HEAD', `/v2/${repo}/blobs/${da}`);
    await expectStatus(head, 200, 'HEAD sha512 blob');
    expectDigestHeader(head, a, da, 'HEAD sha512 blob');
    assert.equal(head.headers.get('content-length'), '3000');

    const b = randomBlob(10_000);
    const db = digestOf(b, 'sha512');
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, b.subarray(0, 6000), 0);
    loc = await patchChunk(srv, loc, b.subarray(6000), 6000);
    await expectCreated(srv, await put(srv, loc, db), repo, b, db, 'sha512 chunked PUT');
  });

  it('a sha512 digest that does not match answers 400 DIGEST_INVALID', async () => {
    const repo = repoName();
    const loc = await startUpload(srv, repo);
    await expectError(await put(srv, loc, digestOf('not it', 'sha512'), Buffer.from('data')), 400, 'DIGEST_INVALID', 'sha512 mismatch');
  });

  it('a single POST with a sha512 digest answers 201', berthOnly('single POST unsupported'), async () => {
    const repo = repoName();
    const data = randomBlob(777);
    const digest = digestOf(data, 'sha512');
    const res = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': '777' },
      body: data,
    });
    await expectCreated(srv, res, repo, data, digest, 'POST ?digest=sha512:...');
  });

  it("an upload id used under another repository answers 404 BLOB_UPLOAD_UNKNOWN and the owner's upload survives", async () => {
    const owner = repoName();
    const other = repoName();
    await uploadBlob(srv, other, randomBlob(10)); // the other repository exists
    const data = randomBlob(2000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, owner);
    loc = await patchChunk(srv, loc, data.subarray(0, 1000), 0);
    const u = new URL(loc);
    assert.ok(u.pathname.startsWith(`/v2/${owner}/`), `upload Location ${u.pathname} is not under /v2/${owner}/`);
    u.pathname = u.pathname.replace(`/v2/${owner}/`, `/v2/${other}/`);
    const foreign = u.href;
    await expectError(await patch(srv, foreign, data.subarray(1000), `1000-1999`), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH via another repository');
    await expectError(await call(srv, 'GET', foreign), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET via another repository');
    await expectError(await put(srv, foreign, digest, data.subarray(1000), '1000-1999'), 404, 'BLOB_UPLOAD_UNKNOWN', 'PUT via another repository');
    await expectError(await call(srv, 'DELETE', foreign), 404, 'BLOB_UPLOAD_UNKNOWN', 'DELETE via another repository');
    assert.equal(await uploadStatus(srv, loc), 999, "the owner's upload is unchanged");
    loc = await patchChunk(srv, loc, data.subarray(1000), 1000);
    await expectCreated(srv, await put(srv, loc, digest), owner, data, digest, "owner's PUT");
    await expectStatus(await call(srv, 'HEAD', `/v2/${other}/blobs/${digest}`), 404, 'the blob is not in the other repository');
  });

  it('an unknown upload id answers 404 BLOB_UPLOAD_UNKNOWN to GET, PATCH, PUT and DELETE', async () => {
    const repo = repoName();
    await uploadBlob(srv, repo, randomBlob(10));
    const url = abs(srv, `/v2/${repo}/blobs/uploads/${randomUUID()}`);
    await expectError(await call(srv, 'GET', url), 404, 'BLOB_UPLOAD_UNKNOWN', 'GET unknown upload');
    await expectError(await patch(srv, url, randomBlob(10), '0-9'), 404, 'BLOB_UPLOAD_UNKNOWN', 'PATCH unknown upload');
    await expectError(await put(srv, url, digestOf('x'), Buffer.from('x')), 404, 'BLOB_UPLOAD_UNKNOWN', 'PUT unknown upload');
    await expectError(await call(srv, 'DELETE', url), 404, 'BLOB_UPLOAD_UNKNOWN', 'DELETE unknown upload');
  });

  for (const bad of ['abc', '10-5', '-5', '0-', '0-x', 'bytes=0-9', '0-9-12']) {
    it(`a malformed Content-Range ${JSON.stringify(bad)} answers 416 and leaves the upload unchanged`, async () => {
      const repo = repoName();
      const data = randomBlob(20);
      let loc = await startUpload(srv, repo);
      loc = await patchChunk(srv, loc, data.subarray(0, 10), 0);
      const res = await patch(srv, loc, data.subarray(10), bad.replace(/^(\d+)-(\d+)$/, (_m, a: string, b: string) => `${Number(a) + 10}-${Number(b) + 10}`));
      const body = await expectStatus(res, 416, `PATCH Content-Range: ${bad}`);
      if (body.length) assert.match(res.headers.get('content-type') ?? '', /json/, 'a 416 body must be the OCI JSON form');
      assert.equal(await uploadStatus(srv, loc), 9, 'offset unchanged after a malformed Content-Range');
      loc = await patchChunk(srv, loc, data.subarray(10), 10);
      await expectCreated(srv, await put(srv, loc, digestOf(data)), repo, data, digestOf(data), 'PUT after a bad Content-Range');
    });
  }

  it('a Content-Range whose length differs from the body is refused and leaves the upload unchanged', async () => {
    const repo = repoName();
    const data = randomBlob(30);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data.subarray(0, 10), 0);
    const res = await patch(srv, loc, data.subarray(10, 20), '10-29');
    await expectStatus(res, [400, 416], 'Content-Range 10-29 with a 10-byte body');
    assert.equal(await uploadStatus(srv, loc), 9, 'offset unchanged');
    loc = await patchChunk(srv, loc, data.subarray(10), 10);
    await expectCreated(srv, await put(srv, loc, digestOf(data)), repo, data, digestOf(data), 'PUT after a length mismatch');
  });

  it('a PATCH body shorter than its Content-Length leaves the offset unchanged and the server serving', async () => {
    const repo = repoName();
    const data = randomBlob(3000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    loc = await patchChunk(srv, loc, data.subarray(0, 1000), 0);
    const path = new URL(loc).pathname + new URL(loc).search;
    await sendTruncated(srv, 'PATCH', path, { 'Content-Type': 'application/octet-stream', 'Content-Range': '1000-1999' }, 1000, data.subarray(1000, 1500));
    await expectAlive(srv, 'after a truncated PATCH');
    assert.equal(await uploadStatus(srv, loc), 999, 'offset after a truncated PATCH with Content-Range');
    await sendTruncated(srv, 'PATCH', path, { 'Content-Type': 'application/octet-stream' }, 1000, data.subarray(1000, 1700));
    await expectAlive(srv, 'after a truncated streamed PATCH');
    assert.equal(await uploadStatus(srv, loc), 999, 'offset after a truncated PATCH without Content-Range');
    loc = await patchChunk(srv, loc, data.subarray(1000), 1000);
    await expectCreated(srv, await put(srv, loc, digest), repo, data, digest, 'PUT after truncated PATCHes');
  });

  it('a closing PUT body shorter than its Content-Length creates no blob', async () => {
    const repo = repoName();
    const data = randomBlob(2000);
    const digest = digestOf(data);
    const loc = await startUpload(srv, repo);
    const u = new URL(withQuery(loc, { digest }));
    await sendTruncated(srv, 'PUT', u.pathname + u.search, { 'Content-Type': 'application/octet-stream' }, 2000, data.subarray(0, 1000));
    await expectAlive(srv, 'after a truncated PUT');
    await expectStatus(await call(srv, 'HEAD', `/v2/${repo}/blobs/${digest}`), 404, 'HEAD after a truncated PUT');
  });

  it('a single POST body shorter than its Content-Length creates no blob', async () => {
    const repo = repoName();
    const data = randomBlob(2000);
    const digest = digestOf(data);
    await sendTruncated(srv, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { 'Content-Type': 'application/octet-stream' }, 2000, data.subarray(0, 1000));
    await expectAlive(srv, 'after a truncated POST');
    await expectStatus(await call(srv, 'HEAD', `/v2/${repo}/blobs/${digest}`), 404, 'HEAD after a truncated POST');
  });

  it('cross-repository mount answers 201 with the Location of the blob in the target', async () => {
    const from = repoName();
    const to = repoName();
    const data = randomBlob(4321);
    const digest = await uploadBlob(srv, from, data);
    await expectStatus(await call(srv, 'HEAD', `/v2/${to}/blobs/${digest}`), 404, 'the target lacks the blob before the mount');
    const res = await call(srv, 'POST', `/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { headers: { 'content-length': '0' } });
    await expectCreated(srv, res, to, data, digest, 'mount');
    await expectBlob(srv, to, data, digest, 'after the mount');
  });

  it('a mount from a repository that lacks the blob falls back to an upload session (202)', async () => {
    const from = repoName();
    const to = repoName();
    await uploadBlob(srv, from, randomBlob(10)); // `from` exists but lacks the blob
    const data = randomBlob(999);
    const digest = digestOf(data);
    for (const source of [repoName('never'), from]) {
      const res = await call(srv, 'POST', `/v2/${to}/blobs/uploads/?mount=${digest}&from=${source}`, { headers: { 'content-length': '0' } });
      await expectStatus(res, 202, `mount from ${source}`);
      const loc = location(srv, res);
      await expectStatus(await call(srv, 'HEAD', `/v2/${to}/blobs/${digest}`), 404, 'no blob after a failed mount');
      if (source === from) await expectCreated(srv, await put(srv, loc, digest, data), to, data, digest, 'upload in the fallback session');
    }
  });

  it('two clients pushing the same blob concurrently both succeed', async () => {
    const repo = repoName();
    const data = randomBlob(2 * 1024 * 1024);
    const digest = digestOf(data);
    const push = async (): Promise<void> => {
      let loc = await startUpload(srv, repo);
      for (let o = 0; o < data.length; o += 512 * 1024) loc = await patchChunk(srv, loc, data.subarray(o, o + 512 * 1024), o);
      const res = await put(srv, loc, digest);
      await expectStatus(res, 201, 'concurrent closing PUT');
      expectDigestHeader(res, data, digest, 'concurrent closing PUT');
    };
    await Promise.all([push(), push(), (async () => {
      // A third client uses monolithic POST then PUT at the same time.
      const other = await uploadBlob(srv, repo, data);
      assert.equal(other, digest);
    })()]);
    await expectBlob(srv, repo, data, digest, 'after concurrent pushes');
  });
});
