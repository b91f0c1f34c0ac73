import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isLocalhostName, literalHost, SsrfGuard, type AddressCheck } from '../../../../src/features/webhooks/ssrf.ts';

function lookup(check: AddressCheck, host: string, options: object = {}): Promise<{ error?: Error; address?: unknown }> {
  return new Promise((resolve) => check.lookup(host, options, (error, address) => resolve(error ? { error } : { address })));
}

const strict = new SsrfGuard({ allowLoopback: false, allowPrivateNetworks: false, allowNetworks: [] });
const loopback = new SsrfGuard({ allowLoopback: true, allowPrivateNetworks: false, allowNetworks: [] });

describe('SSRF guard', () => {
  it('refuses loopback and private targets by default, and link-local and metadata always', () => {
    for (const a of ['127.0.0.1', '::1', '::', '0.0.0.0', '10.0.0.1', '192.168.1.1', '169.254.169.254', 'fd00:ec2::254', 'fe80::1', '::ffff:169.254.169.254']) {
      assert.ok(strict.refusal(a), a);
    }
    assert.equal(strict.refusal('8.8.8.8'), undefined);
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) assert.equal(loopback.refusal(a), undefined, a);
    for (const a of ['10.0.0.1', '169.254.169.254', '::']) assert.ok(loopback.refusal(a), a);
  });

  it('gives one webhook the administrator\'s exception without changing the others', () => {
    const granted = strict.forWebhook(true);
    for (const a of ['127.0.0.1', '::1', '10.0.0.1', '172.16.0.1', '192.168.0.1', '100.64.0.1', 'fd00::1', '::ffff:10.0.0.1']) {
      assert.equal(granted.refusal(a), undefined, a);
      assert.ok(strict.refusal(a), a);
    }
    for (const a of ['169.254.169.254', '169.254.1.1', 'fe80::1', '::', '0.0.0.0', '224.0.0.1', '100.100.100.200']) assert.ok(granted.refusal(a), a);
    assert.equal(strict.forWebhook(false), strict);
  });

  it('checks every address a name resolves to, not the name', async () => {
    const resolved = await dnsLookup('localhost', { all: true });
    assert.ok(resolved.length > 0, 'localhost resolves on this machine');
    const refused = await lookup(strict, 'localhost');
    assert.match(refused.error?.message ?? '', /^SSRF guard: localhost resolves to .* is a loopback address .*notifications\.allowLoopback: true/);
    assert.equal((refused.error as NodeJS.ErrnoException | undefined)?.code, 'EBLOCKED');
    const allowed = await lookup(loopback, 'localhost');
    assert.equal(allowed.error, undefined);
    assert.equal(typeof allowed.address, 'string');
    const list = await lookup(strict.forWebhook(true), 'localhost', { all: true });
    assert.ok(Array.isArray(list.address), 'all: true answers with the whole list');
    assert.deepEqual((list.address as { address: string }[]).map((a) => a.address).sort(), resolved.map((a) => a.address).sort());
  });

  it('tells literal hosts from names', () => {
    for (const [host, literal] of [['[::]', '::'], ['[::ffff:7f00:1]', '::ffff:7f00:1'], ['127.0.0.1', '127.0.0.1'], ['[fe80::1%eth0]', 'fe80::1%eth0']] as const) {
      assert.equal(literalHost(host), literal, host);
    }
    for (const name of ['example.com', 'localhost', 'a.b.c', 'xn--nxasmq6b']) assert.equal(literalHost(name), undefined, name);
  });

  it('knows localhost names (RFC 6761)', () => {
    for (const n of ['localhost', 'LOCALHOST', 'localhost.', 'app.localhost', 'a.b.localhost.']) assert.ok(isLocalhostName(n), n);
    for (const n of ['notlocalhost', 'localhost.example.com', 'localhost-1', 'example.com']) assert.ok(!isLocalhostName(n), n);
  });

  it('rejects a bad allowlist entry', () => {
    assert.throws(() => new SsrfGuard({ allowLoopback: true, allowPrivateNetworks: false, allowNetworks: ['not-a-range'] }), /notifications\.allowNetworks: not-a-range is not a CIDR range/);
  });
});
