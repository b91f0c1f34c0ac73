// A repository's settings (issue 17), for maintainers, owners and administrators (the tab is not
// offered to others, and the server refuses them): the short description (one line under the
// name, at most 100 characters, as Docker Hub), the README in markdown with a preview, labels;
// and deleting the repository, after typing its name: every tag and image goes through the
// registry (webhooks and the audit log see each), then the repository; GC frees the bytes later.
import { lazy, Suspense, useEffect, useId, useState } from 'react';
import { api, messageOf, repoPath } from '../api.ts';
import { Loading } from '../components/States.tsx';
import { navigate, paths } from '../router.tsx';
import type { RepositoryDetail } from '../types.ts';
import '../repository-settings.css';

const LazyMarkdown = lazy(() => import('../components/Markdown.tsx').then((m) => ({ default: m.Markdown })));

/** Docker Hub's limit, which the API enforces. */
export const SHORT_DESCRIPTION_MAX = 100;

const length = (s: string) => [...s].length;

export function RepositorySettings({ repo, onChange }: { repo: RepositoryDetail; onChange: (r: RepositoryDetail) => void }) {
  return (
    <section aria-label="Settings" className="settings repo-settings">
      <GeneralSettings repo={repo} onChange={onChange} />
      <DeleteRepository repo={repo} />
    </section>
  );
}

function GeneralSettings({ repo, onChange }: { repo: RepositoryDetail; onChange: (r: RepositoryDetail) => void }) {
  const [short, setShort] = useState(repo.shortDescription);
  const [readme, setReadme] = useState(repo.description);
  const [labels, setLabels] = useState(repo.labels.join(' '));
  const [preview, setPreview] = useState(false);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const id = useId();
  useEffect(() => setMessage(undefined), [short, readme, labels]);
  const over = length(short.trim()) > SHORT_DESCRIPTION_MAX;
  const labelList = labels.split(/[\s,]+/).filter(Boolean);
  const dirty = short !== repo.shortDescription || readme !== repo.description || labelList.join(' ') !== repo.labels.join(' ');
  const save = async () => {
    setSaving(true);
    try {
      const r = await api<RepositoryDetail>(repoPath(repo.project, repo.repository), {
        method: 'PATCH',
        body: { shortDescription: short.trim(), description: readme, labels: labelList },
      });
      onChange(r);
      setShort(r.shortDescription);
      setLabels(r.labels.join(' '));
      setMessage({ ok: true, text: 'Saved.' });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setSaving(false);
    }
  };
  return (
    <form className="card form-card" aria-labelledby={`${id}-h`} onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <h2 id={`${id}-h`}>Description</h2>
      <div className="field">
        <label htmlFor={`${id}-short`}>Short description</label>
        <input
          id={`${id}-short`}
          value={short}
          onChange={(e) => setShort(e.target.value.replace(/[\r\n]+/g, ' '))}
          aria-describedby={`${id}-short-hint`}
          aria-invalid={over || undefined}
          autoComplete="off"
        />
        <p className="hint field-counter" id={`${id}-short-hint`}>
          <span>Shown under the name and in search results.</span>
          <span className={over ? 'over' : ''} data-testid="short-count">{length(short.trim())}/{SHORT_DESCRIPTION_MAX}</span>
        </p>
      </div>
      <div className="field">
        <div className="field-head">
          <label htmlFor={`${id}-readme`}>README <span className="muted">(Markdown)</span></label>
          <div className="segmented" role="group" aria-label="README editor mode">
            <button type="button" className={!preview ? 'active' : ''} aria-pressed={!preview} onClick={() => setPreview(false)}>Write</button>
            <button type="button" className={preview ? 'active' : ''} aria-pressed={preview} onClick={() => setPreview(true)}>Preview</button>
          </div>
        </div>
        {preview ? (
          <div className="editor-preview">
            {readme.trim() ? <Suspense fallback={<Loading label="Rendering" />}><LazyMarkdown source={readme} /></Suspense> : <p className="muted">Nothing to preview.</p>}
          </div>
        ) : (
          <textarea id={`${id}-readme`} value={readme} onChange={(e) => setReadme(e.target.value)} rows={14} spellCheck />
        )}
        <p className="hint">Shown on the Overview tab: what the image is for, how to run it, which tags to use.</p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-labels`}>Labels</label>
        <input id={`${id}-labels`} value={labels} onChange={(e) => setLabels(e.target.value)} aria-describedby={`${id}-labels-hint`} autoComplete="off" />
        <p className="hint" id={`${id}-labels-hint`}>Lower-case words separated by spaces, such as <code>web-server alpine</code>; search matches them.</p>
      </div>
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={saving || over || !dirty}>{saving ? 'Saving…' : 'Save changes'}</button>
      </div>
    </form>
  );
}

function DeleteRepository({ repo }: { repo: RepositoryDetail }) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = useId();
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api(repoPath(repo.project, repo.repository), { method: 'DELETE' });
      navigate(paths.project(repo.project));
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  const tags = repo.tagCount === 1 ? '1 tag' : `${repo.tagCount.toLocaleString('en')} tags`;
  return (
    <form className="card form-card danger-zone" aria-labelledby={`${id}-h`} onSubmit={(e) => { e.preventDefault(); void remove(); }}>
      <h2 id={`${id}-h`}>Delete this repository</h2>
      <p>
        Deletes <strong>{repo.name}</strong> with its {tags} and every image, signature and attachment in it, for everyone.
        Pulls of it fail from then on; webhooks and the audit log see each deletion. This cannot be undone.
      </p>
      <div className="field">
        <label htmlFor={`${id}-confirm`}>Type <code className="confirm-name">{repo.name}</code> to confirm</label>
        <input id={`${id}-confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} autoCapitalize="off" />
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-danger" disabled={busy || typed.trim() !== repo.name}>{busy ? 'Deleting…' : 'Delete repository'}</button>
      </div>
    </form>
  );
}
