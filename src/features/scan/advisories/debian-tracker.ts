// The Debian security tracker's JSON (security-tracker.debian.org/tracker/data/json):
//   { "<source package>": { "<CVE-… or TEMP-…>": { "description", "scope", "debianbug",
//       "releases": { "<codename>": { "status", "fixed_version", "urgency", "repositories", … } } } } }
// turned into one AffectedPackage per (issue, package, release). It knows what OSV does not:
// open issues with no fix yet. Pure: parseTrackerPackage takes one package's entry (the file is
// ~100 MB, so the caller feeds it entry by entry; TrackerSplitter cuts the text into entries
// without parsing the whole file at once).
//
// Statuses: "resolved" with fixed_version "0" means the release never had the bug (no row);
// "resolved" with a version is fixed there (range: fixed); "open" is affected in every version,
// with no fix (no ranges, no versions); "undetermined" (nobody has looked yet) is treated as
// open unless includeUndetermined is false.
import type { AffectedPackage, Severity } from './types.ts';

/** Debian codenames and their version numbers (distro-info-data); sid is "unstable". */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
  sid: 'unstable',
};

/** The release key of a codename (bookworm → debian:12, sid → debian:unstable), or undefined. */
export function releaseOfCodename(codename: string): string | undefined {
  const v = DEBIAN_CODENAMES[codename.toLowerCase()];
  return v === undefined ? undefined : `debian:${v}`;
}

/**
 * The tracker's urgency as a severity: high → high, medium → medium, low and unimportant → low
 * (unimportant: the security team will not fix it in a stable release, but it is a real issue),
 * "not yet assigned", "end-of-life" (the release no longer gets security support for the
 * package: still affected, nothing says how badly) and anything else → unknown. The "*" marks
 * the tracker appends to some urgencies are ignored.
 */
export function severityOfUrgency(urgency: string): Severity {
  switch (urgency.replace(/\*+$/, '').trim().toLowerCase()) {
    case 'high':
      return 'high';
    case 'medium':
      return 'medium';
    case 'low':
    case 'unimportant':
      return 'low';
    default:
      return 'unknown';
  }
}

export interface TrackerOptions {
  /** Report "undetermined" issues as open (default true: a scanner should not hide what may affect an image). */
  readonly includeUndetermined?: boolean;
  /** Only these codenames (default: every codename in DEBIAN_CODENAMES). */
  readonly codenames?: readonly string[];
}

export interface TrackerResult {
  readonly affected: AffectedPackage[];
  /** Release entries not imported: unknown codenames, unknown statuses, resolved without a version. */
  readonly skipped: number;
  /** Release entries that say the release was never affected (fixed_version "0"). */
  readonly notAffected: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One source package's issues (the value under its name in the tracker's JSON). */
export function parseTrackerPackage(source: string, issues: unknown, options: TrackerOptions = {}): TrackerResult {
  const affected: AffectedPackage[] = [];
  let skipped = 0;
  let notAffected = 0;
  if (!isObject(issues)) return { affected, skipped: 1, notAffected };
  const only = options.codenames ? new Set(options.codenames.map((c) => c.toLowerCase())) : undefined;
  const includeUndetermined = options.includeUndetermined ?? true;
  for (const [id, issue] of Object.entries(issues)) {
    if (!isObject(issue) || !isObject(issue.releases)) {
      skipped++;
      continue;
    }
    const description = typeof issue.description === 'string' && issue.description.trim() !== '' ? issue.description.trim() : undefined;
    for (const [codename, entry] of Object.entries(issue.releases)) {
      if (only && !only.has(codename.toLowerCase())) continue;
      const release = releaseOfCodename(codename);
      if (!release || !isObject(entry)) {
        skipped++;
        continue;
      }
      const fixed = typeof entry.fixed_version === 'string' ? entry.fixed_version.trim() : undefined;
      let ranges: { fixed: string }[];
      if (entry.status === 'resolved') {
        if (fixed === '0') {
          notAffected++;
          continue;
        }
        if (!fixed) {
          skipped++;
          continue;
        }
        ranges = [{ fixed }];
      } else if (entry.status === 'open' || (entry.status === 'undetermined' && includeUndetermined)) {
        ranges = [];
      } else {
        if (entry.status !== 'undetermined') skipped++;
        continue;
      }
      affected.push({
        advisory: id,
        aliases: [],
        type: 'deb',
        name: source,
        release,
        ranges,
        versions: [],
        severity: typeof entry.urgency === 'string' ? severityOfUrgency(entry.urgency) : 'unknown',
        ...(description !== undefined ? { summary: description } : {}),
        links: [`https://security-tracker.debian.org/tracker/${id}`],
      });
    }
  }
  return { affected, skipped, notAffected };
}

/** The whole file, already parsed (tests, small extracts); for the real file use TrackerSplitter. */
export function parseTracker(data: unknown, options: TrackerOptions = {}): TrackerResult {
  if (!isObject(data)) throw new TypeError('the Debian tracker JSON is an object of source packages');
  const affected: AffectedPackage[] = [];
  let skipped = 0;
  let notAffected = 0;
  for (const [source, issues] of Object.entries(data)) {
    const r = parseTrackerPackage(source, issues, options);
    affected.push(...r.affected);
    skipped += r.skipped;
    notAffected += r.notAffected;
  }
  return { affected, skipped, notAffected };
}

type SplitState = 'begin' | 'beforeKey' | 'key' | 'colon' | 'beforeValue' | 'value' | 'afterValue' | 'end';

/**
 * Cuts the text of one big JSON object into its top-level entries as the text arrives, so that
 * only one entry (one source package) is held and parsed at a time:
 *   const s = new TrackerSplitter(); for (const chunk of text) for (const [name, value] of s.push(chunk)) …; s.end();
 * Throws SyntaxError on text that is not a JSON object.
 */
export class TrackerSplitter {
  private buf = '';
  private pos = 0;
  private start = 0;
  private state: SplitState = 'begin';
  private key = '';
  private depth = 0;
  private inString = false;
  private escaped = false;

  push(chunk: string): [string, unknown][] {
    this.buf += chunk;
    const out: [string, unknown][] = [];
    this.drain(out);
    // Keep only what the current token still needs.
    const keep = this.state === 'key' || this.state === 'value' ? this.start : this.pos;
    this.buf = this.buf.slice(keep);
    this.pos -= keep;
    this.start -= keep;
    return out;
  }

  /** Checks that the object was complete. */
  end(): void {
    this.drain([]);
    if (this.state !== 'end') throw new SyntaxError('the JSON object ended early');
  }

  private skipSpace(): boolean {
    const b = this.buf;
    while (this.pos < b.length) {
      const c = b.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return true;
      this.pos++;
    }
    return false;
  }

  private fail(what: string): never {
    throw new SyntaxError(`the Debian tracker JSON: ${what} (near ${JSON.stringify(this.buf.slice(this.pos, this.pos + 20))})`);
  }

  private drain(out: [string, unknown][]): void {
    const b = this.buf;
    for (;;) {
      switch (this.state) {
        case 'begin':
          if (!this.skipSpace()) return;
          if (b[this.pos] !== '{') this.fail('expected "{"');
          this.pos++;
          this.state = 'beforeKey';
          break;
        case 'beforeKey':
          if (!this.skipSpace()) return;
          if (b[this.pos] === '}') {
            this.pos++;
            this.state = 'end';
            break;
          }
          if (b[this.pos] !== '"') this.fail('expected a key');
          this.start = this.pos++;
          this.escaped = false;
          this.state = 'key';
          break;
        case 'key': {
          for (; this.pos < b.length; this.pos++) {
            const c = b[this.pos];
            if (this.escaped) this.escaped = false;
            else if (c === '\\') this.escaped = true;
            else if (c === '"') break;
          }
          if (this.pos >= b.length) return;
          this.key = JSON.parse(b.slice(this.start, ++this.pos)) as string;
          this.state = 'colon';
          break;
        }
        case 'colon':
          if (!this.skipSpace()) return;
          if (b[this.pos] !== ':') this.fail('expected ":"');
          this.pos++;
          this.state = 'beforeValue';
          break;
        case 'beforeValue':
          if (!this.skipSpace()) return;
          this.start = this.pos;
          this.depth = 0;
          this.inString = false;
          this.escaped = false;
          this.state = 'value';
          break;
        case 'value': {
          let end = -1;
          for (; this.pos < b.length; this.pos++) {
            const c = b[this.pos];
            if (this.inString) {
              if (this.escaped) this.escaped = false;
              else if (c === '\\') this.escaped = true;
              else if (c === '"') this.inString = false;
            } else if (c === '"') {
              this.inString = true;
            } else if (c === '{' || c === '[') {
              this.depth++;
            } else if (c === '}' || c === ']') {
              if (this.depth === 0) {
                end = this.pos; // a scalar value ended by the object's "}"
                break;
              }
              if (--this.depth === 0) {
                end = ++this.pos;
                break;
              }
            } else if (c === ',' && this.depth === 0) {
              end = this.pos;
              break;
            }
          }
          if (end < 0) return;
          out.push([this.key, JSON.parse(b.slice(this.start, end))]);
          this.state = 'afterValue';
          break;
        }
        case 'afterValue':
          if (!this.skipSpace()) return;
          if (b[this.pos] === ',') this.state = 'beforeKey';
          else if (b[this.pos] === '}') this.state = 'end';
          else this.fail('expected "," or "}"');
          this.pos++;
          break;
        case 'end':
          if (this.skipSpace()) this.fail('text after the object');
          return;
      }
    }
  }
}

/** Reads the tracker's JSON from a stream of text or bytes, one source package at a time. */
export async function* trackerEntries(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<[string, unknown]> {
  const split = new TrackerSplitter();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of chunks) {
    yield* split.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  split.push(decoder.decode());
  split.end();
}
