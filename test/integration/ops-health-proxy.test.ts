// Issue 16, sections 1 and 2: readiness (/readyz: the database and storage answer) next to
// liveness (/healthz), /metrics on its own listener, a log line when shutdown completes, and
// server.trustProxy: X-Forwarded-Proto, -Host and -For are believed from the listed proxies only.
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, basic, call, expectStatus } from './api-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('readiness, liveness, the metrics listener and shutdown', () => {
  let server: BerthProcess;
  before(async () => { server = await startBerth({ auth: 'none', env: { BERTH_SCAN_ENABLED: 'false' } }); });
  after(async () => { await server?.kill(); });

  it('/readyz is 503 and names the storage while it cannot be written; /healthz stays 200; both recover', async () => {
    const ready = async () => { const r = await fetch(`${server.url}/readyz`); return { status: r.status, body: await r.json() as { status: string; checks: Record<string, string> } }; };
    assert.deepEqual(await ready(), { status: 200, body: { status: 'ready', checks: { database: 'ok', storage: 'ok' } } });
    // A file where the storage folder was: every write fails (root ignores permissions, so no chmod).
    const storage = join(server.dataDir, 'storage');
    await rename(storage, `${storage}.away`);
    await writeFile(storage, 'not a folder');
    try {
      await sleep(1100); // past the reused result
      const down = await ready();
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.status, 'unavailable');
      assert.equal(down.body.checks.database, 'ok');
      assert.match(down.body.checks.storage!, /ENOTDIR|ENOENT|EEXIST|not a directory/i);
      const live = await fetch(`${server.url}/healthz`);
      assert.equal(live.status, 200, 'liveness does not follow readiness');
      const onMetrics = await fetch(new URL('/readyz', server.metricsUrl));
      assert.equal(onMetrics.status, 503, 'the metrics listener gives the same answer');
    } finally {
      await rm(storage, { force: true });
      await rename(`${storage}.away`, storage);
    }
    await sleep(1100);
    assert.equal((await ready()).status, 200, 'ready again once the storage is back');
  });

  it('a flood of probes costs one check a second: answers stay fast and the same', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(`${server.url}/readyz`)).status));
    assert.deepEqual([...new Set(answers)], [200]);
  });

  it('the metrics listener answers only GET and HEAD, and only its three paths', async () => {
    const post = await fetch(server.metricsUrl, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(new URL('/v2/', server.metricsUrl))).status, 404, 'the registry is not on the metrics port');
    const head = await fetch(server.metricsUrl, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('with server.metrics.listen "" there is no metrics listener; SIGTERM logs "berth stopped" and exits 0', async () => {
    const off = await startBerth({ auth: 'none', env: { BERTH_SERVER_METRICS_LISTEN: '', BERTH_SCAN_ENABLED: 'false' } });
    assert.equal(off.metricsUrl, 'off');
    assert.equal((await fetch(`${off.url}/metrics`)).status, 404);
    const code = await off.stop();
    assert.equal(code, 0);
    const line = off.logs().split('\n').find((l) => l.includes('"berth stopped"'));
    assert.ok(line, `no shutdown line in:\n${off.logs().slice(-2000)}`);
    const rec = JSON.parse(line) as { signal: string; ms: number };
    assert.equal(rec.signal, 'SIGTERM');
    assert.ok(rec.ms >= 0);
  });

  it('a busy metrics address stops the start with what to do', async () => {
    const port = new URL(server.metricsUrl).port;
    await assert.rejects(
      startBerth({ auth: 'none', env: { BERTH_SERVER_METRICS_LISTEN: `127.0.0.1:${port}`, BERTH_SCAN_ENABLED: 'false' } }),
      /server\.metrics\.listen 127\.0\.0\.1:\d+ is in use; set server\.metrics\.listen \(BERTH_SERVER_METRICS_LISTEN\)/,
    );
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the first server is untouched');
  });
});

describe('server.trustProxy', () => {
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'registry.example.com', 'x-forwarded-for': '203.0.113.9' };
  const challenge = async (s: BerthProcess) => {
    const res = await fetch(`${s.url}/v2/`, { headers: forwarded });
    await res.arrayBuffer();
    assert.equal(res.status, 401);
    return res.headers.get('www-authenticate');
  };
  // A token login through the "proxy", then the address the audit log kept for it.
  const loginAddress = async (s: BerthProcess) => {
    const res = await fetch(`${s.url}/auth/token?service=berth`, { headers: { ...forwarded, authorization: basic(ADMIN) } });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    for (let i = 0; i < 40; i++) {
      const entries = (expectStatus(await call(s, 'GET', '/audit?action=login', { as: ADMIN }), 200).body as { entries: { actor: string; address: string }[] }).entries;
      const login = entries.find((e) => e.actor === 'admin');
      if (login) return login.address;
      await sleep(250);
    }
    throw new Error('no token login in the audit log');
  };

  let untrusted: BerthProcess;
  let trusted: BerthProcess;
  before(async () => {
    const env = { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_SCAN_ENABLED: 'false' };
    [untrusted, trusted] = await Promise.all([
      startBerth({ auth: 'builtin', env }),
      startBerth({ auth: 'builtin', env: { ...env, BERTH_SERVER_TRUST_PROXY: '10.0.0.0/8,127.0.0.1' } }),
    ]);
  });
  after(async () => { await untrusted?.kill(); await trusted?.kill(); });

  it('without it, X-Forwarded-* are ignored: the realm is the address the client used, the audit log has the real peer', async () => {
    assert.equal(await challenge(untrusted), `Bearer realm="${untrusted.url}/auth/token",service="berth"`);
    assert.equal(await loginAddress(untrusted), '127.0.0.1');
  });

  it('from a listed proxy, the realm follows X-Forwarded-Proto and -Host, and the audit log keeps X-Forwarded-For', async () => {
    assert.equal(await challenge(trusted), 'Bearer realm="https://registry.example.com/auth/token",service="berth"');
    assert.equal(await loginAddress(trusted), '203.0.113.9');
  });

  it('rate limits count the forwarded client, not the proxy: one client locked out does not lock out the others', async () => {
    const fail = (from: string) => fetch(`${trusted.url}/v2/`, { headers: { authorization: basic(['admin', 'wrong-password']), 'x-forwarded-for': from } });
    let last = 0;
    for (let i = 0; i < 60 && last !== 429; i++) { const r = await fail('198.51.100.7'); await r.arrayBuffer(); last = r.status; }
    assert.equal(last, 429, 'the flooding client is limited');
    const other = await fetch(`${trusted.url}/v2/`, { headers: { authorization: basic(ADMIN), 'x-forwarded-for': '198.51.100.8' } });
    await other.arrayBuffer();
    assert.equal(other.status, 200, 'another client behind the same proxy still signs in');
  });

  it('a bad trustProxy entry is refused at start, naming the key', async () => {
    await assert.rejects(startBerth({ auth: 'none', env: { BERTH_SERVER_TRUST_PROXY: 'proxy.example.com' } }), /trustProxy[\s\S]*expected an IP address, a CIDR/);
  });
});
