// Scan reports as the scan feature keeps them: one row per image manifest (the same image in two
// repositories shares it) with the feed version it was made with, counts by severity (and how
// many have a fix) for lists and policies, the advisory ids (to tell what a re-match adds) and a
// hash of the findings. The findings themselves are not stored: they follow from the stored
// inventory and the report's feed version (ReportFindings), so a re-match of every image writes
// one row per image instead of hundreds.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { findReport, reportsOf, saveReport, saveReports, touchReports, type ReportRecord } from '../../metadata/scan.ts';
import type { Database } from '../../metadata/schema.ts';
import { SEVERITIES, type Finding, type Severity } from './advisories/types.ts';
import { countBySeverity } from './policy.ts';

export interface StoredReport {
  readonly digest: string;
  readonly status: 'done' | 'failed';
  readonly error?: string;
  readonly feedId?: number;
  readonly feedDigest?: string;
  /** Epoch ms of the feed's data when the report was made. */
  readonly feedTime?: number;
  readonly summary: Record<Severity, number>;
  readonly fixable: Record<Severity, number>;
  readonly scannedAt: number;
  readonly durationMs: number;
  /** The findings' advisory ids. */
  readonly findingIds: readonly string[];
}

export interface ReportInput {
  readonly digest: string;
  readonly status: 'done' | 'failed';
  readonly error?: string;
  readonly feed?: { readonly id: number; readonly digest: string; readonly dataTime: number };
  readonly scannedAt: number;
  readonly durationMs: number;
}

export class ReportStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Replaces the report of `digest`. */
  async save(report: ReportInput, findings: readonly Finding[]): Promise<void> {
    await saveReport(this.db, toReportRecord(report, findings));
  }

  /**
   * Replaces many reports at once (a re-match page, one feed): those whose findings did not
   * change only get the new feed and time. Returns how many changed, and the advisory ids each
   * image had before (to tell what the new feed adds).
   */
  async saveMany(entries: readonly (ReportInput & { findings: readonly Finding[] })[]): Promise<{ changed: number; before: Map<string, Set<string>> }> {
    const stored = await reportsOf(this.db, entries.map((e) => e.digest));
    const before = new Map([...stored].map(([d, r]) => [d, new Set(JSON.parse(r.finding_ids ?? '[]') as string[])]));
    const records = entries.map((e) => toReportRecord(e, e.findings));
    const isChanged = (r: ReportRecord) => stored.get(r.manifest_digest)?.findings_hash !== r.findings_hash || stored.get(r.manifest_digest)?.status !== r.status;
    const changed = records.filter(isChanged);
    const same = records.filter((r) => !isChanged(r));
    await this.db.transaction().execute(async (trx) => {
      await saveReports(trx, changed);
      const first = same[0];
      if (first && first.feed_id !== null && first.feed_digest !== null) {
        await touchReports(trx, same.map((r) => r.manifest_digest), { id: first.feed_id, digest: first.feed_digest, time: first.feed_time ?? 0 }, first.scanned_at);
      }
    });
    return { changed: changed.length, before };
  }

  async get(digest: string): Promise<StoredReport | undefined> {
    const row = await findReport(this.db, digest);
    return row ? fromReportRecord(row) : undefined;
  }

  async many(digests: readonly string[]): Promise<Map<string, StoredReport>> {
    const out = new Map<string, StoredReport>();
    for (const [d, r] of await reportsOf(this.db, digests)) out.set(d, fromReportRecord(r));
    return out;
  }

  /** The advisory ids each of these images is affected by now. */
  async findingIds(digests: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    for (const [d, r] of await this.many(digests)) out.set(d, new Set(r.findingIds));
    return out;
  }
}

function toReportRecord(report: ReportInput, findings: readonly Finding[]): ReportRecord {
  const summary = countBySeverity(findings);
  const fixable = countBySeverity(findings.filter((f) => f.fixedVersion !== undefined));
  return {
    manifest_digest: report.digest, status: report.status, error: report.error ?? null,
    feed_id: report.feed?.id ?? null, feed_digest: report.feed?.digest ?? null, feed_time: report.feed?.dataTime ?? null,
    ...summary, fixable: JSON.stringify(fixable), scanned_at: report.scannedAt, duration_ms: Math.round(report.durationMs),
    findings_hash: report.status === 'done' ? findingsHash(findings) : null,
    finding_ids: JSON.stringify([...new Set(findings.map((f) => f.advisory))].sort()),
  };
}

/**
 * Each finding's own SHA-256 (over everything a report shows of it), kept while the finding
 * lives: a re-match's findings are shared objects, one per package version, so each is hashed
 * once however many images hold it.
 */
const rowHashes = new WeakMap<Finding, string>();

function rowHash(f: Finding): string {
  let h = rowHashes.get(f);
  if (h === undefined) {
    const row = JSON.stringify([f.advisory, [...f.aliases].sort(), f.package, f.type, f.installedVersion, f.fixedVersion ?? null, f.severity, f.cvss ?? null, f.summary ?? null, f.links, f.purl]);
    h = createHash('sha256').update(row).digest('hex');
    rowHashes.set(f, h);
  }
  return h;
}

/** SHA-256 over the findings' own hashes, sorted: equal for equal findings in any order. */
export function findingsHash(findings: readonly Finding[]): string {
  return createHash('sha256').update(findings.map(rowHash).sort().join('\n')).digest('hex');
}

function fromReportRecord(r: ReportRecord): StoredReport {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, Number(r[s])])) as Record<Severity, number>;
  const fixable = { ...Object.fromEntries(SEVERITIES.map((s) => [s, 0])), ...(JSON.parse(r.fixable) as Partial<Record<Severity, number>>) } as Record<Severity, number>;
  return {
    digest: r.manifest_digest, status: r.status, summary, fixable, scannedAt: Number(r.scanned_at), durationMs: Number(r.duration_ms),
    findingIds: JSON.parse(r.finding_ids ?? '[]') as string[],
    ...(r.error !== null ? { error: r.error } : {}),
    ...(r.feed_id !== null ? { feedId: Number(r.feed_id) } : {}),
    ...(r.feed_digest !== null ? { feedDigest: r.feed_digest } : {}),
    ...(r.feed_time !== null ? { feedTime: Number(r.feed_time) } : {}),
  };
}
