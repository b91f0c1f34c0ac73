// Byte ranges: the Range header on blob GET (RFC 9110) and the Content-Range of upload chunks
// (distribution-spec: "<start>-<end>", inclusive).
import { RegistryError } from '../../core/errors.ts';
import type { ByteRange } from '../../storage/driver.ts';

/**
 * Parses a Range header against a blob of `size` bytes. Returns undefined for no header (or a
 * multi-range request, which is answered with the whole blob), the range otherwise, and throws
 * RANGE_INVALID (416) for an unsatisfiable or malformed range.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const unsatisfiable = () => new RegistryError('RANGE_INVALID', { range: header.slice(0, 100), size }, { headers: { 'Content-Range': `bytes */${size}` } });
  const m = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!m) {
    if (/^bytes=[\d\s,-]+$/i.test(header.trim()) && header.includes(',')) return undefined;
    throw unsatisfiable();
  }
  const [, a, b] = m;
  let start: number;
  let end: number;
  if (a === '' && b === '') throw unsatisfiable();
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (!Number.isSafeInteger(start) || start >= size || (b !== '' && Number(b) < start)) throw unsatisfiable();
  }
  return { start, end };
}

/** Parses a chunk's Content-Range; undefined when absent, BLOB_UPLOAD_INVALID (416) if malformed. */
export function parseContentRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d+|\*))?$/.exec(header.trim());
  const start = m ? Number(m[1]) : NaN;
  const end = m ? Number(m[2]) : NaN;
  if (!m || end < start) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', { contentRange: header.slice(0, 100) }, { status: 416, message: 'malformed Content-Range: expected <start>-<end>' });
  }
  return { start, end };
}
