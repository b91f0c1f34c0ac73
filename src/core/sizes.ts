// Sizes for people (pure): "10GiB", "500MB", "1.5TiB", "1048576" in; "9.8 GiB" out. The one
// parser and formatter of the CLI, quotas, retention plans, GC summaries and webhook texts.

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50,
};

export class SizeError extends Error {}

/**
 * "10GiB", "10 GiB", "500MB", "1.5TiB", "1048576" (bytes) -> bytes; "none" -> null. Decimal units
 * (kB, MB, GB, TB, PB) are powers of 1000, binary ones (KiB, MiB, GiB, TiB, PiB) of 1024; the
 * letters' case does not matter. A lone "G" or "M" is refused: it is ambiguous.
 */
export function parseSize(text: string): number | null {
  const s = text.trim();
  if (/^(none|unlimited)$/i.test(s)) return null;
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)$/.exec(s);
  if (!m) throw new SizeError(`${JSON.stringify(text.slice(0, 40))} is not a size: write it like 10GiB, 500MB, 1.5TiB, a number of bytes, or none`);
  const unit = m[2]!.toLowerCase();
  const factor = UNITS[unit];
  if (factor === undefined) {
    const hint = /^[kmgtp]$/.test(unit) ? ` (did you mean ${m[1]}${unit.toUpperCase()}iB or ${m[1]}${unit.toUpperCase()}B?)` : '';
    throw new SizeError(`unknown unit ${JSON.stringify(m[2])} in ${JSON.stringify(text.slice(0, 40))}${hint}: use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB`);
  }
  const bytes = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) throw new SizeError(`${text.trim()} is too large a size`);
  return bytes;
}

/** 10737418240 -> "10 GiB"; 10522669875 -> "9.8 GiB"; 314572800 -> "300 MiB"; 512 -> "512 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  if (v < 1024) return `${sign}${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  // One decimal, dropped when it is 0; rounding never shows more than there is ("9.96" -> "9.9"),
  // so "10 GiB used" of a 10 GiB quota really means it is full.
  const shown = Math.floor(v * 10 + 1e-6) / 10;
  return `${sign}${Number.isInteger(shown) ? shown.toFixed(0) : shown.toFixed(1)} ${units[i]}`;
}
