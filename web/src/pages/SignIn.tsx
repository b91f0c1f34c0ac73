import { useId, useState } from 'react';
import { ApiError, messageOf } from '../api.ts';
import { useFetch, useTitle } from '../hooks.ts';
import { navigate, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { IdentityProvider } from '../types.ts';

export function SignIn() {
  const { signIn } = useSession();
  const { query } = useLocation();
  const next = query.get('next');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  // OpenID Connect providers sign in in the browser: a full page navigation to /auth/oidc/<name>/login,
  // whose callback sets the session cookie and comes back to /. The form serves local and LDAP users.
  const providers = useFetch<{ providers: IdentityProvider[] }>('/identity-providers');
  const oidc = (providers.data?.providers ?? []).filter((p) => p.type === 'oidc');
  useTitle('Sign in');
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username.trim(), password);
      // Only paths on this site: never an open redirect.
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'The user name or password is wrong.' : messageOf(e));
      setBusy(false);
    }
  };
  return (
    <div className="page auth-page">
      <form className="card auth-card" onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-labelledby={`${id}-h`}>
        <h1 id={`${id}-h`}>Sign in to Berth</h1>
        <div className="field">
          <label htmlFor={`${id}-user`}>User name</label>
          <input id={`${id}-user`} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </div>
        <div className="field">
          <label htmlFor={`${id}-pw`}>Password</label>
          <input id={`${id}-pw`} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </div>
        {error && <p className="field-error" role="alert">{error}</p>}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        {oidc.length > 0 && (
          <div className="auth-providers" aria-label="Other ways to sign in" role="group">
            <p className="auth-or"><span>or</span></p>
            {oidc.map((p) => (
              <a key={p.name} className="btn btn-secondary btn-block" href={`/auth/oidc/${encodeURIComponent(p.name)}/login`}>
                Sign in with {p.displayName}
              </a>
            ))}
          </div>
        )}
        <p className="hint">
          Registry clients sign in with <code>docker login {window.location.host}</code>.
        </p>
      </form>
    </div>
  );
}
