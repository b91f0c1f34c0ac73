// One image's vulnerability report (a tag or a digest; an index per platform): the feed it was
// matched against and a warning when that feed is stale, totals by severity, the findings
// (filtered by the API: severity at or above, fixable, package) with their links, the packages of
// its SBOM and the SBOM downloads (CycloneDX, SPDX), and "Scan now" for callers who may push,
// which follows the job until it ends and reloads. Filters and the platform live in the URL.
import { useEffect, useId, useState } from 'react';
import { API, api, messageOf, qs, repoPath } from '../api.ts';
import { SeverityBadge, SEVERITIES, severityLabel, total } from '../components/Severity.tsx';
import { ErrorNote, Loading } from '../components/States.tsx';
import { ago, shortDigest, when } from '../format.ts';
import { useDebounced, useFetch } from '../hooks.ts';
import { Link, paths, useQueryState } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { FeedStatus, ImageReportFields, Job, RepositoryDetail, ScanReport, Severity, SeverityCounts, Vulnerability } from '../types.ts';

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };
const MIN_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** 90 → "2 minutes", 200000 → "2 days": how old a feed's data is. */
export function age(seconds: number): string {
  const units: [number, string][] = [[86400 * 365, 'year'], [86400 * 30, 'month'], [86400, 'day'], [3600, 'hour'], [60, 'minute']];
  for (const [size, unit] of units) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size);
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return 'under a minute';
}

const isDigest = (reference: string) => /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(reference);
const safeLink = (href: string) => /^https?:\/\//i.test(href);

export function ScanReportView({ repo, reference }: { repo: RepositoryDetail; reference: string }) {
  const { me } = useSession();
  const [query, setQuery] = useQueryState();
  const severity = (MIN_SEVERITIES as readonly string[]).includes(query.get('severity') ?? '') ? (query.get('severity') as Severity) : undefined;
  const fixable = query.get('fixable') === 'true' ? true : query.get('fixable') === 'false' ? false : undefined;
  const pkg = query.get('package') ?? '';
  const platform = query.get('platform') ?? '';
  const [pkgText, setPkgText] = useState(pkg);
  const debouncedPkg = useDebounced(pkgText.trim(), 300);
  const ids = useId();
  const full = isDigest(reference) ? `${repo.name}@${reference}` : `${repo.name}:${reference}`;

  useEffect(() => {
    if ((new URLSearchParams(window.location.search).get('package') ?? '') !== debouncedPkg) setQuery({ package: debouncedPkg || undefined }, { replace: true });
  }, [debouncedPkg, setQuery]);

  const base = repoPath(repo.project, repo.repository);
  // (qs leaves false out: the fix filter goes as a string.)
  const report = useFetch<ScanReport>(`${base}/reports/${encodeURIComponent(reference)}${qs({ severity, fixable: fixable === undefined ? undefined : String(fixable), package: pkg })}`);
  // The feed's status is for signed-in callers (the API answers 401 otherwise).
  const feed = useFetch<FeedStatus>(me ? '/vulndb' : null);
  // The package names for the filter's suggestions, from the last answer not filtered by package.
  const [packageNames, setPackageNames] = useState<string[]>([]);
  useEffect(() => {
    if (!report.data || pkg) return;
    const names = new Set<string>();
    for (const p of report.data.packages) {
      names.add(p.name);
      if (p.source) names.add(p.source.name);
    }
    setPackageNames([...names].sort());
  }, [report.data, pkg]);

  if (report.error && !report.data) return <ErrorNote error={report.error} title="Could not load the scan report" />;
  if (!report.data) return <Loading label="Loading the scan report" />;
  const r = report.data;
  const platforms = r.platforms ?? [];
  const isIndex = platforms.length > 0;
  const chosen = isIndex ? platforms.find((p) => p.platform === platform) : undefined;
  const shown = chosen ?? r;
  const vulnerabilities = [...r.vulnerabilities]
    .filter((v) => !chosen || v.platform === chosen.platform)
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || (b.cvss ?? -1) - (a.cvss ?? -1) || a.id.localeCompare(b.id) || a.package.localeCompare(b.package));
  const packages = r.packages.filter((p) => !chosen || p.platform === chosen.platform);
  const filtered = severity !== undefined || fixable !== undefined || !!pkg;

  return (
    <section className="scan-report" aria-labelledby={`${ids}-h`}>
      <p className="back-link"><Link to={paths.tags(repo.name)}>← All tags</Link></p>
      <div className="card report-head">
        <div className="report-title">
          <h2 id={`${ids}-h`}>Vulnerabilities of <code>{full}</code></h2>
          <p className="small muted">
            <span className="digest"><Link to={paths.image(repo.name, r.digest)} className="digest-link"><code title={r.digest}>{shortDigest(r.digest)}</code></Link></span>
            {isIndex && <> · {platforms.length} platforms</>}
            {r.scannedAt && <> · scanned <span title={when(r.scannedAt)}>{ago(r.scannedAt)}</span></>}
            {shown.inventory?.os && <> · {shown.inventory.os.prettyName ?? `${shown.inventory.os.id} ${shown.inventory.os.versionId}`}</>}
            {shown.inventory && <> · {shown.inventory.packageCount} packages{shown.inventory.source === 'sbom' ? ' (from its SBOM)' : ''}</>}
          </p>
          <FeedLine report={shown} />
        </div>
        {repo.permissions.push && <ScanNow repo={repo} reference={reference} onDone={report.reload} />}
      </div>
      {feed.data && <FeedWarning feed={feed.data} />}
      {(chosen ? chosen.status === 'not-scanned' : isIndex ? platforms.every((p) => p.status === 'not-scanned') : r.status === 'not-scanned') && (
        <div className="note note-warn" role="status">
          <strong>Not scanned yet.</strong> {repo.permissions.push ? 'Scan it now to see its packages and vulnerabilities.' : 'A scan may be queued; come back later.'}
        </div>
      )}
      {shown.status === 'failed' && (
        <div className="note note-error" role="alert">
          <strong>The scan failed.</strong> {shown.error ?? ''}
        </div>
      )}
      {isIndex && (
        <div className="segmented platform-switch" role="group" aria-label="Platform">
          <button type="button" className={!chosen ? 'active' : ''} aria-pressed={!chosen} onClick={() => setQuery({ platform: undefined })}>All platforms</button>
          {platforms.map((p) => (
            <button key={p.platform} type="button" className={chosen?.platform === p.platform ? 'active' : ''} aria-pressed={chosen?.platform === p.platform} onClick={() => setQuery({ platform: p.platform })}>
              {p.platform}
            </button>
          ))}
        </div>
      )}
      <Totals summary={shown.summary} fixable={shown.fixable} label={chosen ? `Totals for ${chosen.platform}` : 'Totals'} />
      {isIndex && !chosen && <PlatformTable report={r} onChoose={(p) => setQuery({ platform: p })} />}

      <section className="card flush report-section" aria-labelledby={`${ids}-f`}>
        <div className="report-section-head">
          <h3 id={`${ids}-f`}>Findings <span className="tab-count" data-testid="finding-count">{vulnerabilities.length}</span></h3>
          <div className="toolbar report-filters">
            <div className="field field-inline">
              <label htmlFor={`${ids}-sev`}>Severity</label>
              <select id={`${ids}-sev`} value={severity ?? ''} onChange={(e) => setQuery({ severity: e.target.value || undefined })}>
                <option value="">All</option>
                {MIN_SEVERITIES.map((s) => <option key={s} value={s}>{s === 'critical' ? 'Critical' : `${severityLabel(s)} and above`}</option>)}
              </select>
            </div>
            <div className="field field-inline">
              <label htmlFor={`${ids}-fix`}>Fix</label>
              <select id={`${ids}-fix`} value={fixable === undefined ? '' : String(fixable)} onChange={(e) => setQuery({ fixable: e.target.value || undefined })}>
                <option value="">Any</option>
                <option value="true">Has a fix</option>
                <option value="false">No fix yet</option>
              </select>
            </div>
            <div className="field field-inline">
              <label htmlFor={`${ids}-pkg`}>Package</label>
              <input id={`${ids}-pkg`} type="search" list={`${ids}-pkgs`} value={pkgText} onChange={(e) => setPkgText(e.target.value)} placeholder="Any package" autoComplete="off" />
              <datalist id={`${ids}-pkgs`}>
                {packageNames.map((n) => <option key={n} value={n} />)}
              </datalist>
            </div>
            {filtered && (
              <button type="button" className="btn btn-link" onClick={() => { setPkgText(''); setQuery({ severity: undefined, fixable: undefined, package: undefined }); }}>
                Clear filters
              </button>
            )}
          </div>
        </div>
        {report.error ? <ErrorNote error={report.error} title="Could not apply the filters" /> : null}
        {vulnerabilities.length === 0 ? (
          <div className="report-empty">
            {shown.status !== 'done' && !isIndex ? 'No findings: the image has no report.' : filtered ? 'No findings match these filters.' : 'No known vulnerabilities.'}
          </div>
        ) : (
          <div className={`table-scroll ${report.loading ? 'stale' : ''}`}>
            <table className="table findings" aria-label="Findings">
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">Advisory</th>
                  <th scope="col">Package</th>
                  <th scope="col">Installed</th>
                  <th scope="col">Fixed in</th>
                  {isIndex && !chosen && <th scope="col">Platform</th>}
                  <th scope="col">Links</th>
                </tr>
              </thead>
              <tbody>
                {vulnerabilities.map((v) => <FindingRow key={`${v.id}|${v.package}|${v.installedVersion}|${v.platform ?? ''}`} v={v} platformColumn={isIndex && !chosen} />)}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card flush report-section" aria-labelledby={`${ids}-p`}>
        <div className="report-section-head">
          <h3 id={`${ids}-p`}>Packages <span className="tab-count" data-testid="package-count">{packages.length}</span></h3>
          <SbomDownloads repo={repo} reference={reference} report={r} platform={chosen?.platform} />
        </div>
        {packages.length === 0 ? (
          <div className="report-empty">{pkg ? `No package named “${pkg}”.` : 'No packages: the image has not been indexed.'}</div>
        ) : (
          <div className="table-scroll">
            <table className="table packages" aria-label="Packages">
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Version</th>
                  <th scope="col">Type</th>
                  <th scope="col">Source</th>
                  <th scope="col">Licenses</th>
                  {isIndex && !chosen && <th scope="col">Platform</th>}
                  <th scope="col">Package URL</th>
                </tr>
              </thead>
              <tbody>
                {packages.map((p) => (
                  <tr key={`${p.purl}|${p.location}|${p.platform ?? ''}`} data-package={p.name}>
                    <td className="strong">{p.name}</td>
                    <td className="mono small version">{p.version}</td>
                    <td><span className="chip">{p.type}</span></td>
                    <td className="small">{p.source && p.source.name !== p.name ? `${p.source.name} ${p.source.version}` : ''}</td>
                    <td className="small">{p.licenses?.join(', ') ?? ''}</td>
                    {isIndex && !chosen && <td className="platform">{p.platform}</td>}
                    <td className="mono small purl">{p.purl}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}

function FeedLine({ report }: { report: ImageReportFields }) {
  if (!report.feed) return report.status === 'done' ? <p className="small muted feed-line">Matched without a vulnerability feed: no advisories were known.</p> : null;
  return (
    <p className="small muted feed-line" data-testid="feed-line">
      Vulnerability data of <span title={when(report.feed.dataTime)}>{when(report.feed.dataTime)}</span>, {age(report.feed.ageSeconds)} old when matched (feed <code title={report.feed.digest}>{shortDigest(report.feed.digest)}</code>).
    </p>
  );
}

function FeedWarning({ feed }: { feed: FeedStatus }) {
  if (!feed.active) {
    return (
      <div className="note note-warn" role="status">
        <strong>No vulnerability feed.</strong> An administrator has not imported any advisories yet, so no image can have findings.
      </div>
    );
  }
  if (!feed.stale) return null;
  return (
    <div className="note note-warn" role="alert" data-testid="stale-feed">
      <strong>The vulnerability feed is stale.</strong> Its data is {age(feed.active.ageSeconds)} old, past the {feed.maxFeedAgeHours} hour limit: advisories published since then are missing from this report until an administrator imports a newer feed.
    </div>
  );
}

function Totals({ summary, fixable, label }: { summary: SeverityCounts; fixable: SeverityCounts; label: string }) {
  return (
    <section aria-label={label}>
      <ul className="sev-totals">
        {SEVERITIES.map((s) => (
          <li key={s} className={`sev-total sev-${s}`} data-severity={s}>
            <span className="sev-total-count">{summary[s]}</span>
            <span className="sev-total-label">{severityLabel(s)}</span>
            <span className="sev-total-fix">{fixable[s]} fixable</span>
          </li>
        ))}
        <li className="sev-total sev-all" data-severity="total">
          <span className="sev-total-count">{total(summary)}</span>
          <span className="sev-total-label">Total</span>
          <span className="sev-total-fix">{total(fixable)} fixable</span>
        </li>
      </ul>
    </section>
  );
}

function PlatformTable({ report, onChoose }: { report: ScanReport; onChoose: (platform: string) => void }) {
  return (
    <div className="table-scroll card flush report-section">
      <table className="table" aria-label="Platforms">
        <thead>
          <tr>
            <th scope="col">Platform</th>
            <th scope="col">Status</th>
            {SEVERITIES.map((s) => <th key={s} scope="col" className="num">{severityLabel(s)}</th>)}
            <th scope="col">Scanned</th>
          </tr>
        </thead>
        <tbody>
          {report.platforms!.map((p) => (
            <tr key={p.platform} data-platform={p.platform}>
              <td><button type="button" className="btn btn-link platform" onClick={() => onChoose(p.platform)}>{p.platform}</button></td>
              <td>{p.status === 'done' ? <span className="badge badge-ok">scanned</span> : p.status === 'failed' ? <span className="badge badge-warn" title={p.error ?? ''}>failed</span> : <span className="badge badge-muted">not scanned</span>}</td>
              {SEVERITIES.map((s) => <td key={s} className="num">{p.summary[s]}</td>)}
              <td title={when(p.scannedAt)}>{p.scannedAt ? ago(p.scannedAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FindingRow({ v, platformColumn }: { v: Vulnerability; platformColumn: boolean }) {
  const links = v.links.filter(safeLink);
  return (
    <tr data-finding={v.id} data-severity={v.severity}>
      <td><SeverityBadge severity={v.severity} />{v.cvss !== null && <div className="small muted">CVSS {v.cvss.toFixed(1)}</div>}</td>
      <td>
        <span className="strong mono finding-id">{v.id}</span>
        {v.aliases.length > 0 && <div className="small muted">{v.aliases.join(', ')}</div>}
        {v.summary && <div className="small finding-summary">{v.summary}</div>}
      </td>
      <td className="strong">{v.package}<div className="small muted">{v.type}</div></td>
      <td className="mono small version">{v.installedVersion}</td>
      <td className="mono small version">{v.fixedVersion ?? <span className="muted">no fix yet</span>}</td>
      {platformColumn && <td className="platform">{v.platform}</td>}
      <td className="finding-links">
        {links.length === 0 ? <span className="muted">—</span> : (
          <ul>
            {links.slice(0, 5).map((href) => (
              <li key={href}><a href={href} target="_blank" rel="noopener noreferrer">{linkLabel(href)}</a></li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}

/** A link by its host (and, for a known advisory database, its last path part). */
function linkLabel(href: string): string {
  try {
    const u = new URL(href);
    const last = u.pathname.split('/').filter(Boolean).pop();
    return last && last.length <= 40 ? `${u.host.replace(/^www\./, '')}: ${decodeURIComponent(last)}` : u.host.replace(/^www\./, '');
  } catch {
    return href;
  }
}

function SbomDownloads({ repo, reference, report, platform }: { repo: RepositoryDetail; reference: string; report: ScanReport; platform: string | undefined }) {
  const platforms = report.platforms ?? [];
  const base = `${API}${repoPath(repo.project, repo.repository)}/sbom/${encodeURIComponent(reference)}`;
  const file = (p: string | undefined, ext: string) => `${[repo.repository, reference, p].filter(Boolean).join('-').replace(/[^A-Za-z0-9._-]+/g, '-')}.${ext}`;
  const links = (p: string | undefined) => (
    <span className="sbom-links" key={p ?? 'image'}>
      {p && platforms.length > 0 && !platform && <span className="platform">{p}</span>}
      <a className="btn btn-secondary btn-small" href={`${base}${qs({ format: 'cyclonedx', platform: p })}`} download={file(p, 'cdx.json')} aria-label={`Download the CycloneDX SBOM${p ? ` for ${p}` : ''}`}>CycloneDX</a>
      <a className="btn btn-secondary btn-small" href={`${base}${qs({ format: 'spdx', platform: p })}`} download={file(p, 'spdx.json')} aria-label={`Download the SPDX SBOM${p ? ` for ${p}` : ''}`}>SPDX</a>
    </span>
  );
  if (platforms.length === 0) {
    if (!report.inventory) return null;
    return <div className="sbom-downloads" role="group" aria-label="SBOM downloads"><span className="small muted">SBOM</span>{links(undefined)}</div>;
  }
  const indexed = platforms.filter((p) => p.inventory !== null && (!platform || p.platform === platform));
  if (indexed.length === 0) return null;
  return (
    <div className="sbom-downloads" role="group" aria-label="SBOM downloads">
      <span className="small muted">SBOM</span>
      {indexed.map((p) => links(p.platform))}
    </div>
  );
}

/** "Scan now": queues a scan, follows the job (GET /jobs/{id}) until it ends, then reloads. */
function ScanNow({ repo, reference, onDone }: { repo: RepositoryDetail; reference: string; onDone: () => void }) {
  const [job, setJob] = useState<Job>();
  const [error, setError] = useState<string>();
  const running = job !== undefined && (job.state === 'pending' || job.state === 'running');

  useEffect(() => {
    if (!job || !running) return;
    let stop = false;
    const t = window.setTimeout(async () => {
      try {
        const next = await api<Job>(`/jobs/${job.id}`);
        if (stop) return;
        setJob(next);
        if (next.state === 'done') onDone();
        if (next.state === 'failed') {
          setError(next.error ?? 'the scan failed');
          onDone();
        }
      } catch (e) {
        if (!stop) {
          setError(messageOf(e));
          setJob(undefined);
        }
      }
    }, 500);
    return () => {
      stop = true;
      window.clearTimeout(t);
    };
  }, [job, running, onDone]);

  const start = async () => {
    setError(undefined);
    try {
      const queued = await api<{ job: number; deduplicated: boolean; digest: string }>(`${repoPath(repo.project, repo.repository)}/scans`, { method: 'POST', body: { reference } });
      setJob({ id: queued.job, kind: 'scan', state: 'pending', progress: queued.deduplicated ? 'already queued' : 'queued', error: null });
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <div className="scan-now">
      <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={running}>
        {running ? 'Scanning…' : 'Scan now'}
      </button>
      {running && <p className="small muted" role="status">{job.state === 'pending' ? 'Queued' : 'Running'}{job.progress ? `: ${job.progress}` : ''}</p>}
      {job?.state === 'done' && !error && <p className="field-ok" role="status">Scan finished.</p>}
      {error && <p className="field-error" role="alert">{error}</p>}
    </div>
  );
}
