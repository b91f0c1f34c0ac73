// Scan reports as the scan feature keeps them: one per image manifest (the same image in two
// repositories shares it), with its findings, the feed version it was made with, and counts by
// severity (and how many of them have a fix) for lists and policies.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { findReport, findingsOf, findingIdsOf, reportsOf, saveReport, saveReports, touchReports, type FindingRecord, type ReportRecord } from '../../metadata/scan.ts';
import type { Database } from '../../metadata/schema.ts';
import { SEVERITIES, type Finding, type Severity } from './advisories/types.ts';
import type { PackageType } from './inventory/types.ts';
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
}

export class ReportStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Replaces the report of `digest` (findings sorted most severe first). */
  async save(report: ReportInput, findings: readonly Finding[]): Promise<void> {
    const row = toReportRecord(report, findings);
    await this.db.transaction().execute((trx) => saveReport(trx, row, findings.map(toFindingRecord), findings.map((f) => [f.advisory, ...f.aliases])));
  }

  /**
   * Replaces many reports in one transaction (a re-match page): those whose findings did not
   * change only get the new feed and time; the others are written again. Returns how many changed.
   */
  async saveMany(entries: readonly (ReportInput & { findings: readonly Finding[] })[]): Promise<number> {
    const stored = await reportsOf(this.db, entries.map((e) => e.digest));
    const records = entries.map((e) => ({ e, record: toReportRecord(e, e.findings) }));
    const isChanged = ({ e, record }: (typeof records)[number]) => stored.get(e.digest)?.findings_hash !== record.findings_hash || stored.get(e.digest)?.status !== e.status;
    const changed = records.filter(isChanged);
    const same = records.filter((r) => !isChanged(r));
    await this.db.transaction().execute(async (trx) => {
      await saveReports(trx, changed.map(({ e, record }) => ({ report: record, findings: e.findings.map(toFindingRecord), ids: e.findings.map((f) => [f.advisory, ...f.aliases]) })));
      const feed = same[0]?.e.feed;
      if (feed) await touchReports(trx, same.map((r) => r.e.digest), { id: feed.id, digest: feed.digest, time: feed.dataTime }, same[0]!.e.scannedAt);
    });
    return changed.length;
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

  async findings(digest: string): Promise<Finding[]> {
    return (await findingsOf(this.db, digest)).map(fromFindingRecord);
  }

  /** The advisory ids (with aliases) each of these images is affected by now. */
  async findingIds(digests: readonly string[]): Promise<Map<string, Set<string>>> {
    return findingIdsOf(this.db, digests);
  }
}

export interface ReportInput {
  readonly digest: string;
  readonly status: 'done' | 'failed';
  readonly error?: string;
  readonly feed?: { readonly id: number; readonly digest: string; readonly dataTime: number };
  readonly scannedAt: number;
  readonly durationMs: number;
}

function toReportRecord(report: ReportInput, findings: readonly Finding[]): ReportRecord {
  const summary = countBySeverity(findings);
  const fixable = countBySeverity(findings.filter((f) => f.fixedVersion !== undefined));
  return {
    manifest_digest: report.digest, status: report.status, error: report.error ?? null,
    feed_id: report.feed?.id ?? null, feed_digest: report.feed?.digest ?? null, feed_time: report.feed?.dataTime ?? null,
    ...summary, fixable: JSON.stringify(fixable), scanned_at: report.scannedAt, duration_ms: Math.round(report.durationMs),
    findings_hash: report.status === 'done' ? findingsHash(findings) : null,
  };
}

/** SHA-256 over everything a report shows of its findings, in a canonical order. */
export function findingsHash(findings: readonly Finding[]): string {
  const rows = findings.map((f) => JSON.stringify([f.advisory, [...f.aliases].sort(), f.package, f.type, f.installedVersion, f.fixedVersion ?? null, f.severity, f.cvss ?? null, f.summary ?? null, f.links, f.purl]));
  return createHash('sha256').update(rows.sort().join('\n')).digest('hex');
}

function fromReportRecord(r: ReportRecord): StoredReport {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, Number(r[s])])) as Record<Severity, number>;
  const fixable = { ...Object.fromEntries(SEVERITIES.map((s) => [s, 0])), ...(JSON.parse(r.fixable) as Partial<Record<Severity, number>>) } as Record<Severity, number>;
  return {
    digest: r.manifest_digest, status: r.status, summary, fixable, scannedAt: Number(r.scanned_at), durationMs: Number(r.duration_ms),
    ...(r.error !== null ? { error: r.error } : {}),
    ...(r.feed_id !== null ? { feedId: Number(r.feed_id) } : {}),
    ...(r.feed_digest !== null ? { feedDigest: r.feed_digest } : {}),
    ...(r.feed_time !== null ? { feedTime: Number(r.feed_time) } : {}),
  };
}

function toFindingRecord(f: Finding): FindingRecord {
  return {
    advisory: f.advisory, aliases: JSON.stringify(f.aliases), package: f.package, type: f.type, installed_version: f.installedVersion,
    fixed_version: f.fixedVersion ?? null, severity: f.severity, cvss: f.cvss ?? null, summary: f.summary ?? null,
    links: JSON.stringify(f.links), purl: f.purl,
  };
}

function fromFindingRecord(r: FindingRecord): Finding {
  return {
    advisory: r.advisory, aliases: JSON.parse(r.aliases) as string[], package: r.package, type: r.type as PackageType,
    installedVersion: r.installed_version, severity: r.severity as Severity, links: JSON.parse(r.links) as string[], purl: r.purl,
    ...(r.fixed_version !== null ? { fixedVersion: r.fixed_version } : {}),
    ...(r.cvss !== null ? { cvss: Number(r.cvss) } : {}),
    ...(r.summary !== null ? { summary: r.summary } : {}),
  };
}
