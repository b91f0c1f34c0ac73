import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HashStates } from '../../../src/registry/hash-states.ts';

const hex = (alg: 'sha256' | 'sha512', ...parts: string[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** One settled append of `data` at `offset`; returns whether the running hash was usable. */
function append(states: HashStates, id: string, offset: number, data: string, alg: 'sha256' | 'sha512' = 'sha256'): boolean {
  const h = states.forAppend(id, offset, alg);
  if (!h) return false;
  h.update(Buffer.from(data));
  states.settle(id);
  return true;
}

describe('HashStates', () => {
  it('a fresh upload at offset 0 hashes every chunk in order', () => {
    const s = new HashStates();
    assert.equal(append(s, 'u', 0, 'hello '), true);
    assert.equal(append(s, 'u', 6, 'world'), true);
    assert.equal(s.take('u', 11, 'sha256'), hex('sha256', 'hello world'));
  });

  it('take does not consume the state: later chunks still extend it', () => {
    const s = new HashStates();
    append(s, 'u', 0, 'ab');
    assert.equal(s.take('u', 2, 'sha256'), hex('sha256', 'ab'));
    assert.equal(append(s, 'u', 2, 'cd'), true);
    assert.equal(s.take('u', 4, 'sha256'), hex('sha256', 'abcd'));
  });

  it('supports sha512, and take with the wrong algorithm is undefined', () => {
    const s = new HashStates();
    append(s, 'u', 0, 'data', 'sha512');
    assert.equal(s.take('u', 4, 'sha256'), undefined);
    assert.equal(s.take('u', 4, 'sha512'), hex('sha512', 'data'));
  });

  it('take with a size other than the bytes hashed is undefined', () => {
    const s = new HashStates();
    append(s, 'u', 0, 'abc');
    assert.equal(s.take('u', 2, 'sha256'), undefined);
    assert.equal(s.take('u', 4, 'sha256'), undefined);
    assert.equal(s.take('u', 3, 'sha256'), hex('sha256', 'abc'));
  });

  it('an unknown upload at a non-zero offset cannot be hashed (the bytes must be re-read)', () => {
    const s = new HashStates();
    assert.equal(s.forAppend('u', 10, 'sha256'), undefined);
    assert.equal(s.take('u', 10, 'sha256'), undefined);
  });

  it('an offset mismatch drops the state', () => {
    const s = new HashStates();
    append(s, 'u', 0, 'abc');
    assert.equal(s.forAppend('u', 5, 'sha256'), undefined);
    assert.equal(s.take('u', 3, 'sha256'), undefined, 'the state is gone');
    assert.equal(s.forAppend('u', 3, 'sha256'), undefined, 'and is not recreated at a non-zero offset');
  });

  it('a second append while one is busy drops the state, and take refuses a busy state', () => {
    const s = new HashStates();
    const h = s.forAppend('u', 0, 'sha256');
    assert.ok(h);
    h.update(Buffer.from('abc'));
    assert.equal(s.take('u', 3, 'sha256'), undefined, 'busy: the size is not settled');
    assert.equal(s.forAppend('u', 3, 'sha256'), undefined, 'a concurrent append invalidates');
    s.settle('u');
    assert.equal(s.take('u', 3, 'sha256'), undefined);
  });

  it('a failed append (settled without reaching its size) makes the next append mismatch', () => {
    const s = new HashStates();
    append(s, 'u', 0, 'abc');
    const h = s.forAppend('u', 3, 'sha256');
    assert.ok(h);
    h.update(Buffer.from('de')); // the chunk failed after 2 of 4 bytes; the store kept 3 bytes
    s.settle('u');
    assert.equal(s.forAppend('u', 3, 'sha256'), undefined);
  });

  it('restarting an upload from offset 0 after a drop starts a new hash', () => {
    const s = new HashStates();
    append(s, 'u', 0, 'old');
    s.drop('u');
    assert.equal(s.take('u', 3, 'sha256'), undefined);
    assert.equal(append(s, 'u', 0, 'new'), true);
    assert.equal(s.take('u', 3, 'sha256'), hex('sha256', 'new'));
  });

  it('keeps uploads apart', () => {
    const s = new HashStates();
    append(s, 'a', 0, 'aaa');
    append(s, 'b', 0, 'bb');
    assert.equal(s.take('a', 3, 'sha256'), hex('sha256', 'aaa'));
    assert.equal(s.take('b', 2, 'sha256'), hex('sha256', 'bb'));
    s.drop('a');
    assert.equal(s.take('b', 2, 'sha256'), hex('sha256', 'bb'));
  });

  it('settle and drop of an unknown id are harmless', () => {
    const s = new HashStates();
    assert.doesNotThrow(() => { s.settle('nope'); s.drop('nope'); });
  });
});
