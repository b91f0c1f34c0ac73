// A project's tag immutability rules (GET/POST/DELETE /projects/{name}/immutable-rules): each rule
// with its number, patterns and who added it; owners, maintainers and administrators add and remove
// them (the API says who may: `editable`), with the server's refusals shown. Also the tags view's
// "Immutable" chip, from one request per page (GET /repositories/.../immutable?tags=).
import { useId, useState } from 'react';
import { api, messageOf, qs } from '../api.ts';
import { ConfirmButton } from './Dialog.tsx';
import { ErrorNote, Loading } from './States.tsx';
import { ago, when } from '../format.ts';
import { useFetch } from '../hooks.ts';
import './lifecycle-rules.css';

export interface ImmutableRule {
  id: number;
  repos: string;
  tags: string;
  createdAt: string;
  createdBy: string;
}

interface RulesView {
  project: string;
  rules: ImmutableRule[];
  editable: boolean;
}

export function ImmutableRules({ project }: { project: string }) {
  const path = `/projects/${encodeURIComponent(project)}/immutable-rules`;
  const list = useFetch<RulesView>(path);
  const [error, setError] = useState<string>();
  const id = useId();
  if (list.error && !list.data) return <ErrorNote error={list.error} title="Could not load the immutability rules" />;
  if (!list.data) return <Loading label="Loading the immutability rules" />;
  const { rules, editable } = list.data;
  const remove = async (rule: ImmutableRule) => {
    setError(undefined);
    try {
      await api(`${path}/${rule.id}`, { method: 'DELETE' });
      list.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section className="card form-card immutability" aria-labelledby={`${id}-h`} data-testid="immutable-rules">
      <h2 id={`${id}-h`}>Immutable tags</h2>
      <p className="hint">
        A tag matching a rule can no longer be moved to another image or deleted, by any client; push a new tag instead.
        cosign's signature tags can always gain signatures.
      </p>
      {!editable && <p className="hint read-only-note">Only the project's owners and maintainers and the registry's administrators change these rules.</p>}
      {rules.length === 0 ? (
        <p className="muted small" data-testid="no-immutable-rules">No rules: every tag can be moved and deleted.</p>
      ) : (
        <ul className="immutable-rules" aria-label="Immutability rules">
          {rules.map((r) => (
            <li key={r.id} className="immutable-rule" data-rule={r.id}>
              <div className="immutable-rule-main">
                <div className="immutable-rule-patterns">
                  <strong>Rule {r.id}</strong>
                  <span>repositories <code className="rule-repos">{r.repos}</code></span>
                  <span>tags <code className="rule-tags">{r.tags}</code></span>
                </div>
                <span className="small muted">Added <span title={when(r.createdAt)}>{ago(r.createdAt)}</span> by {r.createdBy}</span>
              </div>
              {editable && (
                <ConfirmButton
                  label="Remove"
                  ariaLabel={`Remove rule ${r.id}`}
                  title={`Remove rule ${r.id}?`}
                  message={<>Tags matching <code>{r.tags}</code> in repositories matching <code>{r.repos}</code> can be moved and deleted again (unless another rule holds them).</>}
                  confirm="Remove rule"
                  onConfirm={() => remove(r)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {editable && <AddRule path={path} project={project} onAdded={list.reload} />}
    </section>
  );
}

function AddRule({ path, project, onAdded }: { path: string; project: string; onAdded: () => void }) {
  const id = useId();
  const [repos, setRepos] = useState('**');
  const [tags, setTags] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  const add = async () => {
    setBusy(true);
    try {
      const rule = await api<ImmutableRule>(path, { method: 'POST', body: { repos: repos.trim(), tags: tags.trim() } });
      setTags('');
      setMessage({ ok: true, text: `Added rule ${rule.id}.` });
      onAdded();
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form aria-labelledby={`${id}-h`} onSubmit={(e) => { e.preventDefault(); void add(); }}>
      <h3 id={`${id}-h`}>Add a rule</h3>
      <div className="immutable-add-row">
        <div className="field">
          <label htmlFor={`${id}-r`}>Repositories</label>
          <input id={`${id}-r`} value={repos} onChange={(e) => { setRepos(e.target.value); setMessage(undefined); }} required maxLength={256} autoComplete="off" aria-describedby={`${id}-rh`} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-t`}>Tags</label>
          <input id={`${id}-t`} value={tags} onChange={(e) => { setTags(e.target.value); setMessage(undefined); }} required maxLength={256} placeholder="v*" autoComplete="off" aria-describedby={`${id}-th`} />
        </div>
        <button type="submit" className="btn btn-primary" disabled={busy || !repos.trim() || !tags.trim()}>Add rule</button>
      </div>
      <p className="hint" id={`${id}-rh`}>
        Repositories by their path inside {project}: <code>**</code> all of them, <code>app</code> {project}/app, <code>app/*</code> one level under it, <code>app/**</code> app and everything under it.
      </p>
      <p className="hint" id={`${id}-th`}>Tags: <code>v*</code>, <code>{'{latest,stable}'}</code>, <code>release-[0-9]*</code>.</p>
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
    </form>
  );
}

/** Which tags of this page are immutable (one request per page); undefined for none or while unknown. */
export function useImmutableTags(repoBase: string, tags: readonly string[], enabled: boolean): (tag: string) => ImmutableRule | undefined {
  const names = [...new Set(tags)].slice(0, 100);
  const found = useFetch<{ tags: Record<string, { immutable: boolean; rule: Pick<ImmutableRule, 'id' | 'repos' | 'tags'> | null }> }>(
    enabled && names.length > 0 ? `${repoBase}/immutable${qs({ tags: names.join(',') })}` : null,
  );
  return (tag) => {
    const t = found.data?.tags[tag];
    return t?.immutable && t.rule ? { ...t.rule, createdAt: '', createdBy: '' } : undefined;
  };
}

/** The tags view's mark of an immutable tag. */
export function ImmutableChip({ tag, rule }: { tag: string; rule: ImmutableRule | undefined }) {
  if (!rule) return null;
  return (
    <span className="chip chip-immutable" data-testid="tag-immutable" title={`Rule ${rule.id}: repositories ${rule.repos}, tags ${rule.tags}. It cannot be moved or deleted.`} aria-label={`${tag} is immutable (rule ${rule.id})`}>
      Immutable
    </span>
  );
}
