// /v2/ version check, its headers, /healthz and /metrics (distribution-spec: Determining Support).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { berthOnly, call, expectError, expectStatus, repoName, startServer, type Server } from './helpers.ts';

/** Sums every sample of the counters whose name mentions requests in a Prometheus text page. */
function requestCounterTotal(page: string): { total: number; names: string[] } {
  const counters = new Set<string>();
  for (const line of page.split('\n')) {
    const m = /^# TYPE (\S+) counter$/.exec(line);
    if (m && /request/i.test(m[1]!)) counters.add(m[1]!);
  }
  let total = 0;
  for (const line of page.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (counters.has(name) || counters.has(name.replace(/_total$/, ''))) total += Number(m[3]);
  }
  return { total, names: [...counters] };
}

describe('base endpoints', () => {
  let srv: Server;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  it('GET /v2/ answers 200 with Docker-Distribution-API-Version: registry/2.0', async () => {
    const res = await call(srv, 'GET', '/v2/');
    await expectStatus(res, 200, 'GET /v2/');
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  it('GET /v2 without the trailing slash is the same endpoint or redirects to it', async () => {
    const res = await call(srv, 'GET', '/v2');
    await expectStatus(res, 200, 'GET /v2 (redirects are followed)');
  });

  it('HEAD /v2/ answers 200 with the version header and no body', async () => {
    const res = await call(srv, 'HEAD', '/v2/');
    const body = await expectStatus(res, 200, 'HEAD /v2/');
    assert.equal(body.length, 0);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  it('an unknown /v2 route answers 404, not 200 or 5xx', async () => {
    const res = await call(srv, 'GET', `/v2/${repoName()}/nonsense/route`);
    await expectStatus(res, 404, 'GET unknown route');
  });

  it('an error answer carries the OCI JSON error form', async () => {
    const res = await call(srv, 'GET', `/v2/${repoName()}/manifests/latest`);
    await expectError(res, 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN'], 'GET manifest of an unknown repository');
  });

  it('GET /healthz answers 200', berthOnly('no /healthz on the main port'), async () => {
    const res = await call(srv, 'GET', '/healthz');
    await expectStatus(res, 200, 'GET /healthz');
  });

  it('GET /readyz answers 200 when the database and storage answer', berthOnly('no /readyz on the main port'), async () => {
    const res = await call(srv, 'GET', '/readyz');
    const body = JSON.parse((await expectStatus(res, 200, 'GET /readyz')).toString()) as { status: string; checks: Record<string, string> };
    assert.deepEqual(body, { status: 'ready', checks: { database: 'ok', storage: 'ok' } });
  });

  it('/metrics is not on the registry port, only on the metrics listener', berthOnly('metrics are on a separate debug port'), async () => {
    const res = await call(srv, 'GET', '/metrics');
    await res.arrayBuffer();
    assert.equal(res.status, 404, 'GET /metrics on the registry port');
    assert.ok(srv.metricsUrl && srv.metricsUrl.startsWith('http://127.0.0.1:'), `the metrics listener's address: ${srv.metricsUrl}`);
    assert.notEqual(new URL(srv.metricsUrl).port, String(srv.port));
  });

  it('GET /metrics (metrics listener) is Prometheus text and its request counters count /v2 requests', berthOnly('metrics are on a separate debug port'), async () => {
    const first = await fetch(srv.metricsUrl!);
    const page1 = (await expectStatus(first, 200, 'GET /metrics')).toString();
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain/, 'metrics content type');
    const before1 = requestCounterTotal(page1);
    assert.ok(before1.names.length > 0, `no counter whose name mentions "request" in /metrics:\n${page1.slice(0, 2000)}`);
    for (let i = 0; i < 5; i++) await expectStatus(await call(srv, 'GET', '/v2/'), 200);
    const page2 = (await expectStatus(await fetch(srv.metricsUrl!), 200)).toString();
    const after1 = requestCounterTotal(page2);
    assert.ok(after1.total >= before1.total + 5, `request counters ${before1.names.join(', ')} went from ${before1.total} to ${after1.total} after 5 requests to /v2/`);
    const ready = await fetch(new URL('/readyz', srv.metricsUrl));
    assert.equal(ready.status, 200, 'the metrics listener answers /readyz too');
    assert.equal((await fetch(new URL('/other', srv.metricsUrl))).status, 404);
  });
});
