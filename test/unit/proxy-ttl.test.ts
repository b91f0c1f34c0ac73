// Tag TTL rules of proxy projects (pure) and the sealing of upstream credentials.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SecretBox, secretBoxFor } from '../../src/features/proxy/secrets.ts';
import { DEFAULT_TAG_TTL_MS, formatTagTtls, globMatches, isStale, parseDuration, parseTagTtls, ttlFor } from '../../src/features/proxy/ttl.ts';

describe('proxy tag TTLs', () => {
  it('durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('0'), 0);
    for (const bad of ['', '1', 'h', '1x', '1 h', '-1h', '1h-']) assert.equal(parseDuration(bad), undefined, JSON.stringify(bad));
  });
  it('one duration for every tag, or one per pattern, first match wins', () => {
    assert.deepEqual(parseTagTtls('1h'), [{ pattern: '*', ttlMs: 3_600_000 }]);
    const rules = parseTagTtls('latest=5m, v*=7d ,*=1h');
    assert.equal(ttlFor(rules, 'latest'), 300_000);
    assert.equal(ttlFor(rules, 'v1.2'), 604_800_000);
    assert.equal(ttlFor(rules, 'edge'), 3_600_000);
    assert.equal(ttlFor(parseTagTtls('v?=1m'), 'v10'), DEFAULT_TAG_TTL_MS, 'no match: the default');
    assert.equal(formatTagTtls(rules), 'latest=5m,v*=7d,*=1h');
  });
  it('refuses what it cannot read, saying what', () => {
    assert.throws(() => parseTagTtls('latest=soon'), /not a duration/);
    assert.throws(() => parseTagTtls('a/b=1h'), /not a tag pattern/);
    assert.throws(() => parseTagTtls(''), /no tag TTL/);
  });
  it('globs are anchored and literal apart from * and ?', () => {
    assert.equal(globMatches('v1.*', 'v1.2'), true);
    assert.equal(globMatches('v1.*', 'v1x2'), false, 'the dot is literal');
    assert.equal(globMatches('late', 'latest'), false);
    assert.equal(globMatches('?atest', 'latest'), true);
  });
  it('a tag never checked, or checked a TTL ago, is stale', () => {
    const rules = parseTagTtls('1m');
    assert.equal(isStale(rules, 't', undefined, 0), true);
    assert.equal(isStale(rules, 't', 1000, 60_999), false);
    assert.equal(isStale(rules, 't', 1000, 61_000), true);
    assert.equal(isStale(parseTagTtls('0'), 't', 5, 5), true, 'TTL 0: always checked');
  });
});

describe('sealed upstream credentials', () => {
  it('round-trips, is not the plain text, and another key cannot open it', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('s3cret-Passw0rd');
    assert.equal(sealed.includes('s3cret'), false);
    assert.equal(box.open(sealed), 's3cret-Passw0rd');
    assert.notEqual(box.seal('s3cret-Passw0rd'), sealed, 'a fresh IV each time');
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed));
  });
  it('the key file is made 0600 in the data directory, and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-key-'));
    try {
      const sealed = secretBoxFor(dir, {}).seal('x');
      assert.equal(statSync(join(dir, 'proxy-secret.key')).mode & 0o777, 0o600);
      assert.equal(secretBoxFor(dir, {}).open(sealed), 'x');
      const key = randomBytes(32);
      assert.equal(secretBoxFor(dir, { BERTH_PROXY_SECRET_KEY: key.toString('base64') }).open(new SecretBox(key).seal('y')), 'y');
      assert.throws(() => secretBoxFor(dir, { BERTH_PROXY_SECRET_KEY: 'short' }), /32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
