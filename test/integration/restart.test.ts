// Durability across a restart: a chunked upload continues after SIGTERM and a new process on the
// same data directory; everything pushed before the restart is still there.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  call, digestOf, expectBlob, expectImageIntact, expectStatus, isBerth, location, pushImage, randomBlob,
  rangeEnd, repoName, startServer, startUpload, withQuery, type Server,
} from './helpers.ts';

describe('restart', () => {
  let srv: Server | undefined;
  after(async () => { await srv?.stop(); });

  it('a chunked upload continues after a restart; pushed images survive it', async () => {
    srv = await startServer();
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'before', layers: 2 });
    const data = randomBlob(600_000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    const first = await call(srv, 'PATCH', loc, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': '250000', 'content-range': '0-249999' },
      body: data.subarray(0, 250_000),
    });
    await expectStatus(first, 202, 'first PATCH');
    loc = location(srv, first);

    const code = await srv.stop();
    if (isBerth) assert.equal(code, 0, `berth exited with ${code} on SIGTERM; expected a clean exit 0\n${srv.logs().slice(-2000)}`);
    srv = await srv.restart();
    await expectStatus(await call(srv, 'GET', '/v2/'), 200, 'GET /v2/ after restart');

    const status = await call(srv, 'GET', loc);
    await expectStatus(status, 204, 'GET upload status after restart');
    assert.equal(rangeEnd(status.headers.get('range')), 249_999, 'upload offset after restart');
    loc = location(srv, status);

    const second = await call(srv, 'PATCH', loc, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': '350000', 'content-range': '250000-599999' },
      body: data.subarray(250_000),
    });
    await expectStatus(second, 202, 'PATCH after restart');
    assert.equal(rangeEnd(second.headers.get('range')), 599_999);
    const done = await call(srv, 'PUT', withQuery(location(srv, second), { digest }), { headers: { 'content-length': '0' } });
    await expectStatus(done, 201, 'closing PUT after restart');
    await expectBlob(srv, repo, data, digest, 'blob finished after restart:');
    await expectImageIntact(srv, img, 'image pushed before restart:');

    const tags = await call(srv, 'GET', `/v2/${repo}/tags/list`);
    const body = JSON.parse((await expectStatus(tags, 200, 'tags after restart')).toString()) as { tags: string[] };
    assert.deepEqual(body.tags, ['before']);
  });

  it('a second restart keeps what was pushed after the first', async () => {
    assert.ok(srv, 'the first test must have started the server');
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'mid', format: 'docker' });
    srv = await srv.restart();
    await expectImageIntact(srv, img, 'after a second restart:');
    const catalog = await call(srv, 'GET', '/v2/_catalog');
    const body = JSON.parse((await expectStatus(catalog, 200, 'catalog after restart')).toString()) as { repositories: string[] };
    assert.ok(body.repositories.includes(repo), `catalog after restart lacks ${repo}`);
  });

  it('after SIGKILL, acknowledged data is durable and an upload continues from its last acknowledged chunk', async () => {
    assert.ok(srv, 'the first test must have started the server');
    const repo = repoName();
    const img = await pushImage(srv, repo, { tag: 'acked' });
    const data = randomBlob(400_000);
    const digest = digestOf(data);
    let loc = await startUpload(srv, repo);
    const first = await call(srv, 'PATCH', loc, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': '100000', 'content-range': '0-99999' },
      body: data.subarray(0, 100_000),
    });
    await expectStatus(first, 202, 'PATCH before SIGKILL');
    loc = location(srv, first);
    await srv.kill();
    srv = await srv.restart();
    await expectImageIntact(srv, img, 'after SIGKILL:');
    const status = await call(srv, 'GET', loc);
    await expectStatus(status, 204, 'upload status after SIGKILL');
    assert.equal(rangeEnd(status.headers.get('range')), 99_999, 'an acknowledged chunk survives SIGKILL');
    const second = await call(srv, 'PATCH', location(srv, status), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': '300000', 'content-range': '100000-399999' },
      body: data.subarray(100_000),
    });
    await expectStatus(second, 202, 'PATCH after SIGKILL');
    const done = await call(srv, 'PUT', withQuery(location(srv, second), { digest }), { headers: { 'content-length': '0' } });
    await expectStatus(done, 201, 'closing PUT after SIGKILL');
    await expectBlob(srv, repo, data, digest, 'blob finished after SIGKILL:');
  });
});
