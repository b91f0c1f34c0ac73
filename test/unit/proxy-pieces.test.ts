// The proxy's tee regroups the upstream's small pieces before the store and the client see them
// (features/proxy/puller.ts, inPiecesOf): every byte once, in order, in pieces of at least the size.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inPiecesOf } from '../../src/features/proxy/puller.ts';

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of source) out.push(c);
  return out;
}

describe('inPiecesOf', () => {
  it('joins small chunks into pieces of at least the size, the last one shorter, bytes unchanged', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i * 37));
    const pieces = await collect(inPiecesOf(from(chunks), 16 * 1024));
    assert.deepEqual(Buffer.concat(pieces), Buffer.concat(chunks));
    for (const p of pieces.slice(0, -1)) assert.ok(p.length >= 16 * 1024, `a piece of ${p.length} bytes`);
    assert.ok(pieces.at(-1)!.length > 0);
    assert.ok(pieces.length < chunks.length / 5, `${pieces.length} pieces from ${chunks.length} chunks`);
  });

  it('passes a chunk already large enough as it is (no copy), and yields nothing for nothing', async () => {
    const big = randomBytes(64 * 1024);
    const [piece] = await collect(inPiecesOf(from([big]), 16 * 1024));
    assert.equal(piece, big);
    assert.deepEqual(await collect(inPiecesOf(from([]), 16 * 1024)), []);
  });

  it('a source that fails makes the iteration fail (nothing half-read is passed as whole)', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(100);
      throw new Error('upstream reset');
    }
    await assert.rejects(collect(inPiecesOf(failing(), 1024)), /upstream reset/);
  });
});
