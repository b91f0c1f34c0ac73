// The signed-in user's own settings: personal access tokens (for docker login and API clients;
// the secret is shown once), the CLI secret of a user who signs in through OpenID Connect (their
// docker/podman password, also shown once), and the password.
import { useId, useState } from 'react';
import { api, ApiError, messageOf } from '../api.ts';
import { CopyButton } from '../components/CopyButton.tsx';
import { ConfirmButton } from '../components/Dialog.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { Tabs } from '../components/Tabs.tsx';
import { ago, when } from '../format.ts';
import { useFetch, useListAction, useTitle } from '../hooks.ts';
import { paths } from '../router.tsx';
import { useSession } from '../session.tsx';
import { NotFound } from './NotFound.tsx';
import { ExpirySelect, PermissionChecks } from '../components/CredentialFields.tsx';
import type { Me } from '../types.ts';

interface Token {
  id: number;
  name: string;
  actions: string[];
  projects: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export function Account({ tab }: { tab: 'tokens' | 'password' }) {
  const { me } = useSession();
  // /me (not /session) says whether the user signs in through an OIDC provider.
  const self = useFetch<Me>(me && me.kind === 'user' ? '/me' : null);
  const oidc = self.data?.oidc === true;
  useTitle('Account');
  if (me === undefined) return <div className="page"><Loading /></div>;
  if (!me || me.kind !== 'user') return <NotFound />;
  return (
    <div className="page account-page">
      <div className="page-head">
        <h1>Account settings</h1>
      </div>
      <Tabs
        label="Account sections"
        active={tab}
        tabs={[
          { id: 'tokens', label: 'Access tokens', to: paths.account() },
          // A user of an OIDC provider has no password here: the provider keeps it.
          ...(oidc ? [] : [{ id: 'password', label: 'Password', to: paths.account('password') }]),
        ]}
      />
      {tab === 'tokens' ? (
        <>
          {oidc && <CliSecret user={me.name} initial={(self.data as Me & { cliSecret?: CliSecretState }).cliSecret} />}
          <Tokens user={me.name} />
        </>
      ) : oidc ? (
        <p className="muted">You sign in through your identity provider: change your password there.</p>
      ) : (
        <Password user={me.name} />
      )}
    </div>
  );
}

/** /me's cliSecret: whether the user has one, and since when (absent when unknown). */
interface CliSecretState {
  exists: boolean;
  createdAt?: string;
}

/** An OIDC user's CLI secret: docker and podman cannot go through the provider's sign-in page, so this is their password. */
function CliSecret({ user, initial }: { user: string; initial?: CliSecretState }) {
  const [secret, setSecret] = useState<string>();
  // What /me said, then what this page did since.
  const [state, setState] = useState<CliSecretState | undefined>(initial);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  const generate = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      const r = await api<{ user: string; secret: string }>('/me/cli-secret', { method: 'POST' });
      setSecret(r.secret);
      setState({ exists: true, createdAt: new Date().toISOString() });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    } finally {
      setBusy(false);
    }
  };
  const revoke = async () => {
    setMessage(undefined);
    try {
      await api('/me/cli-secret', { method: 'DELETE' });
      setSecret(undefined);
      setState({ exists: false });
      setMessage({ ok: true, text: 'CLI secret revoked. docker and podman signed in with it lose access.' });
    } catch (e) {
      const none = e instanceof ApiError && e.status === 404;
      if (none) setState({ exists: false });
      setMessage({ ok: false, text: none ? 'You have no CLI secret.' : messageOf(e) });
    }
  };
  return (
    <section className="card form-card cli-secret" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>CLI secret</h2>
      <p className="muted">
        You sign in to Berth through your identity provider, which docker and podman cannot do. Generate a CLI secret and use it as the password of <code>docker login -u {user} {window.location.host}</code> (or <code>podman login</code>). Generating a new one ends the previous one.
      </p>
      {state && (
        <p className="cli-secret-status" data-testid="cli-secret-status">
          {!state.exists ? 'No CLI secret yet.' : state.createdAt ? <>Your CLI secret was created <time dateTime={state.createdAt}>{when(state.createdAt)}</time> ({ago(state.createdAt)}).</> : 'You have a CLI secret (made before Berth recorded when).'}
        </p>
      )}
      {secret && (
        <div className="note note-success" role="status">
          <p>Your CLI secret: copy it now, it is not shown again. It is your docker/podman password.</p>
          <div className="command">
            <code data-testid="cli-secret">{secret}</code>
            <CopyButton text={secret} label="Copy the CLI secret" />
          </div>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setSecret(undefined)}>Done</button>
        </div>
      )}
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      <div className="form-actions">
        {secret ? (
          <ConfirmButton
            label="Regenerate"
            className="btn btn-secondary"
            title="Regenerate the CLI secret?"
            message={<>The secret shown now stops working, and docker and podman signed in with it must log in again with the new one.</>}
            confirm="Regenerate"
            onConfirm={generate}
          />
        ) : (
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void generate()}>
            {busy ? 'Generating…' : 'Generate CLI secret'}
          </button>
        )}
        <ConfirmButton
          label="Revoke"
          ariaLabel="Revoke the CLI secret"
          className="btn btn-danger-ghost"
          title="Revoke the CLI secret?"
          message={<>docker and podman signed in with it lose access at once.</>}
          confirm="Revoke CLI secret"
          onConfirm={revoke}
        />
      </div>
    </section>
  );
}

function Tokens({ user }: { user: string }) {
  const base = `/users/${encodeURIComponent(user)}/tokens`;
  const list = useFetch<{ tokens: Token[] }>(base);
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<Record<string, boolean>>({ pull: true, push: false, delete: false });
  const [expires, setExpires] = useState('30d');
  const [secret, setSecret] = useState<{ name: string; secret: string }>();
  const id = useId();
  const { error, run } = useListAction(list.reload);
  const create = () =>
    run(async () => {
      const r = await api<{ token: Token; secret: string }>(base, {
        method: 'POST',
        body: { name: name.trim(), permissions: Object.keys(perms).filter((k) => perms[k]), ...(expires ? { expiresIn: expires } : {}) },
      });
      setSecret({ name: r.token.name, secret: r.secret });
      setName('');
    });
  return (
    <section aria-label="Access tokens">
      <p className="muted">
        Use an access token instead of your password with <code>docker login {window.location.host}</code> and API clients. A token can be narrower than your account, and revoked on its own.
      </p>
      <form className="card form-inline" onSubmit={(e) => { e.preventDefault(); void create(); }} aria-label="New access token">
        <div className="field">
          <label htmlFor={`${id}-n`}>Token name</label>
          <input id={`${id}-n`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="e.g. laptop" autoComplete="off" />
        </div>
        <PermissionChecks perms={perms} setPerms={setPerms} />
        <ExpirySelect id={`${id}-e`} value={expires} onChange={setExpires} order={['1d', '30d', '90d', '365d', '']} />
        <button type="submit" className="btn btn-primary" disabled={!Object.values(perms).some(Boolean)}>Create token</button>
      </form>
      {secret && (
        <div className="note note-success" role="status">
          <p>
            Token <strong>{secret.name}</strong> created. Copy it now: it is not shown again.
          </p>
          <div className="command">
            <code data-testid="token-secret">{secret.secret}</code>
            <CopyButton text={secret.secret} label="Copy the access token" />
          </div>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setSecret(undefined)}>Done</button>
        </div>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.tokens.length === 0 && <Empty>No access tokens.</Empty>}
      {list.data && list.data.tokens.length > 0 && (
        <div className="table-scroll card flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Permissions</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Created</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.tokens.map((t) => (
                <tr key={t.id}>
                  <td className="strong">{t.name}</td>
                  <td>
                    {t.actions.join(', ')}
                    {t.projects.length > 0 && <div className="muted small">on {t.projects.join(', ')}</div>}
                  </td>
                  <td title={when(t.lastUsedAt)}>{ago(t.lastUsedAt)}</td>
                  <td title={when(t.expiresAt)}>{t.expiresAt ? (Date.parse(t.expiresAt) < Date.now() ? <span className="badge badge-warn">Expired</span> : ago(t.expiresAt)) : 'never'}</td>
                  <td title={when(t.createdAt)}>{ago(t.createdAt)}</td>
                  <td className="actions">
                    <ConfirmButton
                      label="Revoke"
                      ariaLabel={`Revoke ${t.name}`}
                      title={`Revoke ${t.name}?`}
                      message={<>Clients signed in with this token lose access at once.</>}
                      confirm="Revoke token"
                      onConfirm={() => run(() => api(`${base}/${t.id}`, { method: 'DELETE' }))}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Password({ user }: { user: string }) {
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const id = useId();
  const submit = async () => {
    if (password !== again) {
      setMessage({ ok: false, text: 'The two passwords differ.' });
      return;
    }
    try {
      await api(`/users/${encodeURIComponent(user)}/password`, { method: 'PUT', body: { password, currentPassword: current } });
      setCurrent('');
      setPassword('');
      setAgain('');
      setMessage({ ok: true, text: 'Password changed. docker and podman need the new one at their next login.' });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    }
  };
  return (
    <form className="card form-card" onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-label="Change password">
      <input type="text" name="username" autoComplete="username" value={user} readOnly hidden />
      <div className="field">
        <label htmlFor={`${id}-c`}>Current password</label>
        <input id={`${id}-c`} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
      </div>
      <div className="field">
        <label htmlFor={`${id}-p`}>New password</label>
        <input id={`${id}-p`} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </div>
      <div className="field">
        <label htmlFor={`${id}-a`}>New password, again</label>
        <input id={`${id}-a`} type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
      </div>
      {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary">Change password</button>
      </div>
    </form>
  );
}
