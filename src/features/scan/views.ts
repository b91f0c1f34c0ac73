// What the API and the CLI show of a scan: an image's report with its packages and findings
// (filterable by severity, fix and package), or an index's per platform with the union on top;
// and the feed's status. One builder for both, so `berth scan report --json` and the API agree.
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { isIndexMediaType } from '../../core/mediatypes.ts';
import { indexChildren, linkedManifests, openJobKeys } from '../../metadata/scan.ts';
import type { Database } from '../../metadata/schema.ts';
import { SEVERITIES, type AffectedPackage, type Finding, type Severity } from './advisories/types.ts';
import { platformOf, type ScanEngine } from './engine.ts';
import { scanImageKey } from './jobs.ts';
import type { FeedStatus, FeedStore } from './feed/store.ts';
import type { InventoryStore } from './inventory-store.ts';
import type { Package } from './inventory/types.ts';
import type { ReportFindings } from './report-findings.ts';
import type { ReportStore } from './report-store.ts';
import { PREVENT_SEVERITIES, type PreventSeverity } from './policy.ts';

const SeverityEnum = z.enum(['critical', 'high', 'medium', 'low', 'unknown']);
const Counts = z.object({ critical: z.number().int(), high: z.number().int(), medium: z.number().int(), low: z.number().int(), unknown: z.number().int() });

export const PackageSchema = z.object({
  name: z.string(), version: z.string(), type: z.string(), purl: z.string(), location: z.string(),
  source: z.object({ name: z.string(), version: z.string() }).optional(), arch: z.string().optional(), licenses: z.array(z.string()).optional(),
  platform: z.string().optional().describe('for an index: the platform it was found in'),
});
export const VulnerabilitySchema = z.object({
  id: z.string().describe('the advisory id (CVE-..., GHSA-..., DSA-...)'),
  aliases: z.array(z.string()),
  package: z.string(), type: z.string(), installedVersion: z.string(), fixedVersion: z.string().nullable(),
  severity: SeverityEnum, cvss: z.number().nullable(), fixable: z.boolean(), summary: z.string().nullable(), links: z.array(z.string()), purl: z.string(),
  platform: z.string().optional(),
});
const ImageReportFields = {
  digest: z.string(),
  status: z.enum(['done', 'failed', 'not-scanned', 'partial']).describe('not-scanned: no report yet; partial (an index): some platforms have theirs'),
  pending: z.boolean().describe('a scan of it is queued or running'),
  error: z.string().nullable(),
  scannedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  feed: z.object({
    id: z.number().int(), digest: z.string(), dataTime: z.string(), ageSeconds: z.number().int().describe('how old its data was when the report was made'),
    stale: z.boolean().describe('the feed in use now is older than scan.maxFeedAgeHours'),
  }).nullable().describe('the feed the report was made with'),
  inventory: z.object({ source: z.enum(['layers', 'sbom']), sbomDigest: z.string().nullable(), os: z.object({ id: z.string(), versionId: z.string(), prettyName: z.string().optional() }).nullable(), packageCount: z.number().int() }).nullable(),
  summary: Counts,
  fixable: Counts.describe('of the findings, those that have a fix'),
};
export const PlatformReportSchema = z.object({ platform: z.string(), ...ImageReportFields });
export const ReportSchema = z.object({
  repository: z.string(),
  reference: z.string(),
  mediaType: z.string(),
  ...ImageReportFields,
  packages: z.array(PackageSchema),
  vulnerabilities: z.array(VulnerabilitySchema),
  platforms: z.array(PlatformReportSchema).optional().describe('an index: each platform\'s report (packages and vulnerabilities above are their union, each with its platform)'),
});
export type ReportView = z.infer<typeof ReportSchema>;
type ImageReport = z.infer<z.ZodObject<typeof ImageReportFields>> & { packages: z.infer<typeof PackageSchema>[]; vulnerabilities: z.infer<typeof VulnerabilitySchema>[] };

export const FeedStatusSchema = z.object({
  active: z.object({
    id: z.number().int(), digest: z.string(), createdAt: z.string(), dataTime: z.string(), ageSeconds: z.number().int(), previousId: z.number().int().nullable(),
    imports: z.array(z.object({ source: z.string(), format: z.string(), origin: z.string(), digest: z.string(), records: z.number().int().describe('records read: OSV advisories, or the tracker\'s source packages'), affected: z.number().int(), dataTime: z.string().nullable(), importedAt: z.string() })),
  }).nullable(),
  stale: z.boolean().describe('older than scan.maxFeedAgeHours'),
  maxFeedAgeHours: z.number(),
});

export const ImportResultSchema = z.object({
  feedId: z.number().int(), feedDigest: z.string().describe('the feed version now active'), digest: z.string().describe('this import\'s: SHA-256 of the data read'), source: z.string().describe('what this import replaces: osv:<releases and ecosystems>, or debian-tracker'),
  format: z.enum(['osv', 'debian-tracker']), records: z.number().int(), affected: z.number().int().describe('affected-package entries loaded'),
  invalid: z.number().int().describe('records that could not be read'), skipped: z.number().int().describe('entries of ecosystems Berth does not scan'),
  rematchJob: z.number().int().nullable().describe('the job re-matching every stored image against the new feed (GET /jobs/{id}); null when the CLI did it offline'),
  rematch: z.object({ images: z.number().int(), changed: z.number().int(), tookMs: z.number().int() }).optional().describe('offline: the re-match done before the command returned'),
});

export const ScanPolicySchema = z.object({
  scanOnPush: z.boolean().describe('scan each image when it is pushed (default true)'),
  preventSeverity: z.enum(PREVENT_SEVERITIES as [PreventSeverity, ...PreventSeverity[]]).describe('refuse pulls of images with findings at or above it; none: refuse nothing'),
  fixableOnly: z.boolean().describe('only findings that have a fix count'),
  preventUnscanned: z.boolean().describe('refuse pulls of images without a report'),
  graceSeconds: z.number().int().describe('nothing is refused this long after the image was pushed'),
  allowlist: z.array(z.object({ id: z.string(), expiresAt: z.string().optional(), reason: z.string().optional() })),
  exempt: z.array(z.string()).describe('accounts (users, robots) the policy never refuses: replication, signing'),
});
const Place = { repository: z.string(), tags: z.array(z.string()), digest: z.string() };
export const PackageAnswerSchema = z.object({
  total: z.number().int().describe('images (one per repository holding it) the caller may see'),
  truncated: z.boolean(),
  tookMs: z.number(),
  images: z.array(z.object({ ...Place, package: z.object({ name: z.string(), version: z.string(), type: z.string(), purl: z.string(), location: z.string(), source: z.object({ name: z.string(), version: z.string() }).optional() }) })),
});
export const AdvisoryAnswerSchema = z.object({
  id: z.string(),
  total: z.number().int(),
  truncated: z.boolean(),
  tookMs: z.number(),
  advisory: z.array(z.object({ advisory: z.string(), aliases: z.array(z.string()), type: z.string(), name: z.string(), release: z.string().nullable(), severity: z.string(), cvss: z.number().nullable(), summary: z.string().nullable(), links: z.array(z.string()), ranges: z.array(z.record(z.string(), z.string())), versions: z.array(z.string()) }))
    .describe("what the active feed says about it: one entry per affected package (and release)"),
  images: z.array(z.object({ ...Place, findings: z.array(z.object({ package: z.string(), installedVersion: z.string(), fixedVersion: z.string().nullable(), severity: z.string() })) })),
});


export type ImportResultView = z.infer<typeof ImportResultSchema>;
export type ScanPolicyView = z.infer<typeof ScanPolicySchema>;
export type PackageAnswerView = z.infer<typeof PackageAnswerSchema>;
export type AdvisoryAnswerView = z.infer<typeof AdvisoryAnswerSchema>;
export type FeedStatusView = z.infer<typeof FeedStatusSchema>;
export type { PolicyChanges } from './settings.ts';

export const ScanSummarySchema = z.object({
  status: z.enum(['done', 'failed', 'not-scanned', 'partial']).describe('partial: some platforms of an index are scanned'),
  pending: z.boolean().describe('a scan is queued or running'),
  summary: Counts, fixable: Counts, scannedAt: z.string().nullable(),
});
export type ScanSummaryView = z.infer<typeof ScanSummarySchema>;

export interface ReportFilter {
  readonly severity?: Severity;
  readonly fixable?: boolean;
  readonly package?: string;
}

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

export class ReportViews {
  constructor(private readonly deps: { engine: ScanEngine; reports: ReportStore; findings: ReportFindings; inventories: InventoryStore; feeds: FeedStore; db: Kysely<Database>; maxFeedAgeHours: number }) {}

  /** Whether the feed in use now is stale (for the reports' warning). */
  private async staleNow(): Promise<boolean> {
    if (this.deps.maxFeedAgeHours <= 0) return false;
    const feed = await this.deps.feeds.active();
    return feed !== undefined && Date.now() - feed.dataTime > this.deps.maxFeedAgeHours * 3_600_000;
  }

  /** Digests of these images with a scan queued or running. */
  private async pendingOf(digests: readonly string[]): Promise<Set<string>> {
    const keys = await openJobKeys(this.deps.db, digests.map(scanImageKey));
    return new Set(digests.filter((d) => keys.has(scanImageKey(d))));
  }

  async report(repository: string, reference: string, digest: string, mediaType: string, filter: ReportFilter = {}): Promise<ReportView> {
    const stale = await this.staleNow();
    if (!isIndexMediaType(mediaType)) {
      const image = await this.image(digest, filter, stale, await this.pendingOf([digest]));
      return { repository, reference, mediaType, ...image };
    }
    const facts = await this.deps.engine.facts(digest);
    const children = facts.manifests.map((m) => ({ digest: m.digest, platform: platformOf(m) })).filter((c): c is { digest: string; platform: string } => c.platform !== undefined);
    const pending = await this.pendingOf([digest, ...children.map((c) => c.digest)]);
    const platforms: (ImageReport & { platform: string })[] = [];
    for (const child of children) platforms.push({ ...(await this.image(child.digest, filter, stale, pending)), platform: child.platform });
    const sum = (key: 'summary' | 'fixable') => Object.fromEntries(SEVERITIES.map((s) => [s, platforms.reduce((n, p) => n + p[key][s], 0)])) as Record<Severity, number>;
    const scanned = platforms.filter((p) => p.status === 'done');
    return {
      repository, reference, mediaType, digest,
      status: indexStatus(platforms.map((p) => p.status)),
      pending: pending.size > 0,
      error: platforms.find((p) => p.error)?.error ?? null,
      scannedAt: scanned.map((p) => p.scannedAt!).sort().pop() ?? null,
      durationMs: scanned.length ? scanned.reduce((n, p) => n + (p.durationMs ?? 0), 0) : null,
      feed: scanned[0]?.feed ?? null, inventory: null,
      summary: sum('summary'), fixable: sum('fixable'),
      packages: platforms.flatMap((p) => p.packages.map((x) => ({ ...x, platform: p.platform }))),
      vulnerabilities: platforms.flatMap((p) => p.vulnerabilities.map((x) => ({ ...x, platform: p.platform }))),
      platforms: platforms.map(({ packages: _p, vulnerabilities: _v, ...rest }) => rest),
    };
  }

  private async image(digest: string, filter: ReportFilter, stale: boolean, pending: ReadonlySet<string>): Promise<ImageReport> {
    const [report, inventory] = await Promise.all([this.deps.reports.get(digest), this.deps.inventories.get(digest)]);
    const zero = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    if (!report) {
      return { digest, status: 'not-scanned', pending: pending.has(digest), error: null, scannedAt: null, durationMs: null, feed: null, inventory: null, summary: zero, fixable: zero, packages: [], vulnerabilities: [] };
    }
    // A package filter names a package or its source package (openssl finds libssl3 and its findings).
    const packages = (inventory?.packages ?? []).filter((p) => !filter.package || p.name === filter.package || p.source?.name === filter.package);
    const named = new Set(filter.package ? [filter.package, ...packages.map((p) => p.name)] : []);
    const findings = (await this.deps.findings.of(digest, report)).filter((f) => keep(f, filter, named));
    return {
      digest, status: report.status, pending: pending.has(digest), error: report.error ?? null, scannedAt: new Date(report.scannedAt).toISOString(), durationMs: report.durationMs,
      feed: report.feedId !== undefined && report.feedDigest !== undefined
        ? { id: report.feedId, digest: report.feedDigest, dataTime: new Date(report.feedTime ?? 0).toISOString(), ageSeconds: Math.max(0, Math.round((report.scannedAt - (report.feedTime ?? report.scannedAt)) / 1000)), stale }
        : null,
      inventory: inventory ? { source: inventory.source, sbomDigest: inventory.sbomDigest ?? null, os: inventory.os ? { id: inventory.os.id, versionId: inventory.os.versionId, ...(inventory.os.prettyName ? { prettyName: inventory.os.prettyName } : {}) } : null, packageCount: inventory.packages.length } : null,
      summary: report.summary, fixable: report.fixable,
      packages: packages.map(packageView),
      vulnerabilities: findings.map(findingView),
    };
  }

  /**
   * Counts by severity of several images of a repository at once (the tags view), an index's
   * platforms summed; digests the repository does not hold are left out. A few queries whatever
   * the number of digests.
   */
  async summaries(repository: string, digests: readonly string[]): Promise<Record<string, ScanSummaryView>> {
    const linked = await linkedManifests(this.deps.db, repository, digests);
    const children = await indexChildren(this.deps.db, linked.filter((m) => isIndexMediaType(m.mediaType)).map((m) => m.digest));
    const imagesOf = new Map<string, string[]>();
    for (const m of linked) {
      imagesOf.set(m.digest, isIndexMediaType(m.mediaType)
        ? children.filter((c) => c.index === m.digest && platformOfJson(c.platform)).map((c) => c.digest)
        : [m.digest]);
    }
    const all = [...new Set([...imagesOf.values()].flat())];
    const [reports, pending] = await Promise.all([this.deps.reports.many(all), this.pendingOf([...all, ...linked.map((m) => m.digest)])]);
    const out: Record<string, ScanSummaryView> = {};
    for (const [digest, images] of imagesOf) {
      const summary = zeroCounts();
      const fixable = zeroCounts();
      let latest = 0;
      const statuses: ('done' | 'failed' | 'not-scanned')[] = [];
      for (const d of images) {
        const r = reports.get(d);
        statuses.push(r?.status ?? 'not-scanned');
        if (!r) continue;
        for (const s of SEVERITIES) {
          summary[s] += r.summary[s];
          fixable[s] += r.fixable[s];
        }
        latest = Math.max(latest, r.scannedAt);
      }
      out[digest] = {
        status: indexStatus(statuses), pending: pending.has(digest) || images.some((d) => pending.has(d)),
        summary, fixable, scannedAt: latest ? new Date(latest).toISOString() : null,
      };
    }
    return out;
  }

  async feed(maxFeedAgeHours: number): Promise<z.infer<typeof FeedStatusSchema>> {
    const status: FeedStatus | undefined = await this.deps.feeds.status();
    return {
      active: status ? { ...status, imports: [...status.imports] } : null,
      stale: status !== undefined && maxFeedAgeHours > 0 && status.ageSeconds > maxFeedAgeHours * 3600,
      maxFeedAgeHours,
    };
  }
}

/** An advisory entry of the feed as the API shows it. */
export function affectedView(a: AffectedPackage): AdvisoryAnswerView['advisory'][number] {
  return {
    advisory: a.advisory, aliases: [...a.aliases], type: a.type, name: a.name, release: a.release ?? null, severity: a.severity, cvss: a.cvss ?? null,
    summary: a.summary ?? null, links: [...a.links], versions: [...a.versions],
    ranges: a.ranges.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Record<string, string>),
  };
}

function keep(f: Finding, filter: ReportFilter, named: ReadonlySet<string>): boolean {
  if (filter.severity && RANK[f.severity] < RANK[filter.severity]) return false;
  if (filter.fixable !== undefined && (f.fixedVersion !== undefined) !== filter.fixable) return false;
  if (filter.package && !named.has(f.package)) return false;
  return true;
}

function zeroCounts(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

/** An index's status from its platforms': every one done is done, any failed is failed, some done is partial. */
function indexStatus(statuses: readonly ('done' | 'failed' | 'not-scanned' | 'partial')[]): 'done' | 'failed' | 'not-scanned' | 'partial' {
  if (!statuses.length || statuses.every((s) => s === 'not-scanned')) return 'not-scanned';
  if (statuses.some((s) => s === 'failed')) return 'failed';
  return statuses.every((s) => s === 'done') ? 'done' : 'partial';
}

/** An index child's stored platform is an image platform (not an attestation's unknown/unknown). */
function platformOfJson(platform: string | null): boolean {
  if (!platform) return false;
  try {
    const p = JSON.parse(platform) as { os?: string };
    return typeof p.os === 'string' && p.os !== 'unknown';
  } catch {
    return false;
  }
}

function packageView(p: Package): z.infer<typeof PackageSchema> {
  return {
    name: p.name, version: p.version, type: p.type, purl: p.purl, location: p.location,
    ...(p.source ? { source: { name: p.source.name, version: p.source.version } } : {}),
    ...(p.arch ? { arch: p.arch } : {}), ...(p.licenses?.length ? { licenses: [...p.licenses] } : {}),
  };
}

function findingView(f: Finding): z.infer<typeof VulnerabilitySchema> {
  return {
    id: f.advisory, aliases: [...f.aliases], package: f.package, type: f.type, installedVersion: f.installedVersion, fixedVersion: f.fixedVersion ?? null,
    severity: f.severity, cvss: f.cvss ?? null, fixable: f.fixedVersion !== undefined, summary: f.summary ?? null, links: [...f.links], purl: f.purl,
  };
}
