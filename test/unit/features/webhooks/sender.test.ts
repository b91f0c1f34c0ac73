import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { RESPONSE_READ_LIMIT, send } from '../../../../src/features/webhooks/sender.ts';
import { SsrfGuard } from '../../../../src/features/webhooks/ssrf.ts';

const MARKER = 'receiver-secret-marker-7c1f0e';

describe('webhook sender', () => {
  const guard = new SsrfGuard({ allowLoopback: true, allowPrivateNetworks: false, allowNetworks: [] });
  const strict = new SsrfGuard({ allowLoopback: false, allowPrivateNetworks: false, allowNetworks: [] });
  let server: Server;
  let port = 0;
  let base = '';
  let connections = 0;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      if (req.url === '/big') return res.writeHead(200).end('x'.repeat(RESPONSE_READ_LIMIT * 3));
      if (req.url === '/exact') return res.writeHead(200).end('y'.repeat(RESPONSE_READ_LIMIT));
      if (req.url === '/empty') return res.writeHead(204).end();
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => res.writeHead(202, { 'content-type': 'text/plain' }).end(`${MARKER}:${req.headers['x-h']}:${body}`));
    });
    server.on('connection', () => { connections++; });
    // Every interface, IPv4 and IPv6: a refused address would reach it if the guard let it through.
    await new Promise<void>((r) => server.listen(0, '::', r));
    port = (server.address() as { port: number }).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the body with its headers and records the size of the answer, never the answer', async () => {
    const r = await send(`${base}/ok`, 'hello', { 'x-h': 'v' }, 2000, guard);
    assert.equal(r.statusCode, 202);
    assert.equal(r.responseBytes, Buffer.byteLength(`${MARKER}:v:hello`));
    assert.equal(r.responseTruncated, false);
    assert.equal(r.error, null);
    assert.ok(!JSON.stringify(r).includes(MARKER), JSON.stringify(r));
    const empty = await send(`${base}/empty`, '{}', {}, 2000, guard);
    assert.deepEqual([empty.statusCode, empty.responseBytes, empty.responseTruncated], [204, 0, false]);
  });
  it('gives up on a receiver that does not answer, within the timeout', async () => {
    const started = Date.now();
    const r = await send(`${base}/hang`, '{}', {}, 300, guard);
    assert.equal(r.statusCode, null);
    assert.equal(r.responseBytes, null);
    assert.match(r.error ?? '', /timed out after 300 ms/);
    assert.ok(Date.now() - started < 2000);
  });
  it('stops reading a long answer at the limit, and says the answer was longer', async () => {
    const r = await send(`${base}/big`, '{}', {}, 2000, guard);
    assert.equal(r.statusCode, 200);
    assert.equal(r.responseBytes, RESPONSE_READ_LIMIT);
    assert.equal(r.responseTruncated, true);
    const exact = await send(`${base}/exact`, '{}', {}, 2000, guard);
    assert.deepEqual([exact.responseBytes, exact.responseTruncated], [RESPONSE_READ_LIMIT, false], 'exactly the limit is not truncated');
  });
  it('refuses blocked literal addresses, in every form, without opening a socket', async () => {
    // Control: the receiver is reachable on each family, so a refusal below is the guard's doing.
    for (const host of ['127.0.0.1', '[::1]', '[::]', '0.0.0.0', '[::ffff:127.0.0.1]']) {
      const r = await fetch(`http://${host}:${port}/ok`, { method: 'POST', body: '{}' });
      assert.equal(r.status, 202, `${host} reaches the receiver when nothing guards it`);
      await r.text();
    }
    const before = connections;
    for (const host of ['[::]', '[0::]', '[0:0:0:0:0:0:0:0]', '0.0.0.0', '0', '[::ffff:0.0.0.0]', '127.0.0.1', '127.1', '2130706433', '0x7f.0.0.1', '[::1]',
      '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::127.0.0.1]', '[::ffff:0:127.0.0.1]', '[64:ff9b::127.0.0.1]', '[2002:7f00:1::]']) {
      const r = await send(`http://${host}:${port}/ok`, '{}', {}, 2000, strict);
      assert.equal(r.statusCode, null, host);
      assert.match(r.error ?? '', /^SSRF guard: .*(unspecified|loopback)/, host);
    }
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:a9fe:a9fe::]/', 'http://[::ffff:a9fe:a9fe]/']) {
      const r = await send(url, '{}', {}, 2000, guard.forWebhook(true));
      assert.match(r.error ?? '', /^SSRF guard: .*cloud metadata/, url);
    }
    assert.equal(connections, before, 'no refused attempt reached the receiver');
  });
  it('refuses a name that resolves to a refused address', async () => {
    const before = connections;
    const r = await send(`http://localhost:${port}/ok`, '{}', {}, 2000, strict);
    assert.match(r.error ?? '', /SSRF guard: localhost resolves to 127\.0\.0\.1 is a loopback address/);
    assert.equal(connections, before);
    // Any name goes through the hook: here one that the check itself resolves as localhost.
    const renamed = { refusal: strict.refusal, lookup: ((h, o, cb) => strict.lookup(h === 'receiver.test' ? 'localhost' : h, o, cb)) as typeof strict.lookup };
    const other = await send(`http://receiver.test:${port}/ok`, '{}', {}, 2000, renamed);
    assert.match(other.error ?? '', /^SSRF guard: \S+ resolves to 127\.0\.0\.1 is a loopback address/);
    assert.equal(connections, before);
    const allowed = await send(`http://localhost:${port}/ok`, '{}', {}, 2000, strict.forWebhook(true));
    assert.equal(allowed.statusCode, 202, 'the grant opens it');
  });
  it('reports connection errors', async () => {
    const r = await send('http://127.0.0.1:1/', '{}', {}, 2000, guard);
    assert.match(r.error ?? '', /ECONNREFUSED/);
  });
});
