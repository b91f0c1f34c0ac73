// A project's retention policy (docs/retention.md): the rules as YAML in an editor, previewed live
// against the project as it is now (POST /retention/preview, debounced, while they are edited:
// what would be deleted and kept, and why), saved with PUT, run now (after a confirmation that
// says what goes), and the last runs. Owners, maintainers and administrators edit and run it;
// other members read it and its preview.
import { useEffect, useId, useRef, useState } from 'react';
import { api, ApiError, isAbort, messageOf } from '../api.ts';
import { Dialog } from '../components/Dialog.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { ago, shortDigest, when } from '../format.ts';
import { useDebounced, useFetch } from '../hooks.ts';
import type { RepositoryPlan, RetentionPlan, RetentionPolicyView, RetentionRun, RetentionRunSummary } from '../retention-types.ts';
import '../retention.css';

/** Sizes as the plan's summary line gives them (1024-based: "1.2 GiB"). */
function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

export const EXAMPLE_POLICY = `# Keep the 10 most recently pushed tags of every repository,
# and every tag pulled in the last 30 days; the rest is deleted.
rules:
  - mostRecentlyPushed: 10
  - pulledWithinDays: 30
`;

export function RetentionSettings({ project }: { project: string }) {
  const base = `/projects/${encodeURIComponent(project)}/retention`;
  const policy = useFetch<RetentionPolicyView>(base);
  const runs = useFetch<{ runs: RetentionRunSummary[] }>(`${base}/runs?limit=10`);
  if (policy.error && !policy.data) return <ErrorNote error={policy.error} title="Could not load the retention policy" />;
  if (!policy.data) return <Loading label="Loading the retention policy" />;
  return (
    <section aria-label="Retention" className="retention">
      <Editor base={base} policy={policy.data} onSaved={(p) => policy.setData(() => p)} onRun={runs.reload} />
      <Runs base={base} runs={runs.data?.runs} error={runs.error} />
    </section>
  );
}

function Editor({ base, policy, onSaved, onRun }: { base: string; policy: RetentionPolicyView; onSaved: (p: RetentionPolicyView) => void; onRun: () => void }) {
  const stored = policy.source.trim() ? policy.source : '';
  const [text, setText] = useState(stored || EXAMPLE_POLICY);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [saving, setSaving] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<RetentionRun>();
  const [revision, setRevision] = useState(0);
  const id = useId();
  const dirty = text !== stored;
  const preview = usePreview(base, useDebounced(text, 400), revision);

  const save = async () => {
    setSaving(true);
    setMessage(undefined);
    try {
      const saved = await api<RetentionPolicyView>(base, { method: 'PUT', body: { source: text } });
      onSaved(saved);
      setMessage({ ok: true, text: 'Saved.' });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setSaving(false);
    }
  };
  const run = async () => {
    setRunning(true);
    setMessage(undefined);
    try {
      const r = await api<RetentionRun>(`${base}/runs`, { method: 'POST', body: { dryRun: false } });
      setResult(r);
      setRevision((n) => n + 1);
      onRun();
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setRunning(false);
      setConfirm(false);
    }
  };

  return (
    <div className="retention-grid">
      <form className="card form-card retention-editor" onSubmit={(e) => { e.preventDefault(); void save(); }} aria-label="Retention rules">
        <h2>Rules</h2>
        <p className="muted small">
          YAML: <code>rules:</code> combine with OR (a tag stays when any rule keeps it; the rest of each rule's scope is deleted), each one of
          {' '}<code>mostRecentlyPushed</code>, <code>mostRecentlyPulled</code>, <code>pushedWithinDays</code>, <code>pulledWithinDays</code>, <code>tagsMatching</code>, <code>always</code>,
          {' '}scoped with <code>repositories</code> and <code>tags</code> globs (and <code>excludeRepositories</code>, <code>excludeTags</code>); optional <code>schedule</code> (cron, UTC) and <code>untagged: true</code>.
        </p>
        <div className="field">
          <label htmlFor={`${id}-yaml`}>Policy (YAML)</label>
          <textarea
            id={`${id}-yaml`}
            className="retention-yaml mono"
            value={text}
            onChange={(e) => setText(e.target.value)}
            readOnly={!policy.canChange}
            rows={14}
            spellCheck={false}
            autoCapitalize="off"
            autoCorrect="off"
          />
        </div>
        <p className="small muted" data-testid="retention-schedule">
          {policy.schedule
            ? <>Runs <code>{policy.schedule}</code> (UTC); next {policy.nextRuns[0] ? <span title={when(policy.nextRuns[0])}>{when(policy.nextRuns[0])}</span> : 'never'}.</>
            : 'No schedule: runs only when started.'}
          {policy.updatedBy && <> Set by <strong>{policy.updatedBy}</strong> {ago(policy.updatedAt)}.</>}
          {!stored && ' Not set yet: the text above is an example.'}
        </p>
        {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
        {policy.canChange ? (
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={saving || !dirty || preview.invalid !== undefined}>Save rules</button>
            <button type="button" className="btn btn-danger" disabled={dirty || !stored || running} onClick={() => setConfirm(true)} title={dirty ? 'Save the rules first: a run uses the saved policy' : undefined}>Run now</button>
            {dirty && stored && <button type="button" className="btn btn-ghost" onClick={() => setText(stored)}>Discard changes</button>}
          </div>
        ) : (
          <p className="small muted">Only owners and maintainers of the project change or run its retention policy.</p>
        )}
        {result && <RunOutcome result={result} />}
      </form>
      <Preview preview={preview} />
      <Dialog open={confirm} title="Run the retention policy now?" onClose={() => setConfirm(false)}>
        <p>
          {preview.plan && !dirty ? <>This <strong>{preview.plan.text.replace(/^would delete/, 'deletes')}</strong> (an estimate; garbage collection reclaims the bytes). </> : null}
          Tags go through the registry as <code>system:retention</code>: webhooks and the audit log see each one, and immutable tags are kept.
        </p>
        <div className="form-actions">
          <button type="button" className="btn btn-danger" disabled={running} onClick={() => void run()}>{running ? 'Running…' : 'Delete them'}</button>
          <button type="button" className="btn btn-ghost" onClick={() => setConfirm(false)}>Cancel</button>
        </div>
      </Dialog>
    </div>
  );
}

interface PreviewState {
  plan?: RetentionPlan;
  /** The server's refusal of the text (a bad key, a YAML syntax error). */
  invalid?: string;
  error?: unknown;
  loading: boolean;
}

/** The plan of `source`, asked again whenever it changes (the previous request is cancelled). */
function usePreview(base: string, source: string, revision: number): PreviewState {
  const [state, setState] = useState<PreviewState>({ loading: true });
  const current = useRef<AbortController | null>(null);
  useEffect(() => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setState((s) => ({ ...s, loading: true }));
    api<RetentionPlan>(`${base}/preview`, { method: 'POST', body: { source }, signal: controller.signal }).then(
      (plan) => { if (!controller.signal.aborted) setState({ plan, loading: false }); },
      (e: unknown) => {
        if (isAbort(e) || controller.signal.aborted) return;
        if (e instanceof ApiError && e.status === 400) setState((s) => ({ plan: s.plan, invalid: e.message.replace(/^invalid retention policy: /, ''), loading: false }));
        else setState((s) => ({ plan: s.plan, error: e, loading: false }));
      },
    );
    return () => controller.abort();
  }, [base, source, revision]);
  return state;
}

function Preview({ preview }: { preview: PreviewState }) {
  const plan = preview.plan;
  return (
    <section className={`card retention-preview ${preview.loading ? 'stale' : ''}`} aria-label="Preview" aria-busy={preview.loading}>
      <h2>Preview</h2>
      {preview.invalid !== undefined && (
        <div className="note note-error" role="alert" data-testid="retention-invalid">
          <strong>These rules are not valid.</strong> {preview.invalid}
        </div>
      )}
      {preview.error !== undefined && <ErrorNote error={preview.error} title="Could not preview the rules" />}
      {!plan && preview.loading && <Loading label="Planning" />}
      {plan && (
        <>
          <p className="retention-summary" data-testid="retention-summary" aria-live="polite">
            {plan.text}
            {preview.invalid !== undefined && <span className="muted small"> (the last valid rules)</span>}
          </p>
          <p className="small muted">
            {plan.summary.keptTags} tag{plan.summary.keptTags === 1 ? '' : 's'} in scope kept{plan.summary.immutable ? `, ${plan.summary.immutable} of them immutable` : ''}. Sizes are estimates: what nothing kept in the project references any more.
          </p>
          {plan.warnings.map((w) => <p key={w} className="note note-warn small" role="note">{w}</p>)}
          {plan.repositories.length === 0 && <Empty>No tag is in the scope of these rules.</Empty>}
          {plan.repositories.map((r) => <RepositoryPreview key={r.repository} plan={r} />)}
        </>
      )}
    </section>
  );
}

function RepositoryPreview({ plan }: { plan: RepositoryPlan }) {
  const gone = plan.deleteTags.length + plan.deleteManifests.length;
  return (
    <details className="retention-repo" data-repository={plan.repository} open={gone > 0 && gone <= 50}>
      <summary>
        <strong>{plan.repository}</strong>
        {' '}<span className={gone ? 'badge badge-warn' : 'badge badge-ok'}>{gone ? `delete ${gone}` : 'nothing to delete'}</span>
        {' '}<span className="muted small">keep {plan.keepTags.length}{gone ? ` · ${bytes(plan.bytes)}` : ''}</span>
      </summary>
      <div className="table-scroll">
        <table className="table retention-table" aria-label={`Plan for ${plan.repository}`}>
          <thead>
            <tr>
              <th scope="col">Tag</th>
              <th scope="col">Outcome</th>
              <th scope="col">Pushed</th>
              <th scope="col">Pulled</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {plan.deleteTags.map((t) => (
              <tr key={`d-${t.tag}`} data-tag={t.tag} data-outcome="delete">
                <td className="mono">{t.tag}</td>
                <td><span className="badge badge-warn">Delete</span></td>
                <td title={when(t.pushedAt)}>{ago(t.pushedAt)}</td>
                <td title={when(t.pulledAt)}>{t.pulledAt ? ago(t.pulledAt) : 'never'}</td>
                <td className="small">{t.reasons.join('; ')}</td>
              </tr>
            ))}
            {plan.deleteManifests.map((m) => (
              <tr key={`m-${m.digest}`} data-digest={m.digest} data-outcome="delete">
                <td className="mono" title={m.digest}>{shortDigest(m.digest)} <span className="muted">(untagged)</span></td>
                <td><span className="badge badge-warn">Delete</span></td>
                <td title={when(m.pushedAt)}>{ago(m.pushedAt)}</td>
                <td>—</td>
                <td className="small">untagged{m.followers.length ? `; with ${m.followers.length} signature tag${m.followers.length === 1 ? '' : 's'}` : ''}</td>
              </tr>
            ))}
            {plan.keepTags.map((t) => (
              <tr key={`k-${t.tag}`} data-tag={t.tag} data-outcome="keep">
                <td className="mono">{t.tag}</td>
                <td>{t.reasons.some((x) => x.startsWith('immutable')) ? <span className="badge badge-muted">Immutable</span> : <span className="badge badge-ok">Keep</span>}</td>
                <td title={when(t.pushedAt)}>{ago(t.pushedAt)}</td>
                <td title={when(t.pulledAt)}>{t.pulledAt ? ago(t.pulledAt) : 'never'}</td>
                <td className="small">{t.reasons.join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {plan.outOfScope > 0 && <p className="small muted">{plan.outOfScope} other tag{plan.outOfScope === 1 ? '' : 's'} of this repository are in no rule's scope: never touched.</p>}
    </details>
  );
}

function RunOutcome({ result }: { result: RetentionRun }) {
  return (
    <div className={`note ${result.error || result.skipped.length ? 'note-warn' : 'note-success'}`} role="status" data-testid="retention-result">
      <p><strong>{result.text}.</strong> Garbage collection reclaims the bytes.</p>
      {result.skipped.length > 0 && (
        <ul className="small">
          {result.skipped.map((x) => <li key={`${x.repository}-${x.tag ?? x.digest}`}>{x.repository}{x.tag ? `:${x.tag}` : `@${shortDigest(x.digest)}`} was kept ({x.outcome}): {x.reason}</li>)}
        </ul>
      )}
      {result.error && <p className="small">{result.error}</p>}
    </div>
  );
}

function Runs({ base, runs, error }: { base: string; runs?: RetentionRunSummary[]; error: unknown }) {
  const [open, setOpen] = useState<number>();
  return (
    <section className="card retention-runs" aria-label="Last runs">
      <h2>Last runs</h2>
      {error ? <ErrorNote error={error} title="Could not load the runs" /> : null}
      {!runs && !error && <Loading label="Loading the runs" />}
      {runs && runs.length === 0 && <Empty>No runs yet.</Empty>}
      {runs && runs.length > 0 && (
        <div className="table-scroll">
          <table className="table" aria-label="Retention runs">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Trigger</th>
                <th scope="col">By</th>
                <th scope="col">Outcome</th>
                <th scope="col"><span className="sr-only">Details</span></th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-run={r.id}>
                  <td title={when(r.startedAt)}>{ago(r.startedAt)}</td>
                  <td>{r.dryRun ? 'dry run' : r.trigger}</td>
                  <td>{r.requestedBy ?? '—'}</td>
                  <td>{r.error ? <span className="badge badge-warn">{r.error}</span> : r.text ?? (r.finishedAt ? `${r.tags} deleted` : 'running')}{r.skipped ? <span className="muted small"> · {r.skipped} kept by refusals</span> : null}</td>
                  <td className="actions">
                    {r.finishedAt && (
                      <button type="button" className="btn btn-ghost btn-small" aria-expanded={open === r.id} onClick={() => setOpen((o) => (o === r.id ? undefined : r.id))} aria-label={`Details of run ${r.id}`}>
                        {open === r.id ? 'Hide' : 'Details'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open !== undefined && <RunDetails key={open} path={`${base}/runs/${open}`} />}
    </section>
  );
}

/** One run's whole outcome (GET …/runs/{id}): what each repository lost, and what was kept by a refusal. */
function RunDetails({ path }: { path: string }) {
  const run = useFetch<RetentionRun>(path);
  if (run.error) return <ErrorNote error={run.error} title="Could not load the run" />;
  if (!run.data) return <Loading label="Loading the run" />;
  const r = run.data;
  const touched = r.repositories.filter((p) => p.deleteTags.length || p.deleteManifests.length);
  return (
    <section className="retention-run" aria-label={`Run ${r.id}`} data-testid="retention-run-details">
      <h3>Run {r.id}: {r.text}</h3>
      <p className="small muted">{r.dryRun ? 'A dry run (nothing deleted)' : `Started by ${r.requestedBy} (${r.trigger})`}, {when(r.startedAt)}.</p>
      {r.skipped.length > 0 && <RunOutcome result={r} />}
      {touched.length === 0 && <Empty>Nothing {r.dryRun ? 'would have been' : 'was'} deleted.</Empty>}
      {touched.map((p) => <RepositoryPreview key={p.repository} plan={{ ...p, keepTags: [] }} />)}
    </section>
  );
}
