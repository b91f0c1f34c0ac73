// Quota sizes: the shared parser and formatter (core/sizes.ts), and the largest quota.
import { parseSize as parseAnySize, SizeError } from '../../core/sizes.ts';

export { formatBytes as formatSize, SizeError } from '../../core/sizes.ts';

/** The largest quota (a safe integer): 4 PiB. */
export const MAX_QUOTA_BYTES = 4 * 2 ** 50;

/** "10GiB", "500MB", "1.5TiB", "1048576" -> bytes; "none" -> null; at most 4 PiB. */
export function parseSize(text: string): number | null {
  const bytes = parseAnySize(text);
  if (bytes !== null && bytes > MAX_QUOTA_BYTES) throw new SizeError(`${text.trim()} is more than the largest quota, 4 PiB`);
  return bytes;
}
