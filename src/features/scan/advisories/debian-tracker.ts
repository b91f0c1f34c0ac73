// The Debian security tracker's JSON (security-tracker.debian.org/tracker/data/json):
//   { "<source package>": { "<CVE-… or TEMP-…>": { "description", "scope", "debianbug",
//       "releases": { "<codename>": { "status", "fixed_version", "urgency", "repositories", … } } } } }
// turned into one AffectedPackage per (issue, package, release). It knows what OSV does not:
// open issues with no fix yet. Pure: parseTrackerPackage takes one package's entry (the file is
// ~100 MB, so the importer feeds it entry by entry, cut from the stream by feed/json-items.ts
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
