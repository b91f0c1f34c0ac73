// Explore: search with filters (trusted content, project), sort and pages. The header's search
// box writes `q` into the URL as you type; this page reads every filter from the URL, so the
// results can be linked and the back button works. A newer query cancels the older request. With
// the scan feature, a filter keeps the repositories that have a vulnerability scan (scanned=1).
import { useId, useState } from 'react';
import { ApiError, qs } from '../api.ts';
import { useCapabilities } from '../capabilities.ts';
import { Pagination } from '../components/Pagination.tsx';
import { RepoCard } from '../components/RepoCard.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { useFetch, useTitle } from '../hooks.ts';
import { useQueryState } from '../router.tsx';
import type { Project, SearchAnswer } from '../types.ts';

const SORTS = [
  ['', 'Best match'],
  ['pulls', 'Most pulls'],
  ['stars', 'Most stars'],
  ['updated', 'Recently updated'],
  ['name', 'Name'],
] as const;

const PAGE_SIZE = 25;

export function Explore() {
  const [query, setQuery] = useQueryState();
  const q = query.get('q') ?? '';
  const official = query.get('official') === '1';
  const verified = query.get('verified') === '1';
  const sponsored = query.get('sponsored') === '1';
  const project = query.get('project') ?? '';
  const features = useCapabilities();
  const scanFeature = features?.has('scan') ?? false;
  // The filter applies where the server scans (while that is unknown, the URL is taken at its word).
  const scanned = query.get('scanned') === '1' && (features === undefined || scanFeature);
  const sort = query.get('sort') ?? '';
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const ids = useId();
  // On narrow screens the filters fold away behind a button.
  const [showFilters, setShowFilters] = useState(false);
  useTitle(q ? `“${q}”` : 'Explore');

  const path = `/search${qs({ q, official, verified, sponsored, project, scanned, sort, page: page > 1 ? page : undefined, n: PAGE_SIZE })}`;
  const answer = useFetch<SearchAnswer>(path);
  const projects = useFetch<{ projects: Project[] }>('/projects');
  const set = (changes: Record<string, string | undefined>) => setQuery({ ...changes, page: undefined });
  const effectiveSort = sort || (q ? '' : 'pulls');

  const data = answer.data;
  const active = [official, verified, sponsored, !!project, scanned].filter(Boolean).length;
  const filters = (
    <aside className="filters" aria-label="Filters">
      <button type="button" className="filters-toggle btn btn-secondary btn-small" aria-expanded={showFilters} aria-controls={`${ids}-filters`} onClick={() => setShowFilters((v) => !v)}>
        Filters{active > 0 ? ` (${active})` : ''}
      </button>
      <div id={`${ids}-filters`} className={`filters-body ${showFilters ? 'open' : ''}`}>
      <fieldset>
        <legend>Trusted content</legend>
        <label className="check">
          <input type="checkbox" checked={official} onChange={(e) => set({ official: e.target.checked ? '1' : undefined })} />
          Official Image
        </label>
        <label className="check">
          <input type="checkbox" checked={verified} onChange={(e) => set({ verified: e.target.checked ? '1' : undefined })} />
          Verified Publisher
        </label>
        <label className="check">
          <input type="checkbox" checked={sponsored} onChange={(e) => set({ sponsored: e.target.checked ? '1' : undefined })} />
          Sponsored OSS
        </label>
      </fieldset>
      {scanFeature && (
        <fieldset>
          <legend>Security</legend>
          <label className="check">
            <input type="checkbox" checked={scanned} onChange={(e) => set({ scanned: e.target.checked ? '1' : undefined })} />
            Has a vulnerability scan
          </label>
        </fieldset>
      )}
      <div className="field">
        <label htmlFor={`${ids}-project`}>Project</label>
        <select id={`${ids}-project`} value={project} onChange={(e) => set({ project: e.target.value || undefined })}>
          <option value="">All projects</option>
          {(projects.data?.projects ?? []).map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
          {project && !(projects.data?.projects ?? []).some((p) => p.name === project) && <option value={project}>{project}</option>}
        </select>
      </div>
      {(official || verified || sponsored || project || scanned) && (
        <button type="button" className="btn btn-link" onClick={() => set({ official: undefined, verified: undefined, sponsored: undefined, project: undefined, scanned: undefined })}>
          Clear filters
        </button>
      )}
      </div>
    </aside>
  );

  return (
    <div className="page explore">
      {!q && !official && !verified && !sponsored && !project && !scanned && (
        <section className="hero">
          <h1>Explore images</h1>
          <p>Search the repositories on this registry. Official Images, Verified Publishers and Sponsored OSS are marked wherever they appear.</p>
        </section>
      )}
      <div className="explore-layout">
        {filters}
        <section className="results" aria-labelledby={`${ids}-heading`} aria-busy={answer.loading}>
          <div className="results-bar">
            <h2 id={`${ids}-heading`} className="results-title">
              {data && answer.dataFor !== path && answer.loading ? (
                // The count on screen is the last query's: say what is being searched instead.
                <>Searching{q && <> for <q>{q}</q></>}…</>
              ) : data ? (
                <>
                  {data.total.toLocaleString('en')} {data.total === 1 ? 'repository' : 'repositories'}
                  {q && (
                    <>
                      {' '}
                      for <q>{q}</q>
                    </>
                  )}
                </>
              ) : (
                'Repositories'
              )}
            </h2>
            <div className="field field-inline">
              <label htmlFor={`${ids}-sort`}>Sort by</label>
              <select id={`${ids}-sort`} value={effectiveSort} onChange={(e) => set({ sort: e.target.value || undefined })}>
                {SORTS.filter(([v]) => v !== '' || q).map(([v, label]) => (
                  <option key={v} value={v}>
                    {label}
                  </option>
                ))}
              </select>
            </div>
          </div>
          {answer.error instanceof ApiError && answer.error.status === 404 ? (
            <div className="note note-error" role="alert">
              <strong>This server has no management API.</strong> The web UI needs Berth's built-in accounts (<code>auth.mode: builtin</code>, the default); registry clients still work at <code>/v2/</code>.
            </div>
          ) : answer.error ? (
            <ErrorNote error={answer.error} title="Search failed" />
          ) : null}
          {!data && answer.loading && <Loading label="Searching" />}
          {data && data.results.length === 0 && (
            <Empty>
              No repositories match{q ? <> “{q}”</> : ''}
              {official || verified || sponsored || project || scanned ? ' with these filters' : ''}.
            </Empty>
          )}
          {data && data.results.length > 0 && (
            <ul className={`repo-list ${answer.loading ? 'stale' : ''}`} aria-label="Search results">
              {data.results.map((r) => (
                <RepoCard key={r.name} repo={r} />
              ))}
            </ul>
          )}
          {data && <Pagination page={page} n={data.n || PAGE_SIZE} total={data.total} onPage={(p) => setQuery({ page: p > 1 ? String(p) : undefined })} label="Search result pages" />}
        </section>
      </div>
    </div>
  );
}
