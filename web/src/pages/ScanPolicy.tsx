// A project's scan settings and vulnerability policy (GET/PATCH /projects/{name}/scan-policy):
// scan on push, the severity at which pulls are refused, fixable-only, refusing unscanned images,
// the grace period after a push, the allowlisted advisories (with expiry and reason) and the
// accounts the policy never refuses. Owners and administrators edit it; other members read it.
import { useId, useState } from 'react';
import { api, messageOf } from '../api.ts';
import { ErrorNote, Loading } from '../components/States.tsx';
import { useFetch } from '../hooks.ts';
import type { AllowlistEntry, PreventSeverity, ScanPolicy } from '../types.ts';

const PREVENT: { value: PreventSeverity; label: string }[] = [
  { value: 'none', label: 'Never refuse a pull' },
  { value: 'critical', label: 'Critical' },
  { value: 'high', label: 'High or above' },
  { value: 'medium', label: 'Medium or above' },
  { value: 'low', label: 'Low or above' },
];
const UNITS = [
  { value: 86400, label: 'days' },
  { value: 3600, label: 'hours' },
  { value: 60, label: 'minutes' },
  { value: 1, label: 'seconds' },
] as const;
const MAX_GRACE = 30 * 86400;

interface Row {
  key: number;
  id: string;
  /** yyyy-mm-dd, or '' for no expiry. */
  date: string;
  reason: string;
  /** The stored expiry, kept as it was when its day is not changed. */
  original?: string;
}

let nextKey = 1;
const rowOf = (e: AllowlistEntry): Row => ({ key: nextKey++, id: e.id, date: e.expiresAt ? e.expiresAt.slice(0, 10) : '', reason: e.reason ?? '', ...(e.expiresAt ? { original: e.expiresAt } : {}) });

function graceParts(seconds: number): { amount: number; unit: number } {
  const unit = UNITS.find((u) => seconds > 0 && seconds % u.value === 0)?.value ?? 3600;
  return { amount: seconds / unit, unit };
}

function graceText(seconds: number): string {
  if (seconds === 0) return 'none';
  const { amount, unit } = graceParts(seconds);
  const label = UNITS.find((u) => u.value === unit)!.label;
  return `${amount} ${amount === 1 ? label.slice(0, -1) : label}`;
}

export function ScanPolicySettings({ project, editable }: { project: string; editable: boolean }) {
  const path = `/projects/${encodeURIComponent(project)}/scan-policy`;
  const policy = useFetch<ScanPolicy>(path);
  if (policy.error && !policy.data) return <ErrorNote error={policy.error} title="Could not load the scan policy" />;
  if (!policy.data) return <Loading label="Loading the scan policy" />;
  return <PolicyForm path={path} policy={policy.data} editable={editable} />;
}

function PolicyForm({ path, policy, editable }: { path: string; policy: ScanPolicy; editable: boolean }) {
  const [scanOnPush, setScanOnPush] = useState(policy.scanOnPush);
  const [preventSeverity, setPreventSeverity] = useState(policy.preventSeverity);
  const [fixableOnly, setFixableOnly] = useState(policy.fixableOnly);
  const [preventUnscanned, setPreventUnscanned] = useState(policy.preventUnscanned);
  const initialGrace = graceParts(policy.graceSeconds);
  const [graceAmount, setGraceAmount] = useState(String(initialGrace.amount));
  const [graceUnit, setGraceUnit] = useState<number>(initialGrace.unit);
  const [rows, setRows] = useState<Row[]>(() => policy.allowlist.map(rowOf));
  const [exempt, setExempt] = useState(policy.exempt.join(' '));
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [saving, setSaving] = useState(false);
  const id = useId();
  /** Shows what the server saved (it is the truth: ids trimmed, lists replaced). */
  const reset = (p: ScanPolicy) => {
    setScanOnPush(p.scanOnPush);
    setPreventSeverity(p.preventSeverity);
    setFixableOnly(p.fixableOnly);
    setPreventUnscanned(p.preventUnscanned);
    const g = graceParts(p.graceSeconds);
    setGraceAmount(String(g.amount));
    setGraceUnit(g.unit);
    setRows(p.allowlist.map(rowOf));
    setExempt(p.exempt.join(' '));
  };

  const graceSeconds = Math.round(Number(graceAmount) * graceUnit);
  const graceValid = graceAmount.trim() !== '' && Number.isFinite(graceSeconds) && graceSeconds >= 0 && graceSeconds <= MAX_GRACE;
  const setRow = (key: number, change: Partial<Row>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const graceShown = graceText(policy.graceSeconds);

  const save = async () => {
    if (!graceValid) {
      setMessage({ ok: false, text: 'The grace period is 0 to 30 days.' });
      return;
    }
    setSaving(true);
    try {
      const allowlist: AllowlistEntry[] = rows
        .filter((r) => r.id.trim())
        .map((r) => ({
          id: r.id.trim(),
          ...(r.date ? { expiresAt: r.original && r.original.slice(0, 10) === r.date ? r.original : `${r.date}T00:00:00Z` } : {}),
          ...(r.reason.trim() ? { reason: r.reason.trim() } : {}),
        }));
      const saved = await api<ScanPolicy>(path, {
        method: 'PATCH',
        body: { scanOnPush, preventSeverity, fixableOnly, preventUnscanned, graceSeconds, allowlist, exempt: exempt.split(/[\s,]+/).filter(Boolean) },
      });
      reset(saved);
      setMessage({ ok: true, text: 'Saved.' });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setSaving(false);
    }
  };

  const now = Date.now();
  return (
    <form className="card form-card scan-policy" aria-labelledby={`${id}-h`} onChange={() => setMessage(undefined)} onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <h2 id={`${id}-h`}>Vulnerability scanning</h2>
      {!editable && <p className="hint read-only-note">Only the project's owners and the registry's administrators change these settings.</p>}
      <fieldset disabled={!editable} className="policy-fields">
        <label className="check">
          <input type="checkbox" checked={scanOnPush} onChange={(e) => setScanOnPush(e.target.checked)} />
          <span><strong>Scan on push</strong> — scan every image when it is pushed.</span>
        </label>
        <div className="field">
          <label htmlFor={`${id}-sev`}>Refuse pulls of images with vulnerabilities of severity</label>
          <select id={`${id}-sev`} value={preventSeverity} onChange={(e) => setPreventSeverity(e.target.value as PreventSeverity)}>
            {PREVENT.map((p) => <option key={p.value} value={p.value}>{p.label}</option>)}
          </select>
        </div>
        <label className="check">
          <input type="checkbox" checked={fixableOnly} onChange={(e) => setFixableOnly(e.target.checked)} />
          <span><strong>Only fixable vulnerabilities count</strong> — findings without a fix never refuse a pull.</span>
        </label>
        <label className="check">
          <input type="checkbox" checked={preventUnscanned} onChange={(e) => setPreventUnscanned(e.target.checked)} />
          <span><strong>Refuse pulls of unscanned images</strong> — an image without a report cannot be pulled.</span>
        </label>
        <div className="field">
          <span className="field-label" id={`${id}-grace-l`}>Grace period after a push</span>
          {editable ? (
            <div className="grace" role="group" aria-labelledby={`${id}-grace-l`}>
              <input id={`${id}-grace`} type="number" min={0} step="any" value={graceAmount} onChange={(e) => setGraceAmount(e.target.value)} aria-label="Grace period" aria-invalid={!graceValid} />
              <select value={graceUnit} onChange={(e) => setGraceUnit(Number(e.target.value))} aria-label="Grace period unit">
                {UNITS.map((u) => <option key={u.value} value={u.value}>{u.label}</option>)}
              </select>
            </div>
          ) : (
            <p className="read-only-value" data-testid="grace-period">{graceShown}</p>
          )}
          <p className="hint">Nothing is refused this long after an image is pushed (at most 30 days), so it can be scanned first.</p>
        </div>

        <div className="field">
          <span className="field-label" id={`${id}-allow-l`}>Allowlisted advisories</span>
          <p className="hint">These advisories (by id or alias: CVE-…, GHSA-…, DSA-…) never refuse a pull; an entry stops counting on its expiry day (UTC).</p>
          {rows.length === 0 ? (
            <p className="muted small">No allowlisted advisories.</p>
          ) : (
            <div className="table-scroll">
              <table className="table allowlist" aria-labelledby={`${id}-allow-l`}>
                <thead>
                  <tr>
                    <th scope="col">Advisory</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Reason</th>
                    {editable && <th scope="col"><span className="sr-only">Actions</span></th>}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => {
                    const expired = r.date !== '' && Date.parse(r.original && r.original.slice(0, 10) === r.date ? r.original : `${r.date}T00:00:00Z`) <= now;
                    return (
                      <tr key={r.key} data-allow={r.id}>
                        <td><input value={r.id} onChange={(e) => setRow(r.key, { id: e.target.value })} aria-label={`Advisory ${i + 1}`} placeholder="CVE-2024-1234" required pattern="[A-Za-z][A-Za-z0-9._:\-]{2,100}" /></td>
                        <td>
                          <input type="date" value={r.date} onChange={(e) => setRow(r.key, { date: e.target.value })} aria-label={`Expiry of advisory ${i + 1}`} />
                          {expired && <span className="badge badge-warn">expired</span>}
                        </td>
                        <td><input value={r.reason} onChange={(e) => setRow(r.key, { reason: e.target.value })} aria-label={`Reason for advisory ${i + 1}`} maxLength={500} placeholder="Not reachable in this image" /></td>
                        {editable && (
                          <td className="actions">
                            <button type="button" className="btn btn-danger-ghost btn-small" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))} aria-label={`Remove advisory ${i + 1}`}>Remove</button>
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {editable && (
            <div>
              <button type="button" className="btn btn-secondary btn-small" onClick={() => setRows((rs) => [...rs, { key: nextKey++, id: '', date: '', reason: '' }])}>Add advisory</button>
            </div>
          )}
        </div>

        <div className="field">
          <label htmlFor={`${id}-exempt`}>Exempt accounts</label>
          <input id={`${id}-exempt`} value={exempt} onChange={(e) => setExempt(e.target.value)} placeholder="replicator robot$project+signer" autoComplete="off" />
          <p className="hint">Users and robots the policy never refuses (replication, signing), separated by spaces.</p>
        </div>
      </fieldset>
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      {editable && (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={saving}>{saving ? 'Saving…' : 'Save scan policy'}</button>
        </div>
      )}
    </form>
  );
}
