import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedLock } from '../../../src/registry/keyed-lock.ts';

/** A promise with its resolver, to hold work open until the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('KeyedLock', () => {
  it('serialises work on one key, in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const task = (name: string, ms: number) => lock.run('k', async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
      running--;
      return name;
    });
    const results = await Promise.all([task('a', 30), task('b', 5), task('c', 1)]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.equal(maxRunning, 1);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('runs different keys concurrently', async () => {
    const lock = new KeyedLock();
    const g = gate();
    let bRan = false;
    const a = lock.run('a', async () => { await g.promise; return 'a'; });
    const b = lock.run('b', async () => { bRan = true; return 'b'; });
    assert.equal(await b, 'b', 'b finishes while a is still held');
    assert.equal(bRan, true);
    g.open();
    assert.equal(await a, 'a');
  });

  it('a second task on a key waits until the first finishes', async () => {
    const lock = new KeyedLock();
    const g = gate();
    let secondStarted = false;
    const first = lock.run('k', () => g.promise);
    const second = lock.run('k', async () => { secondStarted = true; });
    await sleep(20);
    assert.equal(secondStarted, false);
    g.open();
    await first;
    await second;
    assert.equal(secondStarted, true);
  });

  it('releases the lock after a rejection, and passes the rejection through', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('k', async () => { await sleep(5); throw new Error('work failed'); });
    const next = lock.run('k', async () => 'next');
    await assert.rejects(failing, /work failed/);
    assert.equal(await next, 'next');
    // And the key is usable again afterwards.
    assert.equal(await lock.run('k', async () => 42), 42);
  });

  it('releases the lock after a synchronous throw inside the work', async () => {
    const lock = new KeyedLock();
    await assert.rejects(lock.run('k', () => { throw new Error('sync'); }), /sync/);
    assert.equal(await lock.run('k', async () => 'ok'), 'ok');
  });

  it('does not keep finished keys around', async () => {
    const lock = new KeyedLock();
    await lock.run('k', async () => undefined);
    await assert.rejects(lock.run('j', async () => { throw new Error('x'); }));
    const tails = (lock as unknown as { tails: Map<string, unknown> }).tails;
    assert.equal(tails.size, 0);
  });
});
