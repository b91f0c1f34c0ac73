// Tag TTLs (pure): how long a cached tag is served before it is checked upstream with a HEAD.
// `--tag-ttl 1h` applies to every tag; `--tag-ttl 'latest=5m,v*=7d,*=1h'` sets one per tag
// pattern (* any run of characters, ? one), the first match winning.

export interface TagTtlRule {
  readonly pattern: string;
  readonly ttlMs: number;
}

export const DEFAULT_TAG_TTL_MS = 3_600_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "90s", "10m", "1h30m", "7d", "0" -> milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== t.length) return undefined;
  return Math.round(total);
}

/** Parses --tag-ttl; throws an Error naming what is wrong. */
export function parseTagTtls(text: string): TagTtlRule[] {
  const rules: TagTtlRule[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const pattern = eq < 0 ? '*' : part.slice(0, eq).trim();
    const ttl = parseDuration(eq < 0 ? part : part.slice(eq + 1));
    if (ttl === undefined) throw new Error(`"${part}" is not a duration such as 10m, 1h or 7d${eq < 0 ? '' : ' after the ='}`);
    if (!pattern || !/^[A-Za-z0-9_.*?-]{1,128}$/.test(pattern)) throw new Error(`"${pattern}" is not a tag pattern (letters, digits, _ . -, and * ?)`);
    rules.push({ pattern, ttlMs: ttl });
  }
  if (!rules.length) throw new Error('no tag TTL given');
  return rules;
}

export function globMatches(pattern: string, tag: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(tag);
}

/** The TTL of a tag: the first rule that matches, else the default. */
export function ttlFor(rules: readonly TagTtlRule[], tag: string): number {
  for (const r of rules) if (globMatches(r.pattern, tag)) return r.ttlMs;
  return DEFAULT_TAG_TTL_MS;
}

/** Whether a tag checked at `checkedAt` must be checked again at `now`. */
export function isStale(rules: readonly TagTtlRule[], tag: string, checkedAt: number | undefined, now: number): boolean {
  if (checkedAt === undefined) return true;
  return now - checkedAt >= ttlFor(rules, tag);
}

/** Back to the --tag-ttl form, for lists. */
export function formatTagTtls(rules: readonly TagTtlRule[]): string {
  return rules.map((r) => `${r.pattern}=${formatDuration(r.ttlMs)}`).join(',');
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
