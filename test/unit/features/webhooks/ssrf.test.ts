import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SsrfGuard } from '../../../../src/features/webhooks/ssrf.ts';

function lookup(guard: SsrfGuard, host: string): Promise<{ error?: Error; address?: unknown }> {
  return new Promise((resolve) => guard.lookup(host, {}, (error, address) => resolve(error ? { error } : { address })));
}

describe('SSRF guard', () => {
  const guard = new SsrfGuard({ allowLoopback: true, allowNetworks: [] });
  it('refuses link-local and cloud metadata addresses', () => {
    for (const a of ['169.254.169.254', '169.254.0.1', 'fd00:ec2::254', 'fe80::1', '::ffff:169.254.169.254']) assert.ok(guard.refusal(a), a);
  });
  it('allows loopback by default and public or private addresses', () => {
    for (const a of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.1', '8.8.8.8']) assert.equal(guard.refusal(a), undefined, a);
  });
  it('refuses loopback when allowLoopback is false, and honours the allowlist', () => {
    const strict = new SsrfGuard({ allowLoopback: false, allowNetworks: ['169.254.10.0/24'] });
    assert.ok(strict.refusal('127.0.0.1'));
    assert.equal(strict.refusal('169.254.10.5'), undefined);
    assert.ok(strict.refusal('169.254.169.254'));
  });
  it('checks the address a name resolves to, not the name', async () => {
    const strict = new SsrfGuard({ allowLoopback: false, allowNetworks: [] });
    const refused = await lookup(strict, 'localhost');
    assert.match(refused.error?.message ?? '', /SSRF guard: localhost resolves to/);
    const allowed = await lookup(guard, 'localhost');
    assert.equal(allowed.error, undefined);
  });
  it('rejects a bad allowlist entry', () => {
    assert.throws(() => new SsrfGuard({ allowLoopback: true, allowNetworks: ['not-a-range'] }), /CIDR/);
  });
});
