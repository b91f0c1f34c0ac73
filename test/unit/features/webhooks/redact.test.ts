import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from '../../../../src/features/webhooks/service.ts';

describe('webhook URL redaction', () => {
  it('hides a password in the URL and keeps the rest', () => {
    assert.equal(redactUrl('https://deploy:hunter22@ci.example/hook?x=1'), 'https://deploy:***@ci.example/hook?x=1');
  });
  it('leaves URLs without a password alone', () => {
    assert.equal(redactUrl('http://127.0.0.1:9000/hook'), 'http://127.0.0.1:9000/hook');
    assert.equal(redactUrl('https://user@ci.example/'), 'https://user@ci.example/');
  });
});
