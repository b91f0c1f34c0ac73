// A project's storage quota (the project view's `quota`): the usage bar on the project page (what
// the project stores, of which limit, with the breakdown and what happens at 80% and 100%), and
// the administrators' quota form (PATCH /projects/{name} {quotaBytes}; "10GiB", "500MB", "none").
import { useId, useState } from 'react';
import { api, messageOf } from '../api.ts';
import type { Project, ProjectQuota } from '../types.ts';
import './lifecycle-rules.css';

/** Binary units, as Berth's messages print them: 10 GiB, 9.8 GiB, 300 MiB, 512 B. */
export function binaryBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  const shown = Math.floor(v * 10 + 1e-6) / 10;
  return `${Number.isInteger(shown) ? shown.toFixed(0) : shown.toFixed(1)} ${units[i]}`;
}

const UNITS: Record<string, number> = {
  '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50,
};

/** "10GiB" → bytes; "none" or "" → null; undefined when it is not a size. */
export function parseQuota(text: string): number | null | undefined {
  const s = text.trim();
  if (s === '' || /^none$/i.test(s)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(s);
  if (!m) return undefined;
  const factor = UNITS[m[2]!.toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export function QuotaUsage({ quota }: { quota: ProjectQuota }) {
  const id = useId();
  const limited = quota.limitBytes !== null;
  const percent = quota.percent ?? 0;
  const level = !limited ? 'none' : percent >= 100 ? 'full' : percent >= 80 ? 'warn' : 'ok';
  const parts = `Layers and configs ${binaryBytes(quota.usage.blobs)} · manifests ${binaryBytes(quota.usage.manifests)} · uploads in progress ${binaryBytes(quota.usage.uploads)}`;
  return (
    <section className="quota-usage" aria-labelledby={`${id}-h`} data-level={level} data-testid="quota-usage">
      <div className="quota-usage-line">
        <span id={`${id}-h`}>Storage</span>
        {limited ? (
          <span>
            <strong data-testid="quota-used">{binaryBytes(quota.usedBytes)}</strong> of <span data-testid="quota-limit">{binaryBytes(quota.limitBytes!)}</span>
            {' · '}<span className="quota-percent" data-testid="quota-percent">{percent}%</span>
          </span>
        ) : (
          <span><strong data-testid="quota-used">{binaryBytes(quota.usedBytes)}</strong> stored · no quota</span>
        )}
      </div>
      {limited && (
        <div className="quota-bar" role="progressbar" aria-label="Storage used of the quota" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.min(100, Math.round(percent))} aria-valuetext={`${binaryBytes(quota.usedBytes)} of ${binaryBytes(quota.limitBytes!)}`}>
          <div className="quota-bar-fill" style={{ width: `${Math.min(100, percent)}%` }} />
        </div>
      )}
      <p className="hint" title="A blob shared by several repositories of the project counts once">{parts}</p>
      {level === 'full' && <p className="hint" role="status" data-testid="quota-full">The quota is used up: pushes are refused until images are deleted or an administrator raises the quota.</p>}
      {level === 'warn' && <p className="hint" data-testid="quota-warn">Over 80% of the quota: pushes that would exceed it are refused.</p>}
    </section>
  );
}

/** The administrators' form: set, change or remove the quota. */
export function QuotaSettings({ project, onSaved }: { project: Project; onSaved: (p: Project) => void }) {
  const id = useId();
  const current = project.quota?.limitBytes ?? null;
  const [text, setText] = useState(current === null ? '' : binaryBytes(current).replace(' ', ''));
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  const save = async (quotaBytes: number | null) => {
    setBusy(true);
    try {
      const saved = await api<Project>(`/projects/${encodeURIComponent(project.name)}`, { method: 'PATCH', body: { quotaBytes } });
      onSaved({ ...project, ...saved });
      setText(quotaBytes === null ? '' : binaryBytes(quotaBytes).replace(' ', ''));
      setMessage({ ok: true, text: quotaBytes === null ? 'The quota is removed.' : `The quota is ${binaryBytes(quotaBytes)}.` });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  const submit = () => {
    const bytes = parseQuota(text);
    if (bytes === undefined) return setMessage({ ok: false, text: `${text.trim()} is not a size: write it like 10GiB, 500MB or 1.5TiB.` });
    void save(bytes);
  };
  return (
    <form className="card form-card quota-form" aria-labelledby={`${id}-h`} onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <h2 id={`${id}-h`}>Storage quota</h2>
      <p className="hint">Pushes that would take the project past its quota are refused; deletes always work. Only administrators change it.</p>
      <div className="quota-row">
        <div className="field">
          <label htmlFor={`${id}-q`}>Quota</label>
          <input id={`${id}-q`} value={text} onChange={(e) => { setText(e.target.value); setMessage(undefined); }} placeholder="10GiB" autoComplete="off" />
        </div>
        <button type="submit" className="btn btn-primary" disabled={busy}>Save quota</button>
        {current !== null && <button type="button" className="btn btn-ghost" disabled={busy} onClick={() => void save(null)}>Remove quota</button>}
      </div>
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
    </form>
  );
}
