// The upstream client's pure parts: WWW-Authenticate challenges, Retry-After, the token bucket.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChallenges, parseRetryAfter, TokenBucket, RateLimitedError, UpstreamError } from '../../src/registry-client/index.ts';

describe('WWW-Authenticate challenges', () => {
  it("Docker Hub's Bearer challenge", () => {
    const [c, ...rest] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"');
    assert.equal(rest.length, 0);
    assert.equal(c!.scheme, 'bearer');
    assert.deepEqual(c!.params, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' });
  });
  it("Distribution's htpasswd Basic challenge", () => {
    assert.deepEqual(parseChallenges('Basic realm="upstream"'), [{ scheme: 'basic', params: { realm: 'upstream' } }]);
  });
  it('several challenges, unquoted values, escapes and odd spacing', () => {
    const cs = parseChallenges('Basic realm="a \\"b\\"" , Bearer  realm=https://x/token, service=svc,error="insufficient_scope"');
    assert.deepEqual(cs.map((c) => c.scheme), ['basic', 'bearer']);
    assert.equal(cs[0]!.params.realm, 'a "b"');
    assert.deepEqual(cs[1]!.params, { realm: 'https://x/token', service: 'svc', error: 'insufficient_scope' });
  });
  it('nothing from an empty or absent header', () => {
    assert.deepEqual(parseChallenges(undefined), []);
    assert.deepEqual(parseChallenges(''), []);
  });
  it('a scope with a scope parameter containing commas stays whole when quoted', () => {
    const [c] = parseChallenges('Bearer realm="r",scope="repository:a:pull,push"');
    assert.equal(c!.params.scope, 'repository:a:pull,push');
  });
});

describe('Retry-After', () => {
  it('seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});

describe('UpstreamError', () => {
  it('a failure of the upstream serves stale; "no such thing" does not', () => {
    for (const f of ['network', 'server', 'rate-limited', 'auth'] as const) assert.equal(new UpstreamError(f, 'x').upstreamDown, true, f);
    for (const f of ['not-found', 'invalid'] as const) assert.equal(new UpstreamError(f, 'x').upstreamDown, false, f);
  });
});

describe('token bucket', () => {
  it('gives its burst at once, then one token per 1/rate seconds', () => {
    let now = 0;
    const b = new TokenBucket({ ratePerSecond: 2, burst: 3, now: () => now });
    assert.deepEqual([b.tryTake(), b.tryTake(), b.tryTake()], [0, 0, 0]);
    assert.equal(b.tryTake(), 500);
    now += 499;
    assert.ok(b.tryTake() > 0);
    now += 1;
    assert.equal(b.tryTake(), 0);
    now += 10_000;
    assert.deepEqual([b.tryTake(), b.tryTake(), b.tryTake()], [0, 0, 0], 'never more than the burst');
    assert.ok(b.tryTake() > 0);
  });
  it('a 429 with Retry-After pauses it until then', () => {
    let now = 1000;
    const b = new TokenBucket({ ratePerSecond: 100, burst: 100, now: () => now });
    b.pause(5000);
    assert.equal(b.tryTake(), 5000);
    assert.equal(b.pausedFor, 5000);
    now += 4999;
    assert.equal(b.tryTake(), 1);
    now += 1;
    // Empty after the pause: it refills from then on.
    assert.ok(b.tryTake() > 0);
    now += 20;
    assert.equal(b.tryTake(), 0);
  });
  it('take() waits, and refuses past its limit', async () => {
    let now = 0;
    const b = new TokenBucket({ ratePerSecond: 1, burst: 1, now: () => now });
    const slept: number[] = [];
    const sleep = async (ms: number) => { slept.push(ms); now += ms; };
    await b.take(5000, sleep);
    await b.take(5000, sleep);
    assert.deepEqual(slept, [1000]);
    b.pause(60_000);
    await assert.rejects(b.take(5000, sleep), RateLimitedError);
  });
});
