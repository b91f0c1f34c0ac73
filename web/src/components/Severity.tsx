// Vulnerability counts the way the tags view and the report show them: one coloured chip per
// severity (C, H, M, L, and U when there are unknown ones), a tag's scan state, a severity badge.
import { Link } from '../router.tsx';
import type { Severity, SeverityCounts, ScanSummary } from '../types.ts';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'unknown'];
const LETTER: Record<Severity, string> = { critical: 'C', high: 'H', medium: 'M', low: 'L', unknown: 'U' };

export function severityLabel(s: Severity): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function total(counts: SeverityCounts): number {
  return SEVERITIES.reduce((n, s) => n + counts[s], 0);
}

/** "2 critical, 0 high, 1 medium, 4 low" (and unknown when there are any), for screen readers and titles. */
export function describeCounts(counts: SeverityCounts): string {
  return SEVERITIES.filter((s) => s !== 'unknown' || counts.unknown > 0).map((s) => `${counts[s]} ${s}`).join(', ');
}

/** C/H/M/L chips (U only when some severities are unknown). */
export function SeverityChips({ counts }: { counts: SeverityCounts }) {
  return (
    <span className="sev-chips" aria-hidden="true">
      {SEVERITIES.filter((s) => s !== 'unknown' || counts.unknown > 0).map((s) => (
        <span key={s} className={`sev sev-${s} ${counts[s] === 0 ? 'sev-zero' : ''}`} data-severity={s} title={`${counts[s]} ${s}`}>
          <span className="sev-letter">{LETTER[s]}</span>
          <span className="sev-count">{counts[s]}</span>
        </span>
      ))}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`sev-badge sev-${severity}`}>{severityLabel(severity)}</span>;
}

/**
 * A tag's scan state, linking to its report: counts by severity when scanned (or "No
 * vulnerabilities"), "Scanning…" while a scan is queued or running, "Not scanned", "Scan
 * failed"; undefined while the summaries load.
 */
export function ScanState({ summary, to, tag }: { summary: ScanSummary | undefined | null; to: string; tag: string }) {
  if (summary === undefined) return <span className="muted scan-state" aria-busy="true">…</span>;
  if (summary === null || summary.status === 'not-scanned') {
    if (summary?.pending) return <Link to={to} className="scan-state scan-none" aria-label={`${tag}: a scan is queued or running (open the report page)`}>Scanning…</Link>;
    return <Link to={to} className="scan-state scan-none" aria-label={`${tag}: not scanned (open the report page)`}>Not scanned</Link>;
  }
  if (summary.status === 'failed') {
    return <Link to={to} className="scan-state scan-failed" aria-label={`${tag}: scan failed (open the report)`}>Scan failed</Link>;
  }
  const n = total(summary.summary);
  const partial = summary.status === 'partial';
  return (
    <Link to={to} className="scan-state scan-done" aria-label={`${tag}: ${n === 0 ? 'no vulnerabilities' : describeCounts(summary.summary)}${partial ? ' (some platforms not scanned)' : ''}; open the report`}>
      {n === 0 ? <span className="sev-none">No vulnerabilities</span> : <SeverityChips counts={summary.summary} />}
      {partial && <span className="scan-partial" aria-hidden="true">partial</span>}
    </Link>
  );
}
