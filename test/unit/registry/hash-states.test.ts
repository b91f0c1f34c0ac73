import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeState, encodeState, HashStates, type HashStateMode } from '../../../src/registry/hash-states.ts';

const hex = (alg: 'sha256' | 'sha512', ...parts: string[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** One settled append of `data` at `offset`; returns whether the running hash was usable. */
async function append(states: HashStates, id: string, offset: number, data: string, alg: 'sha256' | 'sha512' = 'sha256', saved?: Uint8Array | null): Promise<boolean> {
  const h = await states.forAppend(id, offset, alg, saved);
  if (!h) return false;
  h.update(Buffer.from(data));
  states.settle(id);
  return true;
}

// Every rule holds in both modes: in-process native hashes, and saved hash-wasm states.
for (const mode of ['memory', 'database'] as HashStateMode[]) {
  describe(`HashStates (${mode})`, () => {
    it('a fresh upload at offset 0 hashes every chunk in order', async () => {
      const s = new HashStates(mode);
      assert.equal(await append(s, 'u', 0, 'hello '), true);
      assert.equal(await append(s, 'u', 6, 'world'), true);
      assert.equal(await s.take('u', 11, 'sha256'), hex('sha256', 'hello world'));
    });

    it('take does not consume the state: later chunks still extend it', async () => {
      const s = new HashStates(mode);
      await append(s, 'u', 0, 'ab');
      assert.equal(await s.take('u', 2, 'sha256'), hex('sha256', 'ab'));
      assert.equal(await append(s, 'u', 2, 'cd'), true);
      assert.equal(await s.take('u', 4, 'sha256'), hex('sha256', 'abcd'));
    });

    it('supports sha512, and take with the wrong algorithm is undefined', async () => {
      const s = new HashStates(mode);
      await append(s, 'u', 0, 'data', 'sha512');
      assert.equal(await s.take('u', 4, 'sha256'), undefined);
      assert.equal(await s.take('u', 4, 'sha512'), hex('sha512', 'data'));
    });

    it('take with a size other than the bytes hashed is undefined', async () => {
      const s = new HashStates(mode);
      await append(s, 'u', 0, 'abc');
      assert.equal(await s.take('u', 2, 'sha256'), undefined);
      assert.equal(await s.take('u', 4, 'sha256'), undefined);
      assert.equal(await s.take('u', 3, 'sha256'), hex('sha256', 'abc'));
    });

    it('an unknown upload at a non-zero offset cannot be hashed (the bytes must be re-read)', async () => {
      const s = new HashStates(mode);
      assert.equal(await s.forAppend('u', 10, 'sha256'), undefined);
      assert.equal(await s.take('u', 10, 'sha256'), undefined);
    });

    it('an offset mismatch drops the state', async () => {
      const s = new HashStates(mode);
      await append(s, 'u', 0, 'abc');
      assert.equal(await s.forAppend('u', 5, 'sha256'), undefined);
      assert.equal(await s.take('u', 3, 'sha256'), undefined, 'the state is gone');
      assert.equal(await s.forAppend('u', 3, 'sha256'), undefined, 'and is not recreated at a non-zero offset');
    });

    it('a second append while one is busy drops the state, and take refuses a busy state', async () => {
      const s = new HashStates(mode);
      const h = await s.forAppend('u', 0, 'sha256');
      assert.ok(h);
      h.update(Buffer.from('abc'));
      assert.equal(await s.take('u', 3, 'sha256'), undefined, 'busy: the size is not settled');
      assert.equal(s.toRow('u', 3), null, 'busy: nothing to save');
      assert.equal(await s.forAppend('u', 3, 'sha256'), undefined, 'a concurrent append invalidates');
      s.settle('u');
      assert.equal(await s.take('u', 3, 'sha256'), undefined);
    });

    it('a failed append (settled without reaching its size) makes the next append mismatch', async () => {
      const s = new HashStates(mode);
      await append(s, 'u', 0, 'abc');
      const h = await s.forAppend('u', 3, 'sha256');
      assert.ok(h);
      h.update(Buffer.from('de')); // the chunk failed after 2 of 4 bytes; the store kept 3 bytes
      s.settle('u');
      assert.equal(await s.forAppend('u', 3, 'sha256'), undefined);
    });

    it('restarting an upload from offset 0 after a drop starts a new hash', async () => {
      const s = new HashStates(mode);
      await append(s, 'u', 0, 'old');
      s.drop('u');
      assert.equal(await s.take('u', 3, 'sha256'), undefined);
      assert.equal(await append(s, 'u', 0, 'new'), true);
      assert.equal(await s.take('u', 3, 'sha256'), hex('sha256', 'new'));
    });

    it('keeps uploads apart, also while they stream at the same time', async () => {
      const s = new HashStates(mode);
      const a = await s.forAppend('a', 0, 'sha256');
      const b = await s.forAppend('b', 0, 'sha256');
      a!.update(Buffer.from('aa'));
      b!.update(Buffer.from('bb'));
      a!.update(Buffer.from('a'));
      s.settle('a');
      s.settle('b');
      assert.equal(await s.take('a', 3, 'sha256'), hex('sha256', 'aaa'));
      assert.equal(await s.take('b', 2, 'sha256'), hex('sha256', 'bb'));
      s.drop('a');
      assert.equal(await s.take('b', 2, 'sha256'), hex('sha256', 'bb'));
    });

    it('settle and drop of an unknown id are harmless', () => {
      const s = new HashStates(mode);
      assert.doesNotThrow(() => { s.settle('nope'); s.drop('nope'); });
    });
  });
}

describe('HashStates: the state saved in the upload row (database mode)', () => {
  it('another instance continues the digest from the saved row state, without the bytes before', async () => {
    const a = new HashStates('database');
    await append(a, 'u', 0, 'hello ');
    const row1 = a.toRow('u', 6);
    assert.ok(row1, 'a state to save with the offset');
    const b = new HashStates('database'); // a second instance: nothing in memory
    assert.equal(await append(b, 'u', 6, 'wor', 'sha256', row1), true);
    const row2 = b.toRow('u', 9);
    const c = new HashStates('database');
    assert.equal(await append(c, 'u', 9, 'ld', 'sha256', row2), true);
    assert.equal(await c.take('u', 11, 'sha256'), hex('sha256', 'hello world'));
    // The closing PUT with no body, on yet another instance: the digest from the row alone.
    assert.equal(await new HashStates('database').take('u', 11, 'sha256', c.toRow('u', 11)), hex('sha256', 'hello world'));
  });

  it('a row state for another size or algorithm is not used', async () => {
    const a = new HashStates('database');
    await append(a, 'u', 0, 'abc');
    const row = a.toRow('u', 3)!;
    const b = new HashStates('database');
    assert.equal(await b.forAppend('u', 4, 'sha256', row), undefined, 'the row says 3 bytes');
    assert.equal(await b.take('u', 2, 'sha256', row), undefined);
    assert.equal(await b.take('u', 3, 'sha512', row), undefined);
    assert.equal(a.toRow('u', 4), null, 'no state for a size not hashed');
  });

  it('a damaged row state is ignored (the bytes are re-read), never trusted', async () => {
    const a = new HashStates('database');
    await append(a, 'u', 0, 'abc');
    const row = Buffer.from(a.toRow('u', 3)!);
    const b = new HashStates('database');
    assert.equal(await b.take('u', 3, 'sha256', row.subarray(0, 5)), undefined, 'too short');
    const badAlgorithm = Buffer.from(row);
    badAlgorithm[0] = 9;
    assert.equal(await b.take('u', 3, 'sha256', badAlgorithm), undefined, 'unknown algorithm');
    const badState = Buffer.from(row);
    badState.fill(0, 9);
    assert.equal(await b.take('u', 3, 'sha256', badState), undefined, 'a state hash-wasm refuses');
  });

  it('memory mode saves nothing and ignores row states', async () => {
    const a = new HashStates('database');
    await append(a, 'u', 0, 'abc');
    const m = new HashStates('memory');
    await append(m, 'u', 0, 'abc');
    assert.equal(m.toRow('u', 3), null);
    assert.equal(await new HashStates('memory').take('u', 3, 'sha256', a.toRow('u', 3)), undefined);
  });

  it('encodes the algorithm and size with the state', () => {
    const state = Uint8Array.from([1, 2, 3]);
    const decoded = decodeState(encodeState('sha512', 2 ** 40 + 5, state));
    assert.deepEqual(decoded && { ...decoded, state: [...decoded.state] }, { algorithm: 'sha512', size: 2 ** 40 + 5, state: [1, 2, 3] });
  });

  it('a large upload in many chunks across instances gives the same digest as a single hash', async () => {
    const chunk = Buffer.alloc(1 << 20, 7);
    let saved: Uint8Array | null = null;
    const whole = createHash('sha256');
    for (let i = 0; i < 8; i++) {
      const s = new HashStates('database');
      const h = await s.forAppend('u', i * chunk.length, 'sha256', saved);
      assert.ok(h, `chunk ${i}`);
      h.update(chunk);
      s.settle('u');
      whole.update(chunk);
      saved = s.toRow('u', (i + 1) * chunk.length);
    }
    assert.equal(await new HashStates('database').take('u', 8 * chunk.length, 'sha256', saved), whole.digest('hex'));
  });
});
