// Sizes as people write them for --quota, and as Berth's quota messages print them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, MAX_QUOTA_BYTES, parseSize, SizeError } from '../../../../src/features/quota/size.ts';

describe('quota sizes', () => {
  it('parses bytes, decimal and binary units, any case, with or without a space; none is no quota', () => {
    const cases: [string, number | null][] = [
      ['1048576', 1048576], ['0', 0], ['512B', 512], ['10GiB', 10 * 2 ** 30], ['10 gib', 10 * 2 ** 30], ['1.5TiB', 1.5 * 2 ** 40],
      ['500MB', 500_000_000], ['2kB', 2000], ['3KiB', 3072], ['1PiB', 2 ** 50], ['.5MiB', 2 ** 19], ['none', null], ['NONE', null], [' 7 MiB ', 7 * 2 ** 20],
    ];
    for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
  });

  it('refuses what is not a size, ambiguous single letters and too much, saying why', () => {
    assert.throws(() => parseSize('lots'), (e: unknown) => e instanceof SizeError && /"lots" is not a size: write it like 10GiB/.test(e.message));
    assert.throws(() => parseSize('10G'), /unknown unit "G" in "10G" \(did you mean 10GiB or 10GB\?\)/);
    assert.throws(() => parseSize('10 bananas'), /unknown unit "bananas"/);
    assert.throws(() => parseSize('-1GiB'), /is not a size/);
    assert.throws(() => parseSize('5PiB'), /more than the largest quota, 4 PiB/);
    assert.equal(parseSize('4PiB'), MAX_QUOTA_BYTES);
  });

  it('prints binary units with one decimal, rounded down, as the messages show them', () => {
    const cases: [number, string][] = [
      [0, '0 B'], [512, '512 B'], [1023, '1023 B'], [1024, '1 KiB'], [1536, '1.5 KiB'], [300 * 2 ** 20, '300 MiB'],
      [10 * 2 ** 30, '10 GiB'], [Math.round(9.8 * 2 ** 30), '9.8 GiB'], [Math.floor(9.99 * 2 ** 30), '9.9 GiB'], [2 ** 50, '1 PiB'], [3 * 2 ** 50, '3 PiB'],
    ];
    for (const [bytes, text] of cases) assert.equal(formatSize(bytes), text, String(bytes));
    assert.equal(formatSize(parseSize('10GiB')!), '10 GiB');
  });
});
