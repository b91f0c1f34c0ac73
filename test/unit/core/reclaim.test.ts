import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gcHandle, reclaiming, Reclaimer } from '../../../src/core/reclaim.ts';

describe('Reclaimer', () => {
  it('collects once per `everyBytes` of chunks, whatever their sizes', () => {
    let collections = 0;
    const r = new Reclaimer(100, () => { collections++; });
    for (let i = 0; i < 9; i++) r.add(30); // 270 bytes: at 120 and 240
    assert.equal(collections, 2);
    r.add(1000);
    assert.equal(collections, 3, 'a big chunk counts once, and the count starts again after it');
  });

  it('reaches V8 gc without --expose-gc on the command line, and a scavenge runs', () => {
    assert.equal(process.execArgv.includes('--expose-gc'), false, 'this test must run without --expose-gc');
    const gc = gcHandle();
    assert.equal(typeof gc, 'function', 'no gc function: Berth could not free streamed chunks early');
    gc!({ type: 'minor' });
  });

  it('reclaiming() passes every chunk through in order', async () => {
    async function* chunks() { for (let i = 0; i < 5; i++) yield Buffer.alloc(3 << 20, i); }
    const seen: number[] = [];
    for await (const c of reclaiming(chunks())) seen.push(c[0]!, c.length);
    assert.deepEqual(seen, [0, 3 << 20, 1, 3 << 20, 2, 3 << 20, 3, 3 << 20, 4, 3 << 20]);
  });
});
