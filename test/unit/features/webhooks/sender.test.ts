import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { send } from '../../../../src/features/webhooks/sender.ts';
import { SsrfGuard } from '../../../../src/features/webhooks/ssrf.ts';

describe('webhook sender', () => {
  const guard = new SsrfGuard({ allowLoopback: true, allowNetworks: [] });
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      if (req.url === '/big') return res.writeHead(200).end('x'.repeat(100_000));
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => res.writeHead(202, { 'content-type': 'text/plain' }).end(`${req.headers['x-h']}:${body}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the body with its headers and records the answer', async () => {
    const r = await send(`${base}/ok`, 'hello', { 'x-h': 'v' }, 2000, guard);
    assert.equal(r.statusCode, 202);
    assert.equal(r.response, 'v:hello');
    assert.equal(r.error, null);
  });
  it('gives up on a receiver that does not answer, within the timeout', async () => {
    const started = Date.now();
    const r = await send(`${base}/hang`, '{}', {}, 300, guard);
    assert.equal(r.statusCode, null);
    assert.match(r.error ?? '', /timed out after 300 ms/);
    assert.ok(Date.now() - started < 2000);
  });
  it('keeps only the first KiB of a long answer', async () => {
    const r = await send(`${base}/big`, '{}', {}, 2000, guard);
    assert.equal(r.statusCode, 200);
    assert.equal(r.response?.length, 1024);
  });
  it('refuses blocked literal addresses without connecting', async () => {
    const r = await send('http://169.254.169.254/latest/meta-data/', '{}', {}, 2000, guard);
    assert.equal(r.statusCode, null);
    assert.match(r.error ?? '', /SSRF guard/);
    const v6 = await send('http://[fd00:ec2::254]/', '{}', {}, 2000, guard);
    assert.match(v6.error ?? '', /SSRF guard/);
  });
  it('refuses a name that resolves to a refused address', async () => {
    const strict = new SsrfGuard({ allowLoopback: false, allowNetworks: [] });
    const r = await send(`${base.replace('127.0.0.1', 'localhost')}/ok`, '{}', {}, 2000, strict);
    assert.match(r.error ?? '', /SSRF guard: localhost resolves to/);
  });
  it('reports connection errors', async () => {
    const r = await send('http://127.0.0.1:1/', '{}', {}, 2000, guard);
    assert.match(r.error ?? '', /ECONNREFUSED/);
  });
});
