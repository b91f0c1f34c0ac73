import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { sign, verify } from '../../../../src/features/webhooks/signing.ts';

describe('webhook signatures', () => {
  const body = '{"id":"x"}';
  it('signs "<t>.<body>" with HMAC-SHA256', () => {
    const header = sign('secret', body, 1700000000);
    assert.equal(header, `t=1700000000,v1=${createHmac('sha256', 'secret').update(`1700000000.${body}`).digest('hex')}`);
  });
  it('verifies its own signatures and refuses changed bodies, other secrets and old timestamps', () => {
    const now = 1700000000;
    const header = sign('secret', body, now);
    assert.equal(verify('secret', body, header, now), true);
    assert.equal(verify('secret', `${body} `, header, now), false);
    assert.equal(verify('other', body, header, now), false);
    assert.equal(verify('secret', body, header, now + 301), false);
    assert.equal(verify('secret', body, 'garbage', now), false);
  });
});
