// Graceful shutdown: on SIGTERM the server stops accepting, finishes the request in flight, and exits 0.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startBerth } from '../helpers/berth-process.ts';

describe('graceful shutdown', () => {
  it('finishes an in-flight chunk upload after SIGTERM, then exits 0', async () => {
    const server = await startBerth();
    const start = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const location = new URL(start.headers.get('location')!, server.url);

    const chunk = Buffer.alloc(256 * 1024, 7);
    const total = chunk.length * 8;
    const answer = new Promise<{ status: number; range: string | undefined }>((resolve, reject) => {
      const req = request(location, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream', 'content-length': String(total), 'content-range': `0-${total - 1}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, range: res.headers.range as string | undefined }));
      });
      req.on('error', reject);
      let sent = 0;
      // Send slowly, so SIGTERM lands while the body is still arriving.
      const timer = setInterval(() => {
        req.write(chunk);
        sent += 1;
        if (sent === 2) server.child.kill('SIGTERM');
        if (sent === 8) {
          clearInterval(timer);
          req.end();
        }
      }, 100);
    });

    const result = await answer;
    assert.equal(result.status, 202, server.logs());
    assert.equal(result.range, `0-${total - 1}`);
    const code = await server.stop();
    assert.equal(code, 0, server.logs());
    assert.match(server.logs(), /shutting down/);
    await assert.rejects(fetch(`${server.url}/v2/`), 'no new connections after shutdown');
  });
});
