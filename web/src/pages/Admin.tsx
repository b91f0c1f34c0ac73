// Administration: users (create, make admin, disable, remove) and projects (visibility and the
// trusted-content flags Verified Publisher and Sponsored OSS), and garbage collection. Only
// administrators get here.
import { useId, useState } from 'react';
import { api, messageOf } from '../api.ts';
import { VisibilityBadge } from '../components/Badges.tsx';
import { ConfirmButton } from '../components/Dialog.tsx';
import { GarbageCollection } from '../components/GarbageCollection.tsx';
import { ErrorNote, Loading } from '../components/States.tsx';
import { Tabs } from '../components/Tabs.tsx';
import { ago, when } from '../format.ts';
import { useFetch, useListAction, useTitle } from '../hooks.ts';
import { Link, paths } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { Project, User } from '../types.ts';
import { NotFound } from './NotFound.tsx';

export function Admin({ tab }: { tab: 'users' | 'projects' | 'gc' }) {
  const { me } = useSession();
  useTitle('Administration');
  if (me === undefined) return <div className="page"><Loading /></div>;
  if (!me?.admin) return <NotFound />;
  return (
    <div className="page admin">
      <div className="page-head">
        <h1>Administration</h1>
      </div>
      <Tabs
        label="Administration sections"
        active={tab}
        tabs={[
          { id: 'users', label: 'Users', to: paths.admin() },
          { id: 'projects', label: 'Projects', to: paths.admin('projects') },
          { id: 'gc', label: 'Garbage collection', to: paths.admin('gc') },
        ]}
      />
      {tab === 'users' ? <Users self={me.name} /> : tab === 'gc' ? <GarbageCollection /> : <AdminProjects />}
    </div>
  );
}

function Users({ self }: { self: string }) {
  const list = useFetch<{ users: User[] }>('/users');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [admin, setAdmin] = useState(false);
  const id = useId();
  const { error, run } = useListAction(list.reload);
  const user = (n: string) => `/users/${encodeURIComponent(n)}`;
  return (
    <section aria-label="Users">
      <form
        className="card form-inline"
        aria-label="New user"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await api('/users', { method: 'POST', body: { name: name.trim(), password, admin } });
            setName('');
            setPassword('');
            setAdmin(false);
          });
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-n`}>User name</label>
          <input id={`${id}-n`} value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-p`}>Password</label>
          <input id={`${id}-p`} type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        </div>
        <label className="check">
          <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} />
          Administrator
        </label>
        <button type="submit" className="btn btn-primary">Create user</button>
      </form>
      {error && <p className="field-error" role="alert">{error}</p>}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && (
        <div className="table-scroll card flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Administrator</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.users.map((u) => (
                <tr key={u.name}>
                  <td className="strong">
                    <Link to={paths.project(u.name)}>{u.name}</Link>
                  </td>
                  <td>
                    <label className="switch">
                      <input
                        type="checkbox"
                        checked={u.admin}
                        disabled={u.name === self}
                        onChange={(e) => {
                          const admin = e.target.checked;
                          list.setData((d) => d && { users: d.users.map((x) => (x.name === u.name ? { ...x, admin } : x)) });
                          void run(() => api(user(u.name), { method: 'PATCH', body: { admin } }));
                        }}
                      />
                      <span className="sr-only">{u.name} is an administrator</span>
                    </label>
                  </td>
                  <td>{u.disabled ? <span className="badge badge-muted">Disabled</span> : <span className="badge badge-ok">Active</span>}</td>
                  <td title={when(u.createdAt)}>{ago(u.createdAt)}</td>
                  <td className="actions">
                    {u.name !== self && (
                      <>
                        <button type="button" className="btn btn-ghost btn-small" onClick={() => void run(() => api(user(u.name), { method: 'PATCH', body: { disabled: !u.disabled } }))}>
                          {u.disabled ? 'Enable' : 'Disable'}
                        </button>
                        <ConfirmButton
                          label="Remove"
                          ariaLabel={`Remove ${u.name}`}
                          title={`Remove ${u.name}?`}
                          message={<>The account <strong>{u.name}</strong>, its memberships, sessions and access tokens are removed, with its personal project if that is empty. A personal project that holds images must be dealt with first (berth user remove --delete-project or --keep-project).</>}
                          confirm="Remove user"
                          onConfirm={() => run(() => api(user(u.name), { method: 'DELETE' }))}
                        />
                      </>
                    )}
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

function AdminProjects() {
  const list = useFetch<{ projects: Project[] }>('/projects');
  const [error, setError] = useState<string>();
  const patch = async (p: Project, body: Partial<Pick<Project, 'verified' | 'sponsored' | 'visibility'>>) => {
    setError(undefined);
    // Shown at once; the answer (or a reload after a refusal) settles it.
    list.setData((d) => d && { projects: d.projects.map((x) => (x.name === p.name ? { ...x, ...body } : x)) });
    try {
      const np = await api<Project>(`/projects/${encodeURIComponent(p.name)}`, { method: 'PATCH', body });
      list.setData((d) => d && { projects: d.projects.map((x) => (x.name === p.name ? { ...x, ...np } : x)) });
    } catch (e) {
      setError(messageOf(e));
      list.reload();
    }
  };
  return (
    <section aria-label="Projects">
      <p className="muted">
        A repository in <strong>library</strong> is an Official Image. Mark a project as a <strong>Verified Publisher</strong> or <strong>Sponsored OSS</strong> and every repository in it carries the badge.
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && (
        <div className="table-scroll card flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Visibility</th>
                <th scope="col">Verified Publisher</th>
                <th scope="col">Sponsored OSS</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.projects.map((p) => (
                <tr key={p.name}>
                  <td className="strong">
                    <Link to={paths.project(p.name)}>{p.name}</Link>
                  </td>
                  <td>
                    <VisibilityBadge visibility={p.visibility} />
                  </td>
                  <td>
                    <label className="switch">
                      <input type="checkbox" checked={!!p.verified} onChange={(e) => void patch(p, { verified: e.target.checked })} />
                      <span className="sr-only">{p.name}: Verified Publisher</span>
                    </label>
                  </td>
                  <td>
                    <label className="switch">
                      <input type="checkbox" checked={!!p.sponsored} onChange={(e) => void patch(p, { sponsored: e.target.checked })} />
                      <span className="sr-only">{p.name}: Sponsored OSS</span>
                    </label>
                  </td>
                  <td title={when(p.createdAt)}>{ago(p.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
