// Slow and silent clients (hardening issue, defect 8). Small bodies (token requests, sign-in, API
// calls, manifests) have a total deadline after their headers: a client that sends part of a body
// and goes quiet, or trickles it a byte at a time, is answered 408 BODY_TIMEOUT and its connection
// closed. Headers that trickle are cut off too. Blob uploads have no total limit but an idle one:
// a stalled chunk is cut off and rolled back, while a slow one that keeps moving goes through.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

const ADMIN = ['admin', 'slow-Admin-pa55'] as const;
const BODY_TIMEOUT_S = 2;
const IDLE_TIMEOUT_S = 5;
const basic = ([u, p]: readonly [string, string]) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  /** The status of the first response, if one arrived. */
  status?: number;
  body: string;
  /** When the connection closed, in ms after the headers were sent (undefined: still open at the end). */
  closedAfter?: number;
}

/**
 * Sends `head` (the request line and headers, without the final blank line when `headersDone` is
 * false), then `pieces` of body, one every `gapMs`, and watches for up to `watchMs`.
 */
function slowRequest(port: number, head: string[], pieces: Buffer[], gapMs: number, watchMs: number, headersDone = true): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    let started = 0;
    const outcome: Outcome = { body: '' };
    const finish = () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) outcome.status = Number(m[1]);
      outcome.body = data.slice(data.indexOf('\r\n\r\n') + 4);
      clearTimeout(watch);
      for (const t of timers) clearTimeout(t);
      sock.destroy();
      resolve(outcome);
    };
    const timers: NodeJS.Timeout[] = [];
    const watch = setTimeout(finish, watchMs);
    sock.on('data', (c: Buffer) => { data += c.toString('latin1'); });
    sock.on('error', () => {});
    sock.on('close', () => {
      outcome.closedAfter ??= Date.now() - started;
      finish();
    });
    sock.on('connect', () => {
      started = Date.now();
      sock.write(head.join('\r\n') + (headersDone ? '\r\n\r\n' : '\r\n'));
      pieces.forEach((p, i) => timers.push(setTimeout(() => { if (!sock.destroyed) sock.write(p); }, gapMs * (i + 1))));
    });
  });
}

describe('slow bodies time out; slow uploads only when idle', { timeout: 300_000 }, () => {
  let server: BerthProcess;

  before(async () => {
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN[1] },
      config: { server: { bodyTimeoutSeconds: BODY_TIMEOUT_S, idleTimeoutSeconds: IDLE_TIMEOUT_S } },
    });
  });
  after(async () => {
    await server?.stop();
  });

  const headFor = (method: string, path: string, length: number, extra: string[] = []) => [
    `${method} ${path} HTTP/1.1`, `Host: ${server.host}`, `Content-Length: ${length}`, ...extra,
  ];
  const auth = `Authorization: ${basic(ADMIN)}`;
  const smallBodyRoutes: [string, string, string[]][] = [
    ['POST', '/auth/token', ['Content-Type: application/x-www-form-urlencoded']],
    ['POST', '/api/v1/session', ['Content-Type: application/json', 'X-Berth-CSRF: 1']],
    ['POST', '/api/v1/users', ['Content-Type: application/json', auth]],
    ['PATCH', '/api/v1/projects/library', ['Content-Type: application/json', auth]],
    ['PUT', '/v2/library/slow/manifests/v1', ['Content-Type: application/vnd.oci.image.manifest.v1+json', auth]],
  ];

  for (const [method, path, extra] of smallBodyRoutes) {
    it(`${method} ${path}: a body that stops arriving is answered 408 and the connection closed`, async () => {
      const o = await slowRequest(server.port, headFor(method, path, 100, extra), [Buffer.from('{"a":')], 100, (BODY_TIMEOUT_S + 8) * 1000);
      assert.equal(o.status, 408, `got ${o.status}: ${o.body}`);
      assert.match(o.body, /BODY_TIMEOUT/);
      assert.ok(o.closedAfter !== undefined, 'the connection is closed after the 408');
    });

    it(`${method} ${path}: a body trickled a byte at a time is cut off at the deadline, not kept alive by each byte`, async () => {
      const pieces = Array.from({ length: 40 }, () => Buffer.from(' '));
      const o = await slowRequest(server.port, headFor(method, path, 100, extra), pieces, 250, (BODY_TIMEOUT_S + 8) * 1000);
      assert.equal(o.status, 408, `got ${o.status}: ${o.body}`);
      assert.ok(o.closedAfter !== undefined && o.closedAfter < 40 * 250, `closed after ${o.closedAfter} ms, before the trickle ended`);
    });
  }

  it('headers that never finish are cut off', async () => {
    const o = await slowRequest(server.port, ['GET /v2/ HTTP/1.1', `Host: ${server.host}`, 'X-Slow: 1'], [Buffer.from('X-More: 1\r\n')], 500, (BODY_TIMEOUT_S + 8) * 1000, false);
    assert.ok(o.closedAfter !== undefined, 'the connection is closed');
    assert.notEqual(o.status, 200);
  });

  async function startUpload(repo: string): Promise<string> {
    const res = await fetch(`${server.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: basic(ADMIN) } });
    assert.equal(res.status, 202);
    return new URL(res.headers.get('location')!, server.url).pathname;
  }

  async function uploadRange(path: string): Promise<string | null> {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: basic(ADMIN) } });
    await res.arrayBuffer();
    return res.headers.get('range');
  }

  it('a stalled chunk is cut off after the idle timeout and rolled back; the upload goes on', async () => {
    const path = await startUpload('library/stalled');
    const first = Buffer.alloc(1024 * 1024, 7);
    const o = await slowRequest(server.port, headFor('PATCH', path, 10 * 1024 * 1024, [auth, 'Content-Type: application/octet-stream']), [first], 10, (IDLE_TIMEOUT_S + 15) * 1000);
    assert.ok(o.closedAfter !== undefined && o.closedAfter >= IDLE_TIMEOUT_S * 1000 - 500, `closed after ${o.closedAfter} ms`);
    await sleep(200);
    assert.equal(await uploadRange(path), '0-0', 'the cut-off chunk left nothing');
    const data = Buffer.from('the real chunk');
    const res = await fetch(`${server.url}${path}?digest=${digestOf(data)}`, { method: 'PUT', headers: { authorization: basic(ADMIN), 'content-type': 'application/octet-stream' }, body: data });
    assert.equal(res.status, 201, await res.text());
  });

  it('a slow upload that keeps moving is not cut off, however long it takes', async () => {
    const path = await startUpload('library/slowpoke');
    const data = Buffer.from('x'.repeat(12));
    // One byte every second for 12 s: well past the body deadline and twice the idle timeout.
    const pieces = [...data].map((b) => Buffer.from([b]));
    const o = await slowRequest(server.port, headFor('PATCH', path, data.length, [auth, 'Content-Type: application/octet-stream']), pieces, 1000, 20_000);
    assert.equal(o.status, 202, `got ${o.status}: ${o.body}`);
    assert.equal(await uploadRange(path), `0-${data.length - 1}`);
  });

  it('the server still answers at once afterwards', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
  });
});
