import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../../src/core/errors.ts';
import { parseContentRange, parseRangeHeader } from '../../../src/http/oci/ranges.ts';

function assertUnsatisfiable(header: string, size: number): void {
  assert.throws(() => parseRangeHeader(header, size), (e: unknown) => {
    assert.ok(e instanceof RegistryError, `expected RegistryError for ${JSON.stringify(header)}, got ${String(e)}`);
    assert.equal(e.code, 'RANGE_INVALID');
    assert.equal(e.status, 416);
    assert.deepEqual(e.headers, { 'Content-Range': `bytes */${size}` });
    return true;
  }, JSON.stringify(header));
}

function assertBadContentRange(header: string): void {
  assert.throws(() => parseContentRange(header), (e: unknown) => {
    assert.ok(e instanceof RegistryError, `expected RegistryError for ${JSON.stringify(header)}, got ${String(e)}`);
    assert.equal(e.code, 'BLOB_UPLOAD_INVALID');
    assert.equal(e.status, 416);
    return true;
  }, JSON.stringify(header));
}

describe('parseRangeHeader', () => {
  it('no header means the whole blob', () => {
    assert.equal(parseRangeHeader(undefined, 100), undefined);
  });

  it('bytes=0-0 is the first byte', () => {
    assert.deepEqual(parseRangeHeader('bytes=0-0', 100), { start: 0, end: 0 });
  });

  it('a closed range is inclusive', () => {
    assert.deepEqual(parseRangeHeader('bytes=10-19', 100), { start: 10, end: 19 });
    assert.deepEqual(parseRangeHeader('bytes=99-99', 100), { start: 99, end: 99 });
  });

  it('an open-ended range runs to the last byte', () => {
    assert.deepEqual(parseRangeHeader('bytes=40-', 100), { start: 40, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=0-', 1), { start: 0, end: 0 });
  });

  it('a suffix range is the last N bytes, clamped to the blob', () => {
    assert.deepEqual(parseRangeHeader('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-100', 100), { start: 0, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=-500', 100), { start: 0, end: 99 });
  });

  it('an end beyond the size is clamped to the last byte', () => {
    assert.deepEqual(parseRangeHeader('bytes=50-1000', 100), { start: 50, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=0-99999999999999999999', 100), { start: 0, end: 99 });
  });

  it('tolerates surrounding whitespace', () => {
    assert.deepEqual(parseRangeHeader('  bytes=1-2 ', 100), { start: 1, end: 2 });
  });

  it('a start at or beyond the size is 416 with Content-Range bytes */size', () => {
    assertUnsatisfiable('bytes=100-', 100);
    assertUnsatisfiable('bytes=100-200', 100);
    assertUnsatisfiable('bytes=5000-', 100);
    assertUnsatisfiable('bytes=0-', 0);
    assertUnsatisfiable('bytes=99999999999999999999-', 100);
  });

  it('an end before the start is 416', () => {
    assertUnsatisfiable('bytes=10-5', 100);
  });

  it('an empty suffix or a suffix of an empty blob is 416', () => {
    assertUnsatisfiable('bytes=-0', 100);
    assertUnsatisfiable('bytes=-5', 0);
    assertUnsatisfiable('bytes=-', 100);
  });

  it('a malformed header is 416', () => {
    for (const h of ['', 'bytes', 'bytes=', 'bytes=a-b', 'items=0-1', 'bytes 0-1', 'bytes=0-1-2', 'bytes=1.5-2', 'bytes=--1']) {
      assertUnsatisfiable(h, 100);
    }
  });

  it('a multi-range request is answered with the whole blob', () => {
    assert.equal(parseRangeHeader('bytes=0-1,5-6', 100), undefined);
    assert.equal(parseRangeHeader('bytes=0-1, 5-', 100), undefined);
  });

  it('the error detail carries the (truncated) header and the size', () => {
    assert.throws(() => parseRangeHeader(`bytes=${'x'.repeat(500)}`, 7), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      const detail = e.detail as { range: string; size: number };
      assert.equal(detail.range.length, 100);
      assert.equal(detail.size, 7);
      return true;
    });
  });
});

describe('parseContentRange', () => {
  it('no header is undefined', () => {
    assert.equal(parseContentRange(undefined), undefined);
  });

  it('accepts "start-end" as the distribution-spec writes it', () => {
    assert.deepEqual(parseContentRange('0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange('100-100'), { start: 100, end: 100 });
  });

  it('accepts the RFC forms with a "bytes" unit and a total', () => {
    assert.deepEqual(parseContentRange('bytes 0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange('bytes=0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange('bytes 0-99/100'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange('bytes 0-99/*'), { start: 0, end: 99 });
    assert.deepEqual(parseContentRange(' 5-9 '), { start: 5, end: 9 });
  });

  it('an end before the start is 416', () => {
    assertBadContentRange('99-0');
    assertBadContentRange('bytes 10-9');
  });

  it('garbage is 416', () => {
    for (const h of ['', 'garbage', '0-', '-99', 'bytes */100', '0-99/abc', 'a-b', '0 - 99', `0-${'9'.repeat(16)}`]) {
      assertBadContentRange(h);
    }
  });
});
