// A repository: the header (name, badges, the short description, counts, star); the overview
// (the README, editable in place by maintainers, without a first paragraph that repeats the
// short description), the pull command; the Tags tab with every platform of a multi-arch tag;
// under Tags, the scan report and the signatures of one tag or digest; and, for maintainers,
// owners and administrators, Settings (short description, README, labels, delete).
import { lazy, Suspense, useEffect, useId, useState } from 'react';
import { api, ApiError, messageOf, repoPath } from '../api.ts';
import { Badges } from '../components/Badges.tsx';
import { Breakable, CopyButton } from '../components/CopyButton.tsx';
import { RepoIcon } from '../components/RepoCard.tsx';
import { ErrorNote, Loading } from '../components/States.tsx';
import { Tabs } from '../components/Tabs.tsx';
import { ago, count, when, withoutRepeatedLead } from '../format.ts';
import { useFetch, useTitle } from '../hooks.ts';
import { Link, paths } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { RepositoryDetail, TagList } from '../types.ts';
import { NotFound } from './NotFound.tsx';
import { ScanReportView } from './ScanReport.tsx';
import { ImageView } from './Image.tsx';
import { RepositorySettings } from './RepositorySettings.tsx';
import { SignaturesView } from './Signatures.tsx';
import { pullBase, TagsTab } from './Tags.tsx';

// The markdown renderer is the largest dependency: it loads with the first repository overview.
const LazyMarkdown = lazy(() => import('../components/Markdown.tsx').then((m) => ({ default: m.Markdown })));

function Markdown({ source }: { source: string }) {
  return (
    <Suspense fallback={<Loading label="Rendering" />}>
      <LazyMarkdown source={source} />
    </Suspense>
  );
}

export function Repository({ name, tab, reference }: { name: string; tab: 'overview' | 'tags' | 'settings' | 'scan' | 'signatures' | 'image'; reference?: string }) {
  const slash = name.indexOf('/');
  const project = slash < 0 ? 'library' : name.slice(0, slash);
  const repository = slash < 0 ? name : name.slice(slash + 1);
  const full = `${project}/${repository}`;
  const detail = useFetch<RepositoryDetail>(repoPath(project, repository));
  const shown = detail.data ? (detail.data.badges.official ? detail.data.repository : detail.data.name) : full;
  const at = reference?.includes(':') ? '@' : ':';
  useTitle(
    tab === 'scan' && reference ? `Vulnerabilities of ${shown}${at}${reference}`
      : tab === 'signatures' && reference ? `Signatures of ${shown}${at}${reference}`
        : tab === 'image' && reference ? `${shown}@${reference.slice(0, 19)}`
        : tab === 'settings' ? `Settings of ${shown}`
        : shown,
  );

  if (detail.error instanceof ApiError && detail.error.status === 404) return <NotFound what={`The repository ${full}`} />;
  if (detail.error && !detail.data) return <div className="page"><ErrorNote error={detail.error} title="Could not load the repository" /></div>;
  if (!detail.data) return <div className="page"><Loading /></div>;
  const repo = detail.data;

  return (
    <div className="page repository">
      <RepoHeader repo={repo} onChange={(r) => detail.setData(() => r)} />
      <Tabs
        label="Repository sections"
        active={tab === 'scan' || tab === 'signatures' || tab === 'image' ? 'tags' : tab}
        tabs={[
          { id: 'overview', label: 'Overview', to: paths.repository(repo.name) },
          { id: 'tags', label: 'Tags', to: paths.tags(repo.name), count: repo.tagCount },
          ...(repo.permissions.edit ? [{ id: 'settings', label: 'Settings', to: paths.repositorySettings(repo.name) }] : []),
        ]}
      />
      {tab === 'overview' ? (
        <Overview repo={repo} onChange={(r) => detail.setData(() => r)} />
      ) : tab === 'settings' ? (
        repo.permissions.edit ? <RepositorySettings repo={repo} onChange={(r) => detail.setData(() => r)} /> : <NotFound what={`Settings of ${repo.name}`} />
      ) : tab === 'scan' && reference ? (
        <ScanReportView key={reference} repo={repo} reference={reference} />
      ) : tab === 'signatures' && reference ? (
        <SignaturesView key={reference} repo={repo} reference={reference} />
      ) : tab === 'image' && reference ? (
        <ImageView key={reference} repo={repo} digest={reference} />
      ) : (
        <TagsTab repo={repo} onChanged={detail.reload} />
      )}
    </div>
  );
}

function RepoHeader({ repo, onChange }: { repo: RepositoryDetail; onChange: (r: RepositoryDetail) => void }) {
  const { me } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const toggleStar = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<{ starred: boolean; starCount: number }>(`${repoPath(repo.project, repo.repository)}/star`, { method: repo.starred ? 'DELETE' : 'PUT' });
      onChange({ ...repo, starred: r.starred, starCount: r.starCount });
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const title = repo.badges.official ? repo.repository : repo.name;
  return (
    <section className="repo-header">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/search">Explore</Link>
        <span aria-hidden="true">/</span>
        <Link to={paths.project(repo.project)}>{repo.project}</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{repo.repository}</span>
      </nav>
      <div className="repo-header-main">
        <RepoIcon name={repo.name} />
        <div className="repo-header-text">
          <h1>
            {title}
            <Badges badges={repo.badges} visibility={repo.visibility} />
          </h1>
          {repo.shortDescription ? (
            <p className="repo-header-desc" data-testid="short-description">{repo.shortDescription}</p>
          ) : repo.permissions.edit ? (
            <p className="repo-header-desc muted"><Link to={paths.repositorySettings(repo.name)}>Add a short description</Link></p>
          ) : null}
          <dl className="stats">
            <div>
              <dt>Pulls</dt>
              <dd data-testid="pull-count" title={repo.pullCount.toLocaleString('en')}>{count(repo.pullCount)}</dd>
            </div>
            <div>
              <dt>Stars</dt>
              <dd data-testid="star-count" title={repo.starCount.toLocaleString('en')}>{repo.starCount.toLocaleString('en')}</dd>
            </div>
            <div>
              <dt>Last pushed</dt>
              <dd title={when(repo.lastPushedAt)}>{ago(repo.lastPushedAt)}</dd>
            </div>
            <div>
              <dt>Tags</dt>
              <dd>{repo.tagCount.toLocaleString('en')}</dd>
            </div>
          </dl>
        </div>
        <div className="repo-header-actions">
          {me ? (
            <button type="button" className={`btn ${repo.starred ? 'btn-starred' : 'btn-secondary'}`} onClick={toggleStar} disabled={busy} aria-pressed={repo.starred}>
              <svg viewBox="0 0 16 16" aria-hidden="true"><path d="m8 1.8 1.9 3.9 4.3.6-3.1 3 .7 4.3L8 11.6l-3.8 2 .7-4.3-3.1-3 4.3-.6z" fill={repo.starred ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" /></svg>
              {repo.starred ? 'Starred' : 'Star'}
            </button>
          ) : (
            <Link to={paths.signIn(paths.repository(repo.name))} className="btn btn-secondary">
              Sign in to star
            </Link>
          )}
          {error && <p className="field-error" role="alert">{error}</p>}
        </div>
      </div>
    </section>
  );
}

/** The pull box, with a picker of the most recently pushed tags (the server's choice first). */
export function PullBox({ repo }: { repo: RepositoryDetail }) {
  const id = useId();
  const tags = useFetch<TagList>(`${repoPath(repo.project, repo.repository)}/tags?sort=pushed&n=100`);
  const defaultTag = /:([^/:@\s]+)$/.exec(repo.pullCommand)?.[1] ?? 'latest';
  const [tag, setTag] = useState(defaultTag);
  const names = tags.data ? [...new Set([defaultTag, ...tags.data.tags.map((t) => t.name)])] : [];
  const pull = `${pullBase(repo.pullCommand)}:${tag}`;
  const short = repo.shortPullCommand ? `${pullBase(repo.shortPullCommand)}:${tag}` : undefined;
  return (
    <section className="card pull-box" aria-labelledby="pull-heading">
      <div className="pull-box-head">
        <h2 id="pull-heading">Pull this image</h2>
        {names.length > 1 && (
          <div className="field field-inline">
            <label htmlFor={`${id}-tag`}>Tag</label>
            <select id={`${id}-tag`} value={tag} onChange={(e) => setTag(e.target.value)}>
              {names.map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </div>
        )}
      </div>
      <div className="command">
        <code data-testid="pull-command"><Breakable text={pull} /></code>
        <CopyButton text={pull} label="Copy the pull command" />
      </div>
      {short && (
        <>
          <p className="hint">Official Images also pull by their short name:</p>
          <div className="command">
            <code data-testid="short-pull-command"><Breakable text={short} /></code>
            <CopyButton text={short} label="Copy the short pull command" />
          </div>
        </>
      )}
    </section>
  );
}

function Overview({ repo, onChange }: { repo: RepositoryDetail; onChange: (r: RepositoryDetail) => void }) {
  const [editing, setEditing] = useState(false);
  return (
    <div className="repo-overview">
      <section className="card readme" aria-labelledby="overview-heading">
        {/* The README speaks for itself: its heading is for screen readers only. */}
        <h2 id="overview-heading" className="sr-only">Overview</h2>
        {repo.permissions.edit && !editing && (
          <div className="readme-actions">
            <button type="button" className="btn btn-secondary btn-small" onClick={() => setEditing(true)}>
              Edit
            </button>
          </div>
        )}
        {editing ? (
          <DescriptionEditor repo={repo} onDone={(r) => { if (r) onChange(r); setEditing(false); }} />
        ) : repo.description ? (
          <Markdown source={withoutRepeatedLead(repo.description, repo.shortDescription)} />
        ) : (
          <p className="muted">
            No overview yet.
            {repo.permissions.edit && ' Describe what the image is for, how to run it and which tags to use.'}
          </p>
        )}
      </section>
      <aside className="repo-side">
        <PullBox repo={repo} />
        <section className="card" aria-labelledby="about-heading">
          <h2 id="about-heading">About</h2>
          <dl className="facts">
            <div>
              <dt>Project</dt>
              <dd><Link to={paths.project(repo.project)}>{repo.project}</Link></dd>
            </div>
            <div>
              <dt>Visibility</dt>
              <dd>{repo.visibility === 'private' ? 'Private' : 'Public'}</dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd title={when(repo.updatedAt)}>{ago(repo.updatedAt)}</dd>
            </div>
            <div>
              <dt>Last pulled</dt>
              <dd title={when(repo.lastPulledAt)}>{ago(repo.lastPulledAt)}</dd>
            </div>
          </dl>
          {repo.labels.length > 0 && (
            <ul className="labels" aria-label="Labels">
              {repo.labels.map((l) => (
                <li key={l} className="label">{l}</li>
              ))}
            </ul>
          )}
        </section>
      </aside>
    </div>
  );
}

function DescriptionEditor({ repo, onDone }: { repo: RepositoryDetail; onDone: (r?: RepositoryDetail) => void }) {
  const [text, setText] = useState(repo.description);
  const [labels, setLabels] = useState(repo.labels.join(' '));
  const [preview, setPreview] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const id = useId();
  useEffect(() => setError(undefined), [text, labels]);
  const save = async () => {
    setSaving(true);
    try {
      const r = await api<RepositoryDetail>(repoPath(repo.project, repo.repository), {
        method: 'PATCH',
        body: { description: text, labels: labels.split(/[\s,]+/).filter(Boolean) },
      });
      onDone(r);
    } catch (e) {
      setError(messageOf(e));
      setSaving(false);
    }
  };
  return (
    <form className="editor" onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <div className="segmented" role="group" aria-label="Editor mode">
        <button type="button" className={!preview ? 'active' : ''} aria-pressed={!preview} onClick={() => setPreview(false)}>Write</button>
        <button type="button" className={preview ? 'active' : ''} aria-pressed={preview} onClick={() => setPreview(true)}>Preview</button>
      </div>
      {preview ? (
        <div className="editor-preview">{text ? <Markdown source={text} /> : <p className="muted">Nothing to preview.</p>}</div>
      ) : (
        <div className="field">
          <label htmlFor={`${id}-md`}>Description (Markdown)</label>
          <textarea id={`${id}-md`} value={text} onChange={(e) => setText(e.target.value)} rows={16} spellCheck />
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-labels`}>Labels</label>
        <input id={`${id}-labels`} value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="web-server proxy alpine" />
        <p className="hint">Separated by spaces; search matches them.</p>
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={saving}>{saving ? 'Saving…' : 'Save'}</button>
        <button type="button" className="btn btn-ghost" onClick={() => onDone()} disabled={saving}>Cancel</button>
      </div>
    </form>
  );
}
