// A project's trust settings (GET/PATCH /projects/{name}/trust-policy, /trust-keys): the mode
// (off, audit, enforce), the accounts it never refuses, and the trusted signers with their
// fingerprints, added by pasting a public key (PEM, armored OpenPGP, Notation certificates or a
// keyless identity) and removed one by one. Owners and administrators change them; other members
// read them. The server's refusals (a malformed key, enforcing without a signer) are shown.
import { useId, useState } from 'react';
import { api, messageOf } from '../api.ts';
import { ConfirmButton } from '../components/Dialog.tsx';
import { ErrorNote, Loading } from '../components/States.tsx';
import { ago, when } from '../format.ts';
import { useFetch } from '../hooks.ts';
import type { SignerKind, TrustMode, TrustPolicy, TrustSigner } from '../types.ts';

const MODES: { value: TrustMode; label: string; hint: string }[] = [
  { value: 'off', label: 'Off', hint: 'signatures are checked and shown, never required.' },
  { value: 'audit', label: 'Audit', hint: 'pulls of images no trusted signer signed are recorded in the audit log, not refused.' },
  { value: 'enforce', label: 'Enforce', hint: 'pulls of images no trusted signer signed are refused. HEAD, the reads signing needs and exempt accounts never are.' },
];

export const KIND_LABELS: Record<SignerKind, string> = {
  key: 'Public key (cosign)',
  pgp: 'OpenPGP key (skopeo, podman --sign-by)',
  x509: 'Certificates (Notation trust store)',
  keyless: 'Keyless identity (Sigstore)',
};

export function TrustPolicySettings({ project, editable }: { project: string; editable: boolean }) {
  const path = `/projects/${encodeURIComponent(project)}/trust-policy`;
  const policy = useFetch<TrustPolicy>(path);
  if (policy.error && !policy.data) return <ErrorNote error={policy.error} title="Could not load the trust policy" />;
  if (!policy.data) return <Loading label="Loading the trust policy" />;
  return (
    <>
      <ModeForm path={path} policy={policy.data} editable={editable} onSaved={(p) => policy.setData(() => p)} />
      <Signers project={project} signers={policy.data.signers} editable={editable} onChanged={policy.reload} />
    </>
  );
}

function ModeForm({ path, policy, editable, onSaved }: { path: string; policy: TrustPolicy; editable: boolean; onSaved: (p: TrustPolicy) => void }) {
  const [mode, setMode] = useState(policy.mode);
  const [exempt, setExempt] = useState(policy.exempt.join(' '));
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [saving, setSaving] = useState(false);
  const id = useId();
  const save = async () => {
    setSaving(true);
    try {
      const saved = await api<TrustPolicy>(path, { method: 'PATCH', body: { mode, exempt: exempt.split(/[\s,]+/).filter(Boolean) } });
      setMode(saved.mode);
      setExempt(saved.exempt.join(' '));
      onSaved(saved);
      setMessage({ ok: true, text: 'Saved.' });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setSaving(false);
    }
  };
  return (
    <form className="card form-card trust-policy" aria-labelledby={`${id}-h`} onChange={() => setMessage(undefined)} onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <h2 id={`${id}-h`}>Signatures and trust</h2>
      {!editable && <p className="hint read-only-note">Only the project's owners and the registry's administrators change these settings.</p>}
      <fieldset disabled={!editable} className="policy-fields">
        <fieldset className="trust-modes">
          <legend className="field-label">Mode</legend>
          {MODES.map((m) => (
            <label key={m.value} className="radio">
              <input type="radio" name={`${id}-mode`} value={m.value} checked={mode === m.value} onChange={() => setMode(m.value)} />
              <span><strong>{m.label}</strong> — {m.hint}</span>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-exempt`}>Accounts never refused</label>
          <input id={`${id}-exempt`} value={exempt} onChange={(e) => setExempt(e.target.value)} placeholder="replicator robot$project+scanner" autoComplete="off" />
          <p className="hint">Users and robots that may always pull (replication, scanning), separated by spaces.</p>
        </div>
      </fieldset>
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      {editable && (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={saving}>{saving ? 'Saving…' : 'Save trust policy'}</button>
        </div>
      )}
    </form>
  );
}

function Signers({ project, signers, editable, onChanged }: { project: string; signers: TrustSigner[]; editable: boolean; onChanged: () => void }) {
  const id = useId();
  const [error, setError] = useState<string>();
  const remove = async (name: string) => {
    setError(undefined);
    try {
      await api(`/projects/${encodeURIComponent(project)}/trust-keys/${encodeURIComponent(name)}`, { method: 'DELETE' });
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section className="card form-card trust-signers" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Trusted signers</h2>
      <p className="hint">An image is signed when a signature verifies with one of these keys or identities.</p>
      {signers.length === 0 ? (
        <p className="muted small" data-testid="no-signers">No trusted signers yet{editable ? ': add one before enforcing' : ''}.</p>
      ) : (
        <ul className="signer-list" aria-label="Trusted signers">
          {signers.map((s) => (
            <li key={s.name} className="signer" data-signer={s.name}>
              <div className="signer-main">
                <div className="signer-title">
                  <strong className="signer-name">{s.name}</strong>
                  <span className="chip">{KIND_LABELS[s.kind] ?? s.kind}</span>
                </div>
                <code className="fingerprint" title="Fingerprint">{s.fingerprint}</code>
                <span className="small muted">Added <span title={when(s.createdAt)}>{ago(s.createdAt)}</span> by {s.createdBy}</span>
              </div>
              {editable && (
                <ConfirmButton
                  label="Remove"
                  ariaLabel={`Remove signer ${s.name}`}
                  title={`Stop trusting ${s.name}?`}
                  message={<>Images that only <strong>{s.name}</strong> signed count as unsigned from now on{' '}(and are refused if the project enforces signatures).</>}
                  confirm="Remove signer"
                  onConfirm={() => remove(s.name)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {editable && <AddSigner project={project} onAdded={onChanged} />}
    </section>
  );
}

function AddSigner({ project, onAdded }: { project: string; onAdded: () => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [kind, setKind] = useState<SignerKind | ''>('');
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  const add = async () => {
    setBusy(true);
    try {
      const added = await api<TrustSigner>(`/projects/${encodeURIComponent(project)}/trust-keys`, { method: 'POST', body: { name: name.trim(), key, ...(kind ? { kind } : {}) } });
      setName('');
      setKey('');
      setKind('');
      setMessage({ ok: true, text: `Added ${added.name} (${added.fingerprint}).` });
      onAdded();
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="add-signer" aria-labelledby={`${id}-h`} onSubmit={(e) => { e.preventDefault(); void add(); }}>
      <h3 id={`${id}-h`}>Add a trusted signer</h3>
      <div className="add-signer-row">
        <div className="field">
          <label htmlFor={`${id}-name`}>Signer name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => { setName(e.target.value); setMessage(undefined); }} required maxLength={64} placeholder="ci" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as SignerKind | '')}>
            <option value="">Found from the key</option>
            {(Object.keys(KIND_LABELS) as SignerKind[]).map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-key`}>Public key</label>
        <textarea
          id={`${id}-key`}
          className="key-input"
          value={key}
          onChange={(e) => { setKey(e.target.value); setMessage(undefined); }}
          required
          rows={6}
          spellCheck={false}
          placeholder={'-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'}
        />
        <p className="hint">
          Paste <code>cosign.pub</code>, the output of <code>gpg --armor --export KEY</code>, the PEM root certificate of a Notation trust store,
          or a keyless identity <code>{'{"issuer", "subject", "trustedRoot"}'}</code>. Never a private key.
        </p>
      </div>
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-secondary" disabled={busy || !name.trim() || !key.trim()}>{busy ? 'Adding…' : 'Add signer'}</button>
      </div>
    </form>
  );
}
