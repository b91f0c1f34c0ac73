// A tag's history as a timeline (GET …/tags/{tag}/history, newest first, with older pages on
// demand): who moved it, when, from which digest to which. Those who may push see "Roll back"
// on each earlier digest still in the repository (POST …/rollback, after a confirmation); the
// move is a push by them, so webhooks, the audit log and immutability see it.
import { useState } from 'react';
import { api, messageOf, qs, repoPath } from '../api.ts';
import { ago, shortDigest, when } from '../format.ts';
import { useFetch } from '../hooks.ts';
import { Link, paths } from '../router.tsx';
import type { TagHistoryEntry, TagHistoryView } from '../retention-types.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorNote, Loading } from './States.tsx';
import '../retention.css';

export function TagHistory({ project, repository, tag, canRollback, onChanged, id }: {
  project: string;
  repository: string;
  tag: string;
  canRollback: boolean;
  onChanged: () => void;
  id?: string;
}) {
  const [before, setBefore] = useState<number[]>([]);
  const base = `${repoPath(project, repository)}/tags/${encodeURIComponent(tag)}`;
  const history = useFetch<TagHistoryView>(`${base}/history${qs({ n: 10, before: before[before.length - 1] })}`);
  const [target, setTarget] = useState<TagHistoryEntry>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();

  const rollback = async () => {
    if (!target?.to) return;
    setBusy(true);
    setError(undefined);
    try {
      await api(`${base}/rollback`, { method: 'POST', body: { to: target.to } });
      setDone(`${tag} now points at ${shortDigest(target.to)} again.`);
      setTarget(undefined);
      setBefore([]);
      history.reload();
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const h = history.data;
  return (
    <section className="tag-history" id={id} aria-label={`History of ${tag}`}>
      <h4>History of {tag}{h ? <span className="muted small"> · {h.total} move{h.total === 1 ? '' : 's'}</span> : null}</h4>
      {history.error ? <ErrorNote error={history.error} title="Could not load the history" /> : null}
      {!h && history.loading && <Loading label="Loading the history" />}
      {done && <p className="field-ok" role="status">{done}</p>}
      {h && h.entries.length === 0 && <p className="muted small">No moves recorded.</p>}
      {h && h.entries.length > 0 && (
        <ol className={`timeline ${history.loading ? 'stale' : ''}`}>
          {h.entries.map((e) => {
            const current = e.to !== null && e.to === h.current && e === h.entries.find((x) => x.to === h.current);
            return (
              <li key={e.id} className={`timeline-entry ${current ? 'current' : ''} ${e.action}`} data-entry={e.id} data-action={e.action}>
                <div className="timeline-line">
                  <span title={when(e.at)}>{ago(e.at)}</span>
                  <strong>{e.actor}</strong>
                  <span className="timeline-what">
                    {e.action === 'created' && <>created it at <ImageLink name={`${project}/${repository}`} digest={e.to} /></>}
                    {e.action === 'moved' && <>moved it from <ImageLink name={`${project}/${repository}`} digest={e.from} /> to <ImageLink name={`${project}/${repository}`} digest={e.to} /></>}
                    {e.action === 'deleted' && <>deleted it (it pointed at <code title={e.from ?? ''}>{shortDigest(e.from ?? '')}</code>)</>}
                  </span>
                  {current && <span className="chip">current</span>}
                  {e.to !== null && !e.available && <span className="badge badge-muted" title="The image was deleted; it cannot be rolled back to">gone</span>}
                  {canRollback && e.to !== null && e.available && e.to !== h.current && (
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => { setDone(undefined); setError(undefined); setTarget(e); }} aria-label={`Roll ${tag} back to ${shortDigest(e.to)}`}>
                      Roll back to this
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ol>
      )}
      <div className="form-actions">
        {before.length > 0 && <button type="button" className="btn btn-ghost btn-small" onClick={() => setBefore((b) => b.slice(0, -1))}>Newer</button>}
        {h?.next != null && <button type="button" className="btn btn-ghost btn-small" onClick={() => setBefore((b) => [...b, h.next!])}>Older</button>}
      </div>
      <Dialog open={!!target} title={`Roll ${tag} back?`} onClose={() => setTarget(undefined)}>
        <p>
          Moves <strong>{`${project}/${repository}`}:{tag}</strong> from <code>{h?.current ? shortDigest(h.current) : 'nothing'}</code> back to <code>{target?.to ? shortDigest(target.to) : ''}</code>.
          It is a push by you: webhooks and the audit log see it, and an immutable tag refuses it.
        </p>
        {error && <p className="field-error" role="alert">{error}</p>}
        <div className="form-actions">
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void rollback()}>Roll back</button>
          <button type="button" className="btn btn-ghost" onClick={() => setTarget(undefined)}>Cancel</button>
        </div>
      </Dialog>
    </section>
  );
}

/** A digest of the history, linked to its image page (which says so if it has since been deleted). */
function ImageLink({ name, digest }: { name: string; digest: string | null | undefined }) {
  if (!digest) return <code>{shortDigest('')}</code>;
  return <Link to={paths.image(name, digest)} className="digest-link"><code title={digest}>{shortDigest(digest)}</code></Link>;
}
