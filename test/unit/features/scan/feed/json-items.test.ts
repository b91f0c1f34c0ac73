// The streaming reader of top-level JSON items: every split of the input gives the same items.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonItems, JsonItemsError } from '../../../../../src/features/scan/feed/json-items.ts';

async function items(text: string, chunkSize: number) {
  const bytes = Buffer.from(text);
  const source = { async *[Symbol.asyncIterator]() { for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize); } };
  const out = [];
  for await (const item of jsonItems(source)) out.push({ ...item, value: JSON.parse(item.text) as unknown });
  return out;
}

describe('jsonItems', () => {
  const object = { openssl: { 'CVE-1': { releases: { bookworm: { status: 'open' } } }, 'CVE-2': { description: 'a "quoted" } ] , { [ brace' } }, 'é-pkg': [1, 2, { a: [] }], 'empty': {}, 'k\\"ey': 'x,y' };
  const array = [{ id: 'GHSA-1', affected: [] }, 'text , ] }', 3, null, [[]]];

  for (const chunk of [1, 2, 3, 7, 64, 100_000]) {
    it(`an object's members and an array's elements, in chunks of ${chunk} bytes`, async () => {
      const got = await items(`\ufeff  ${JSON.stringify(object, null, 1)}\n`, chunk);
      assert.deepEqual(got.map((g) => [g.key, g.value]), Object.entries(object));
      const arr = await items(JSON.stringify(array), chunk);
      assert.deepEqual(arr.map((g) => g.value), array);
      assert.ok(arr.every((g) => g.key === undefined));
    });
  }

  it('an empty object or array has no items', async () => {
    assert.deepEqual(await items('{}', 1), []);
    assert.deepEqual(await items(' [ ] ', 1), []);
  });

  for (const bad of ['', '"a string"', '{"a":1', '{"a" 1}', '[1,2', '{"a":1} x', '{"a":}', '{1:2}', '{"a":1]']) {
    it(`refuses ${JSON.stringify(bad)}`, async () => {
      await assert.rejects(items(bad, 3), JsonItemsError);
    });
  }
});
