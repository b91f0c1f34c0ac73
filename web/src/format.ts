// Numbers, sizes, times and digests the way registry users read them.

export function count(n: number): string {
  if (n < 1000) return String(n);
  const units = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ] as const;
  for (const [v, u] of units) {
    if (n >= v) {
      const x = n / v;
      return `${x >= 100 ? Math.floor(x) : Math.floor(x * 10) / 10}${u}`;
    }
  }
  return String(n);
}

export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  if (a < 45) return 'just now';
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  if (a < 86400 * 30) return rtf.format(Math.round(s / 86400), 'day');
  if (a < 86400 * 365) return rtf.format(Math.round(s / (86400 * 30)), 'month');
  return rtf.format(Math.round(s / (86400 * 365)), 'year');
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

/** sha256:0123456789ab… → sha256:0123456789ab (12 hex, as docker prints image ids). */
export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return i < 0 ? digest.slice(0, 12) : `${digest.slice(0, i)}:${digest.slice(i + 1, i + 13)}`;
}

export function platformName(p: { os: string; architecture: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function plain(block: string): string {
  return block
    .replace(/<[^>]*>/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^#{1,6}\s+/gm, '')
    .replace(/[*_`>#|~]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A plain-text excerpt of markdown for lists: the first prose paragraph (not a heading, code,
 * list, table, quote or HTML), else the first heading.
 */
export function excerpt(markdown: string, max = 180): string {
  const blocks = markdown.replace(/```[\s\S]*?```/g, '\n\n').split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean);
  const prose = blocks.find((b) => !/^(#|<|\||[-*+] |\d+\. |>|!\[|={3,}|-{3,})/.test(b));
  const text = plain(prose ?? blocks[0] ?? '');
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

const sameText = (s: string) => s.toLowerCase().replace(/[\s.!…]+$/u, '').replace(/\s+/g, ' ').trim();

/**
 * The README without its first paragraph when that paragraph says what the short description
 * already says in the header (headings before it stay): the Overview does not repeat it.
 */
export function withoutRepeatedLead(markdown: string, short: string): string {
  const target = sameText(short);
  if (!target) return markdown;
  const lines = markdown.split('\n');
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.trim() === '' || /^#{1,6}\s/.test(lines[i]!)) {
      i++;
      continue;
    }
    let end = i;
    while (end < lines.length && lines[end]!.trim() !== '') end++;
    const block = lines.slice(i, end).join('\n');
    const prose = !/^(<|\||[-*+] |\d+\. |>|!\[|={3,}|-{3,}|```|~~~|\s{4})/.test(block);
    if (!prose || sameText(plain(block)) !== target) return markdown;
    return [...lines.slice(0, i), ...lines.slice(end)].join('\n');
  }
  return markdown;
}
