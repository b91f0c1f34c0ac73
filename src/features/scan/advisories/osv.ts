// OSV records (the OSV schema, ossf/osv-schema docs/schema.md, 1.6 and later) turned into the
// rows the matcher needs: one AffectedPackage per affected[] entry of an ecosystem Berth scans.
// Pure: it takes the parsed JSON of one record.
//
// Ranges follow the schema's evaluation algorithm exactly. A range's events are sorted by the
// ecosystem's order (a stable sort: events at equal versions keep the record's order; the
// introduced "0" is below everything) and walked like the pseudocode walks them: an introduced
// event opens an interval when none is open, a fixed or last_affected event closes the open one.
// So [introduced 1.0, fixed 1.2, introduced 2.0, fixed 2.3] gives [1.0, 1.2) and [2.0, 2.3),
// and an interval still open at the end has no upper bound. limit events cap every interval of
// their range (below the largest limit; "*" is no limit). GIT ranges are ignored: an entry left
// with no range and no versions is skipped, never read as "every version".
import type { PackageType } from '../inventory/types.ts';
import { comparatorFor, semver, type VersionComparator } from '../versions/index.ts';
import { normalizeName } from '../versions/pep440.ts';
import { baseScoreV2, baseScoreV3, severityOfScore, severityOfScoreV2 } from './cvss.ts';
import { severityOfUrgency } from './debian-tracker.ts';
import type { AffectedPackage, AffectedRange, Severity } from './types.ts';

/** A record that is not an OSV record at all (no id); one bad record among many should be counted, not crash an import. */
export class OsvFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OsvFormatError';
  }
}

export interface OsvParseResult {
  readonly id: string;
  readonly modified?: string;
  /** Set when the record is withdrawn: then `affected` is empty, and an earlier import of it should go. */
  readonly withdrawn?: string;
  readonly affected: readonly AffectedPackage[];
  /** affected[] entries not imported: an ecosystem Berth does not scan, no package, or no usable range. */
  readonly skipped: number;
  /** The distinct unknown ecosystems among the skipped entries. */
  readonly skippedEcosystems: readonly string[];
}

export interface OsvParseOptions {
  /**
   * Keep affected[].versions when the entry also has ranges (default true, as the schema says a
   * version is affected when it is in either). osv.dev fills versions[] by expanding the ranges,
   * so false saves space at no loss for the ecosystems whose ranges Berth reads.
   */
  readonly keepVersionsWithRanges?: boolean;
}

/** Where an OSV ecosystem string points: the package type and, for OS packages, the release key. */
export interface EcosystemTarget {
  readonly type: PackageType;
  readonly release?: string;
}

/**
 * Maps an OSV ecosystem to Berth's package type and release key:
 * Debian:12 → deb debian:12; Ubuntu:22.04:LTS → deb ubuntu:22.04; Alpine:v3.19 → apk alpine:3.19;
 * Red Hat:<cpe> → rpm rhel:<major>; AlmaLinux:9 → rpm almalinux:9; Rocky Linux:9 → rpm rocky:9;
 * npm, PyPI, Go, Maven → their types without a release. OS ecosystems without a release, Ubuntu
 * Pro (fixes a plain Ubuntu cannot install) and every other ecosystem map to undefined.
 */
export function mapEcosystem(ecosystem: string): EcosystemTarget | undefined {
  const colon = ecosystem.indexOf(':');
  const base = colon < 0 ? ecosystem : ecosystem.slice(0, colon);
  const suffix = colon < 0 ? '' : ecosystem.slice(colon + 1);
  switch (base) {
    case 'npm':
      return { type: 'npm' };
    case 'PyPI':
      return { type: 'pypi' };
    case 'Go':
      return { type: 'golang' };
    case 'Maven':
      return { type: 'maven' }; // a ":<repository URL>" suffix names where, not what
    case 'Debian': {
      if (suffix === '') return undefined;
      const release = suffix.toLowerCase();
      return { type: 'deb', release: `debian:${release === 'sid' ? 'unstable' : release}` };
    }
    case 'Ubuntu': {
      const [version] = suffix.split(':');
      if (!version || !/^\d+\.\d+$/.test(version)) return undefined; // "Pro:..." and junk
      return { type: 'deb', release: `ubuntu:${version}` };
    }
    case 'Alpine': {
      const m = /^v(\d+\.\d+)$/.exec(suffix);
      if (m) return { type: 'apk', release: `alpine:${m[1]}` };
      return suffix === 'edge' ? { type: 'apk', release: 'alpine:edge' } : undefined;
    }
    case 'Red Hat': {
      // A CPE without its prefix, e.g. enterprise_linux:9::appstream or rhel_eus:8.6::baseos.
      const version = suffix.split(':').find((p) => /^\d+(\.\d+)*$/.test(p));
      return version ? { type: 'rpm', release: `rhel:${version.split('.')[0]}` } : undefined;
    }
    case 'AlmaLinux':
    case 'Rocky Linux': {
      const m = /^(\d+)(\.\d+)*$/.exec(suffix);
      return m ? { type: 'rpm', release: `${base === 'AlmaLinux' ? 'almalinux' : 'rocky'}:${m[1]}` } : undefined;
    }
    default:
      return undefined;
  }
}

/** One event of a range's timeline. */
export interface OsvEvent {
  readonly kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  readonly version: string;
}

function readEvents(events: unknown): OsvEvent[] {
  if (!Array.isArray(events)) return [];
  const out: OsvEvent[] = [];
  for (const e of events) {
    if (!isObject(e)) continue;
    for (const kind of ['introduced', 'fixed', 'last_affected', 'limit'] as const) {
      const v = e[kind];
      if (typeof v === 'string' && v !== '') out.push({ kind, version: v });
    }
  }
  return out;
}

/** Is the version one this event can be sorted by? ("0" and "*" are the schema's specials.) */
function sortable(e: OsvEvent, cmp: VersionComparator): boolean {
  if (e.kind === 'introduced' && e.version === '0') return true;
  if (e.kind === 'limit' && e.version.includes('*')) return true;
  return cmp.isValid(e.version);
}

/**
 * Turns one range's events into intervals, as the schema's evaluation algorithm reads them.
 * When some event's version is not valid in the ecosystem's order the record's own order is
 * kept (the schema recommends records keep their events sorted).
 */
export function rangesFromEvents(events: readonly OsvEvent[], cmp: VersionComparator): AffectedRange[] {
  const walk = events.filter((e) => e.kind !== 'limit');
  if (walk.every((e) => sortable(e, cmp))) {
    const key = (e: OsvEvent): number => (e.kind === 'introduced' && e.version === '0' ? -1 : 0);
    // Array.prototype.sort is stable: ties keep the record's order.
    walk.sort((a, b) => key(a) - key(b) || (key(a) === -1 ? 0 : cmp.compare(a.version, b.version)));
  }
  const out: AffectedRange[] = [];
  let open: { introduced?: string } | undefined;
  for (const e of walk) {
    if (e.kind === 'introduced') {
      open ??= e.version === '0' ? {} : { introduced: e.version };
    } else if (open) {
      out.push(e.kind === 'fixed' ? { ...open, fixed: e.version } : { ...open, lastAffected: e.version });
      open = undefined;
    }
  }
  if (open) out.push(open);

  const limits = events.filter((e) => e.kind === 'limit');
  if (limits.length === 0 || limits.some((e) => e.version.includes('*'))) return out;
  let max = limits[0]!.version;
  if (limits.every((e) => cmp.isValid(e.version))) for (const e of limits) if (cmp.compare(e.version, max) > 0) max = e.version;
  return out.map((r) => ({ ...r, limit: max }));
}

const TEXT_SEVERITY: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  high: 'high',
  important: 'high', // Red Hat's word
  moderate: 'medium', // GHSA's word
  medium: 'medium',
  low: 'low',
  negligible: 'low', // Ubuntu's
};

/** A database's own severity word (GHSA's MODERATE, Ubuntu's priorities, Red Hat's Important), or undefined. */
export function severityOfText(text: unknown): Severity | undefined {
  return typeof text === 'string' ? TEXT_SEVERITY[text.trim().toLowerCase()] : undefined;
}

interface Scored {
  readonly severity: Severity;
  readonly cvss?: number;
}

/**
 * The severity of an affected entry: the CVSS v3 base score of its severity[] (the entry's own,
 * else the record's), else the database's word (ecosystem_specific.severity,
 * database_specific.severity of the entry, then of the record, Ubuntu priorities, Debian
 * urgencies), else a CVSS v2 score, else unknown. CVSS v4 vectors carry no score here (see cvss.ts).
 */
function severityOf(record: Record<string, unknown>, entry: Record<string, unknown>): Scored {
  const list = Array.isArray(entry.severity) && entry.severity.length > 0 ? entry.severity : Array.isArray(record.severity) ? record.severity : [];
  let v3: number | undefined;
  let v2: number | undefined;
  let word: Severity | undefined;
  for (const s of list) {
    if (!isObject(s) || typeof s.score !== 'string') continue;
    if (s.type === 'CVSS_V3') {
      const score = baseScoreV3(s.score);
      if (score !== undefined && (v3 === undefined || score > v3)) v3 = score;
    } else if (s.type === 'CVSS_V2') {
      const score = baseScoreV2(s.score);
      if (score !== undefined && (v2 === undefined || score > v2)) v2 = score;
    } else if (s.type === 'Ubuntu') {
      word ??= severityOfText(s.score);
    }
  }
  if (v3 !== undefined) return { severity: severityOfScore(v3), cvss: v3 };
  const eco = isObject(entry.ecosystem_specific) ? entry.ecosystem_specific : {};
  const db = isObject(entry.database_specific) ? entry.database_specific : {};
  const top = isObject(record.database_specific) ? record.database_specific : {};
  word = severityOfText(eco.severity) ?? severityOfText(db.severity) ?? severityOfText(top.severity) ?? word;
  if (word === undefined && typeof eco.urgency === 'string') {
    const u = severityOfUrgency(eco.urgency);
    if (u !== 'unknown') word = u;
  }
  if (word !== undefined) return { severity: word, ...(v2 !== undefined ? { cvss: v2 } : {}) };
  if (v2 !== undefined) return { severity: severityOfScoreV2(v2), cvss: v2 };
  return { severity: 'unknown' };
}

/** The CVE an id stands for, when it is one or a distribution's copy of one (DEBIAN-CVE-…, ALPINE-CVE-…). */
function cveOf(id: string): string | undefined {
  const m = /(?:^|-)(CVE-\d{4}-\d+)$/.exec(id);
  return m ? m[1] : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The summary, else the first paragraph of the details, cut to 300 characters. */
function summaryOf(record: Record<string, unknown>): string | undefined {
  if (typeof record.summary === 'string' && record.summary.trim() !== '') return record.summary.trim();
  if (typeof record.details !== 'string') return undefined;
  const first = record.details.trim().split(/\n\s*\n/)[0]!.replace(/\s+/g, ' ');
  if (first === '') return undefined;
  return first.length > 300 ? `${first.slice(0, 297)}...` : first;
}

/** Parses one OSV record. Throws OsvFormatError only when it has no id; anything else unusable is skipped and counted. */
export function parseOsv(input: unknown, options: OsvParseOptions = {}): OsvParseResult {
  if (!isObject(input) || typeof input.id !== 'string' || input.id === '') throw new OsvFormatError('not an OSV record: no "id"');
  const record = input;
  const id = record.id as string;
  const modified = typeof record.modified === 'string' ? record.modified : undefined;
  const head = { id, ...(modified !== undefined ? { modified } : {}) };
  const entries = Array.isArray(record.affected) ? record.affected : [];
  if (typeof record.withdrawn === 'string' && record.withdrawn !== '') {
    return { ...head, withdrawn: record.withdrawn, affected: [], skipped: 0, skippedEcosystems: [] };
  }

  const upstream = [...new Set(strings(record.upstream))];
  // An advisory derived from exactly one CVE (a DSA, DEBIAN-CVE-…, ALPINE-CVE-…) is that CVE for
  // the matcher: the CVE joins its aliases, so that its findings merge with the CVE's.
  const cves = new Set([...upstream, id].map(cveOf).filter((c): c is string => c !== undefined));
  const aliases = [...new Set([...strings(record.aliases), ...(cves.size === 1 ? cves : [])])].filter((a) => a !== id);
  const links = [...new Set([`https://osv.dev/vulnerability/${id}`, ...(Array.isArray(record.references) ? record.references : []).flatMap((r) => (isObject(r) && typeof r.url === 'string' ? [r.url] : []))])];
  const summary = summaryOf(record);

  const affected: AffectedPackage[] = [];
  const unknown = new Set<string>();
  let skipped = 0;
  for (const entry of entries) {
    if (!isObject(entry) || !isObject(entry.package) || typeof entry.package.ecosystem !== 'string' || typeof entry.package.name !== 'string' || entry.package.name === '') {
      skipped++;
      continue;
    }
    const target = mapEcosystem(entry.package.ecosystem);
    if (!target) {
      skipped++;
      unknown.add(entry.package.ecosystem);
      continue;
    }
    const ecosystemOrder = comparatorFor(target.type);
    const ranges: AffectedRange[] = [];
    for (const range of Array.isArray(entry.ranges) ? entry.ranges : []) {
      if (!isObject(range)) continue;
      if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue; // GIT needs the repository
      // SEMVER ranges use semver precedence; Go's order is semver's too, and accepts OSV's v-less versions.
      const cmp = range.type === 'SEMVER' && target.type !== 'golang' ? semver : ecosystemOrder;
      ranges.push(...rangesFromEvents(readEvents(range.events), cmp));
    }
    const listed = [...new Set(strings(entry.versions))];
    const versions = ranges.length > 0 && options.keepVersionsWithRanges === false ? [] : listed;
    if (ranges.length === 0 && versions.length === 0) {
      // Only GIT ranges, ranges without an introduced event, or nothing: no version is known to
      // be affected, and an empty list must not read as "all of them".
      skipped++;
      continue;
    }
    const name = target.type === 'pypi' ? normalizeName(entry.package.name) : entry.package.name;
    affected.push({
      advisory: id,
      aliases,
      ...(upstream.length > 0 ? { upstream } : {}),
      type: target.type,
      name,
      ...(target.release !== undefined ? { release: target.release } : {}),
      ranges,
      versions,
      ...severityOf(record, entry),
      ...(summary !== undefined ? { summary } : {}),
      links,
    });
  }
  return { ...head, affected, skipped, skippedEcosystems: [...unknown].sort() };
}
