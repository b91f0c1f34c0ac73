// A project's webhooks tab (issue 17, section 3; owners and administrators): the list with each
// webhook's state, a form to add one (the generated secret shown once), edit, pause and resume,
// remove, and each webhook's deliveries with their attempts and a Redeliver button.
import { useId, useState } from 'react';
import { api, messageOf } from '../api.ts';
import { CopyButton } from '../components/CopyButton.tsx';
import { ConfirmButton, Dialog } from '../components/Dialog.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { ago, when } from '../format.ts';
import { useFetch, useListAction } from '../hooks.ts';
import { useSession } from '../session.tsx';
import type { Webhook, WebhookDelivery } from '../types.ts';

const EVENTS = ['push', 'pull', 'delete', 'tag', 'scan.completed', 'vulnerability.new', 'quota.warning'] as const;
const FORMATS = ['berth', 'cloudevents', 'distribution', 'slack'] as const;

interface Draft {
  url: string;
  events: string[];
  format: string;
  filter: string;
  allowPrivateTargets: boolean;
}

function WebhookFields({ draft, setDraft, admin, idBase, project }: { draft: Draft; setDraft: (d: Draft) => void; admin: boolean; idBase: string; project: string }) {
  return (
    <>
      <div className="field field-wide">
        <label htmlFor={`${idBase}-url`}>Payload URL</label>
        <input id={`${idBase}-url`} type="url" value={draft.url} onChange={(e) => setDraft({ ...draft, url: e.target.value })} required placeholder="e.g. https://ci.example.com/hooks/berth" autoComplete="off" data-autofocus />
      </div>
      <fieldset className="field">
        <legend>Events</legend>
        <div className="checks">
          {EVENTS.map((ev) => (
            <label key={ev} className="check">
              <input type="checkbox" checked={draft.events.includes(ev)} onChange={(e) => setDraft({ ...draft, events: e.target.checked ? [...draft.events, ev] : draft.events.filter((x) => x !== ev) })} />
              {ev}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="field">
        <label htmlFor={`${idBase}-format`}>Format</label>
        <select id={`${idBase}-format`} value={draft.format} onChange={(e) => setDraft({ ...draft, format: e.target.value })}>
          {FORMATS.map((f) => <option key={f} value={f}>{f}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${idBase}-filter`}>Repository filter</label>
        <input id={`${idBase}-filter`} value={draft.filter} onChange={(e) => setDraft({ ...draft, filter: e.target.value })} placeholder={`e.g. ${project}/app* or ${project}/app:release-*`} autoComplete="off" />
      </div>
      {admin && (
        <label className="check">
          <input type="checkbox" checked={draft.allowPrivateTargets} onChange={(e) => setDraft({ ...draft, allowPrivateTargets: e.target.checked })} />
          Allow loopback and private addresses
        </label>
      )}
    </>
  );
}

export function Webhooks({ project }: { project: string }) {
  const { me } = useSession();
  const admin = !!me?.admin;
  const list = useFetch<{ webhooks: Webhook[] }>(`/projects/${encodeURIComponent(project)}/webhooks`);
  const [draft, setDraft] = useState<Draft>({ url: '', events: ['push'], format: 'berth', filter: '', allowPrivateTargets: false });
  const [secret, setSecret] = useState<string>();
  const [editing, setEditing] = useState<Webhook>();
  const [open, setOpen] = useState<number>();
  const id = useId();
  const { error, run } = useListAction(list.reload);
  const create = () => run(async () => {
    const r = await api<{ webhook: Webhook; secret?: string }>(`/projects/${encodeURIComponent(project)}/webhooks`, {
      method: 'POST',
      body: { url: draft.url.trim(), events: draft.events, format: draft.format, ...(draft.filter.trim() ? { filter: draft.filter.trim() } : {}), ...(draft.allowPrivateTargets ? { allowPrivateTargets: true } : {}) },
    });
    setSecret(r.secret);
    setDraft({ url: '', events: ['push'], format: 'berth', filter: '', allowPrivateTargets: false });
  });
  const patch = (w: Webhook, body: Record<string, unknown>) => run(() => api(`/webhooks/${w.id}`, { method: 'PATCH', body }));
  return (
    <section aria-label="Webhooks">
      <form className="card form-inline" aria-label="New webhook" onSubmit={(e) => { e.preventDefault(); void create(); }}>
        <WebhookFields draft={draft} setDraft={setDraft} admin={admin} idBase={`${id}-new`} project={project} />
        <button type="submit" className="btn btn-primary" disabled={draft.events.length === 0}>Add webhook</button>
      </form>
      {secret && (
        <div className="note note-success" role="status">
          <p>The webhook signs each delivery (<code>Berth-Signature</code>) with this secret. Copy it now: it is not shown again.</p>
          <div className="command">
            <code>{secret}</code>
            <CopyButton text={secret} label="Copy the webhook secret" />
          </div>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setSecret(undefined)}>Done</button>
        </div>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.webhooks.length === 0 && <Empty>No webhooks. A webhook tells another service about pushes, pulls, deletes and scans in {project}.</Empty>}
      {list.data && list.data.webhooks.length > 0 && (
        <div className="table-scroll card flush">
          <table className="table webhooks-table" aria-label="Webhooks">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Format</th>
                <th scope="col">State</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.webhooks.map((w) => (
                <tr key={w.id} data-webhook={w.id}>
                  <td className="mono small webhook-url">{w.url}{w.filter && <div className="muted">filter: {w.filter}</div>}</td>
                  <td>{w.events.map((e) => <span key={e} className="chip">{e}</span>)}</td>
                  <td>{w.format}</td>
                  <td className="webhook-state">
                    {!w.enabled ? <span className="badge badge-muted">Paused</span>
                      : w.paused ? <span className="badge badge-warn" title={w.pausedReason ?? undefined}>Stopped after failures</span>
                        : w.failing ? <span className="badge badge-warn">Failing ({w.consecutiveFailures})</span>
                          : <span className="badge badge-ok">Active</span>}
                  </td>
                  <td className="actions">
                    <button type="button" className="btn btn-ghost btn-small" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? undefined : w.id)} aria-label={`Deliveries of ${w.url}`}>Deliveries</button>
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => setEditing(w)} aria-label={`Edit ${w.url}`}>Edit</button>
                    {w.enabled && !w.paused
                      ? <button type="button" className="btn btn-ghost btn-small" onClick={() => void patch(w, { enabled: false })} aria-label={`Pause ${w.url}`}>Pause</button>
                      : <button type="button" className="btn btn-ghost btn-small" onClick={() => void patch(w, { enabled: true, paused: false })} aria-label={`Resume ${w.url}`}>Resume</button>}
                    <ConfirmButton label="Remove" ariaLabel={`Remove ${w.url}`} title="Remove this webhook?" message={<><code>{w.url}</code> stops receiving events, and its delivery log goes.</>} confirm="Remove webhook" onConfirm={() => run(() => api(`/webhooks/${w.id}`, { method: 'DELETE' }))} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open !== undefined && <Deliveries key={open} webhook={open} />}
      <EditDialog webhook={editing} admin={admin} onClose={() => setEditing(undefined)} onDone={list.reload} />
    </section>
  );
}

function EditDialog({ webhook, admin, onClose, onDone }: { webhook?: Webhook; admin: boolean; onClose: () => void; onDone: () => void }) {
  const id = useId();
  const [draft, setDraft] = useState<Draft>();
  const [error, setError] = useState<string>();
  const [shown, setShown] = useState<number>();
  if (webhook && shown !== webhook.id) {
    setShown(webhook.id);
    setDraft({ url: webhook.url, events: webhook.events, format: webhook.format, filter: webhook.filter, allowPrivateTargets: webhook.allowPrivateTargets });
    setError(undefined);
  }
  if (!webhook && shown !== undefined) setShown(undefined);
  const save = async () => {
    if (!webhook || !draft) return;
    try {
      await api(`/webhooks/${webhook.id}`, { method: 'PATCH', body: { url: draft.url.trim(), events: draft.events, format: draft.format, filter: draft.filter.trim(), ...(admin ? { allowPrivateTargets: draft.allowPrivateTargets } : {}) } });
      onClose();
      onDone();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Dialog open={!!webhook} title="Edit webhook" onClose={onClose}>
      {draft && (
        <form onSubmit={(e) => { e.preventDefault(); void save(); }}>
          <WebhookFields draft={draft} setDraft={setDraft} admin={admin} idBase={`${id}-edit`} project={webhook?.project ?? ''} />
          {error && <p className="field-error" role="alert">{error}</p>}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={draft.events.length === 0}>Save webhook</button>
            <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function Deliveries({ webhook }: { webhook: number }) {
  const list = useFetch<{ deliveries: WebhookDelivery[] }>(`/webhooks/${webhook}/deliveries?limit=50`);
  const { error, run } = useListAction(list.reload);
  return (
    <section className="card webhook-deliveries" aria-label="Deliveries">
      <div className="card-head">
        <h3>Deliveries</h3>
        <button type="button" className="btn btn-ghost btn-small" onClick={list.reload}>Refresh</button>
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.deliveries.length === 0 && <p className="muted">No deliveries yet.</p>}
      {list.data && list.data.deliveries.length > 0 && (
        <table className="table" aria-label="Webhook deliveries">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Repository</th>
              <th scope="col">Status</th>
              <th scope="col">Last answer</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {list.data.deliveries.map((d) => {
              const last = d.log[d.log.length - 1];
              return (
                <tr key={d.id} data-delivery={d.id} data-status={d.status}>
                  <td><time dateTime={d.createdAt} title={when(d.createdAt)}>{ago(d.createdAt)}</time></td>
                  <td><span className="chip">{d.eventType}</span></td>
                  <td className="mono small">{d.repository}</td>
                  <td>
                    {d.status === 'delivered' ? <span className="badge badge-ok">delivered</span> : d.status === 'failed' ? <span className="badge badge-warn">failed</span> : <span className="badge badge-muted">pending</span>}
                    <span className="muted small"> · {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}</span>
                  </td>
                  <td className="small">{last ? (last.statusCode !== null ? `HTTP ${last.statusCode}, ${last.latencyMs} ms` : last.error ?? '—') : '—'}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => void run(() => api(`/webhook-deliveries/${d.id}/redeliver`, { method: 'POST' }))} aria-label={`Redeliver ${d.eventType} of ${d.repository}`}>Redeliver</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
