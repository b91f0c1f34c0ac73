import { ago, count, excerpt, when } from '../format.ts';
import { Link, paths } from '../router.tsx';
import type { RepositorySummary } from '../types.ts';
import { Badges } from './Badges.tsx';

export function RepoIcon({ name }: { name: string }) {
  const base = name.split('/').pop() ?? name;
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return (
    <span className="repo-icon" aria-hidden="true" data-hue={h % 6}>
      {base.slice(0, 2).toUpperCase()}
    </span>
  );
}

/**
 * One repository as every list shows it: name, badges, excerpt, labels and its counts. Inside its
 * own project's page (`inProject`) the badges are left off: they are the project's (Official,
 * Verified Publisher, Sponsored OSS, Private), and the page's header already shows them once.
 */
export function RepoCard({ repo, inProject = false }: { repo: RepositorySummary; inProject?: boolean }) {
  const display = repo.badges.official ? repo.repository : repo.name;
  return (
    <li className="repo-card">
      <RepoIcon name={repo.name} />
      <div className="repo-card-main">
        <div className="repo-card-title">
          <Link to={paths.repository(repo.name)} className="repo-link">
            {display}
          </Link>
          {!inProject && <Badges badges={repo.badges} visibility={repo.visibility} />}
        </div>
        <div className="repo-card-meta">
          {repo.badges.official ? <span>library/{repo.repository}</span> : <span>by {repo.project}</span>}
          <span aria-hidden="true">·</span>
          <span title={when(repo.updatedAt)}>Updated {ago(repo.updatedAt)}</span>
          <span aria-hidden="true">·</span>
          <span>
            {repo.tagCount.toLocaleString('en')} {repo.tagCount === 1 ? 'tag' : 'tags'}
          </span>
        </div>
        {repo.shortDescription || repo.description
          ? <p className="repo-card-desc">{repo.shortDescription || excerpt(repo.description)}</p>
          : <p className="repo-card-desc muted">No description</p>}
        {repo.labels.length > 0 && (
          <ul className="labels" aria-label="Labels">
            {repo.labels.slice(0, 6).map((l) => (
              <li key={l} className="label">
                {l}
              </li>
            ))}
          </ul>
        )}
      </div>
      <dl className="repo-card-stats">
        <div title={`${repo.pullCount.toLocaleString('en')} pulls`}>
          <dt>
            <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M8 2v8m0 0L4.8 6.8M8 10l3.2-3.2M3 13.5h10" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" /></svg>
            <span className="sr-only">Pulls</span>
          </dt>
          <dd>{count(repo.pullCount)}</dd>
        </div>
        <div title={`${repo.starCount.toLocaleString('en')} stars`}>
          <dt>
            <svg viewBox="0 0 16 16" aria-hidden="true"><path d="m8 1.8 1.9 3.9 4.3.6-3.1 3 .7 4.3L8 11.6l-3.8 2 .7-4.3-3.1-3 4.3-.6z" fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" /></svg>
            <span className="sr-only">Stars</span>
          </dt>
          <dd>{count(repo.starCount)}</dd>
        </div>
      </dl>
    </li>
  );
}
