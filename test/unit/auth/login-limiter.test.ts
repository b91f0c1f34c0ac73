// LoginLimiter with a fake clock: locks per account and address and per address over many
// accounts, the expiry of locks and windows, success, the entry cap under a million distinct
// keys, least-recently-failed eviction, and names of any length or script.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginLimiter, type LoginLimiterOptions } from '../../../src/auth/login-limiter.ts';

const WINDOW = 60_000;
const LOCK = 30_000;

function limiter(options: Partial<LoginLimiterOptions> = {}) {
  const clock = { t: 1_700_000_000_000 };
  const l = new LoginLimiter({ maxFailures: 3, windowMs: WINDOW, lockMs: LOCK, maxFailuresPerAddress: 1000, ...options }, () => clock.t);
  return { l, clock };
}

function failTimes(l: LoginLimiter, n: number, account: string, address: string): void {
  for (let i = 0; i < n; i++) l.fail(account, address);
}

describe('LoginLimiter', () => {
  it('locks one account from one address after maxFailures, for lockMs; other pairs are not locked', () => {
    const { l } = limiter();
    failTimes(l, 2, 'alice', '10.0.0.1');
    assert.equal(l.retryAfter('alice', '10.0.0.1'), 0);
    l.fail('alice', '10.0.0.1');
    assert.equal(l.retryAfter('alice', '10.0.0.1'), LOCK);
    assert.equal(l.retryAfter('ALICE', '10.0.0.1'), LOCK, 'account names compare without case');
    assert.equal(l.retryAfter('alice', '10.0.0.2'), 0, 'the same account from another address');
    assert.equal(l.retryAfter('bob', '10.0.0.1'), 0, 'another account from the same address');
  });

  it('locks an address that sprays many accounts, for every account, one never tried included', () => {
    const { l } = limiter({ maxFailures: 100, maxFailuresPerAddress: 5 });
    for (let i = 0; i < 4; i++) l.fail(`user${i}`, '10.0.0.1');
    assert.equal(l.retryAfter('admin', '10.0.0.1'), 0);
    l.fail('user4', '10.0.0.1');
    assert.equal(l.retryAfter('admin', '10.0.0.1'), LOCK);
    assert.equal(l.retryAfter('user0', '10.0.0.1'), LOCK);
    assert.equal(l.retryAfter('admin', '10.0.0.2'), 0, 'other addresses are not locked');
  });

  it('a lock expires after lockMs, and the count starts again from zero', () => {
    const { l, clock } = limiter();
    failTimes(l, 3, 'alice', 'A');
    clock.t += LOCK - 1;
    assert.equal(l.retryAfter('alice', 'A'), 1);
    clock.t += 1;
    assert.equal(l.retryAfter('alice', 'A'), 0);
    failTimes(l, 2, 'alice', 'A');
    assert.equal(l.retryAfter('alice', 'A'), 0, 'the failures before the lock do not count again');
    l.fail('alice', 'A');
    assert.equal(l.retryAfter('alice', 'A'), LOCK);
  });

  it('failures older than the window do not count; within it they do', () => {
    const { l, clock } = limiter();
    failTimes(l, 2, 'alice', 'A');
    clock.t += WINDOW;
    l.fail('alice', 'A');
    assert.equal(l.retryAfter('alice', 'A'), 0, 'the window had closed: one failure in the new one');
    clock.t += WINDOW - 1;
    l.fail('alice', 'A');
    assert.equal(l.retryAfter('alice', 'A'), 0);
    l.fail('alice', 'A');
    assert.equal(l.retryAfter('alice', 'A'), LOCK, 'three failures within one window');
  });

  it('the address window and lock expire too', () => {
    const { l, clock } = limiter({ maxFailures: 100, maxFailuresPerAddress: 3 });
    l.fail('a', 'A');
    l.fail('b', 'A');
    clock.t += WINDOW;
    l.fail('c', 'A');
    assert.equal(l.retryAfter('d', 'A'), 0);
    l.fail('d', 'A');
    l.fail('e', 'A');
    assert.equal(l.retryAfter('f', 'A'), LOCK);
    clock.t += LOCK;
    assert.equal(l.retryAfter('f', 'A'), 0);
  });

  it('the longer of the two locks is the answer', () => {
    const { l, clock } = limiter({ maxFailures: 2, maxFailuresPerAddress: 3 });
    failTimes(l, 2, 'alice', 'A'); // pair locked until t0 + LOCK
    clock.t += 1000;
    l.fail('bob', 'A'); // third failure from A: address locked until t0 + 1000 + LOCK
    assert.equal(l.retryAfter('alice', 'A'), LOCK);
    assert.equal(l.retryAfter('carol', 'A'), LOCK);
    clock.t += LOCK - 1000;
    assert.equal(l.retryAfter('alice', 'A'), 1000);
  });

  it('a success clears the account and address pair, but not the address count', () => {
    const { l } = limiter({ maxFailures: 3, maxFailuresPerAddress: 5 });
    failTimes(l, 2, 'alice', 'A');
    l.succeed('alice', 'A');
    failTimes(l, 2, 'alice', 'A');
    assert.equal(l.retryAfter('alice', 'A'), 0, 'the pair counted again from zero');
    l.fail('bob', 'A');
    assert.equal(l.retryAfter('carol', 'A'), LOCK, 'five failures from A in all, the success in between notwithstanding');
  });

  it('names of 8,000 characters and in any script lock like short ones; names that differ late are different accounts', () => {
    const { l } = limiter();
    const long = 'x'.repeat(7999);
    failTimes(l, 3, `${long}a`, 'A');
    assert.equal(l.retryAfter(`${long}a`, 'A'), LOCK);
    assert.equal(l.retryAfter(`${long}b`, 'A'), 0, 'the whole name is the key, not a prefix');
    const cyrillic = 'Мария'.repeat(1600);
    failTimes(l, 3, cyrillic, 'A');
    assert.equal(l.retryAfter(cyrillic.toUpperCase(), 'A'), LOCK);
    failTimes(l, 3, '名前😀', 'A');
    assert.equal(l.retryAfter('名前😀', 'A'), LOCK);
    assert.equal(l.retryAfter('名前😁', 'A'), 0);
    assert.equal(l.size, 4, 'three pairs and one address');
  });

  it('holds at most maxEntries keys of each kind under 1,000,000 distinct accounts and addresses', () => {
    const cap = 1000;
    const { l, clock } = limiter({ maxEntries: cap });
    let most = 0;
    for (let i = 0; i < 1_000_000; i++) {
      l.fail(`user-${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 1000 === 0) clock.t += 1;
      most = Math.max(most, l.pairKeys, l.addressKeys);
    }
    assert.equal(most, cap);
    assert.equal(l.pairKeys, cap);
    assert.equal(l.addressKeys, cap);
    assert.ok(l.size <= 2 * cap);
  });

  it('when full, forgets the least recently failed key, not the first one added', () => {
    const { l } = limiter({ maxFailures: 2, maxEntries: 2 });
    l.fail('a', 'A'); // pairs: a
    l.fail('b', 'A'); // pairs: a, b
    l.fail('a', 'A'); // a locked and moved last: b, a
    l.fail('c', 'A'); // full: b goes
    assert.equal(l.retryAfter('a', 'A'), LOCK, 'a failed most recently, so it stayed');
    l.fail('b', 'A');
    assert.equal(l.retryAfter('b', 'A'), 0, "b's first failure was forgotten: this is its first again");
  });

  it('forgets keys whose window has passed when they are next asked about', () => {
    const { l, clock } = limiter();
    l.fail('alice', 'A');
    assert.equal(l.size, 2);
    clock.t += WINDOW;
    assert.equal(l.retryAfter('alice', 'A'), 0);
    assert.equal(l.size, 0);
  });
});
