import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLru } from '../../../src/core/lru.ts';

const buf = (n: number) => new Uint8Array(n);

function keys(lru: ByteLru<Uint8Array>, candidates: string[]): string[] {
  // Note: get() marks each found key as recently used; call this only at the end of a test.
  return candidates.filter((k) => lru.get(k) !== undefined);
}

describe('ByteLru', () => {
  it('stores and returns values, counting bytes', () => {
    const lru = new ByteLru<Uint8Array>(100);
    const a = buf(10);
    lru.set('a', a);
    lru.set('b', buf(20));
    assert.equal(lru.get('a'), a);
    assert.equal(lru.get('missing'), undefined);
    assert.equal(lru.size, 2);
    assert.equal(lru.totalBytes, 30);
  });

  it('evicts the least recently inserted entries first when over the byte bound', () => {
    const lru = new ByteLru<Uint8Array>(100);
    lru.set('a', buf(40));
    lru.set('b', buf(40));
    lru.set('c', buf(40)); // 120 > 100: a goes
    assert.equal(lru.totalBytes, 80);
    assert.deepEqual(keys(lru, ['a', 'b', 'c']), ['b', 'c']);
  });

  it('a get makes an entry most recently used', () => {
    const lru = new ByteLru<Uint8Array>(100);
    lru.set('a', buf(40));
    lru.set('b', buf(40));
    assert.ok(lru.get('a'));
    lru.set('c', buf(40)); // b is now the least recently used
    assert.equal(lru.get('b'), undefined);
    assert.ok(lru.get('a'));
    assert.ok(lru.get('c'));
  });

  it('evicts as many entries as needed, oldest first', () => {
    const lru = new ByteLru<Uint8Array>(100);
    for (const k of ['a', 'b', 'c', 'd', 'e']) lru.set(k, buf(20));
    lru.set('big', buf(70)); // 170: a, b, c, d must go (30 + 70 = ... e + big = 90)
    assert.equal(lru.size, 2);
    assert.equal(lru.totalBytes, 90);
    assert.deepEqual(keys(lru, ['a', 'b', 'c', 'd', 'e', 'big']), ['e', 'big']);
  });

  it('an entry of exactly maxBytes fits; a larger one is not stored and evicts nothing', () => {
    const lru = new ByteLru<Uint8Array>(100);
    lru.set('a', buf(50));
    lru.set('huge', buf(101));
    assert.equal(lru.get('huge'), undefined);
    assert.ok(lru.get('a'));
    assert.equal(lru.totalBytes, 50);
    lru.set('exact', buf(100));
    assert.equal(lru.size, 1);
    assert.equal(lru.totalBytes, 100);
    assert.ok(lru.get('exact'));
  });

  it('replacing a key adjusts the byte count and refreshes recency', () => {
    const lru = new ByteLru<Uint8Array>(100);
    lru.set('a', buf(30));
    lru.set('b', buf(30));
    const a2 = buf(10);
    lru.set('a', a2);
    assert.equal(lru.size, 2);
    assert.equal(lru.totalBytes, 40);
    assert.equal(lru.get('a'), a2);
    lru.set('c', buf(30));
    lru.set('d', buf(30)); // 100: still fits
    assert.equal(lru.size, 4);
    lru.set('e', buf(30)); // 130: b (oldest) goes first
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.totalBytes, 100);
  });

  it('works with Buffers', () => {
    const lru = new ByteLru<Buffer>(8);
    lru.set('x', Buffer.from('12345'));
    lru.set('y', Buffer.from('6789'));
    assert.equal(lru.get('x'), undefined);
    assert.equal(lru.get('y')?.toString(), '6789');
  });
});
