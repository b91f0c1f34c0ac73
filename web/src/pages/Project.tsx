// A project: its repositories, members and roles, robot accounts, settings and audit log. Each
// tab is shown only to those the API lets see it (members: members and administrators; robots,
// settings and audit: owners and administrators). With the scan and trust features, Settings holds
// the scan policy and the trust policy (mode, exempt accounts, trusted signers) too; other members
// see those policies, read-only, in the same place.
import { useEffect, useId, useState } from 'react';
import { api, ApiError, messageOf, qs } from '../api.ts';
import { Badges, VisibilityBadge } from '../components/Badges.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { ConfirmButton } from '../components/Dialog.tsx';
import { Pagination } from '../components/Pagination.tsx';
import { RepoCard } from '../components/RepoCard.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { Tabs } from '../components/Tabs.tsx';
import { ago, shortDigest, when } from '../format.ts';
import { useDebounced, useFetch, useListAction, useTitle } from '../hooks.ts';
import { navigate, paths, useQueryState } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { AuditEntry, Member, Project as ProjectT, RepositoryList, Robot, Role } from '../types.ts';
import { NotFound } from './NotFound.tsx';
import { ExpirySelect, PermissionChecks } from '../components/CredentialFields.tsx';
import { useCapability } from '../capabilities.ts';
import { ScanPolicySettings } from './ScanPolicy.tsx';
import { TrustPolicySettings } from './TrustPolicy.tsx';
import { QuotaSettings, QuotaUsage } from '../components/Quota.tsx';
import { ImmutableRules } from '../components/ImmutableRules.tsx';
import { RetentionSettings } from './Retention.tsx';
import { Webhooks } from './Webhooks.tsx';

const ROLES: Role[] = ['owner', 'maintainer', 'developer', 'guest'];
export type ProjectTab = 'repositories' | 'members' | 'robots' | 'settings' | 'audit' | 'retention' | 'webhooks';

export function ProjectBadges({ project }: { project: ProjectT }) {
  return <Badges badges={{ official: project.name === 'library', verifiedPublisher: !!project.verified, sponsoredOss: !!project.sponsored }} />;
}

export function Project({ name, tab }: { name: string; tab: ProjectTab }) {
  const { me } = useSession();
  const project = useFetch<ProjectT>(`/projects/${encodeURIComponent(name)}`);
  const scan = useCapability('scan');
  const trust = useCapability('trust');
  const retention = useCapability('retention');
  const immutability = useCapability('immutability');
  useTitle(name);
  if (project.error instanceof ApiError && project.error.status === 404) return <NotFound what={`The project ${name}`} />;
  if (project.error && !project.data) return <div className="page"><ErrorNote error={project.error} /></div>;
  if (!project.data || me === undefined) return <div className="page"><Loading /></div>;
  const p = project.data;
  const manage = !!me && (me.admin || p.role === 'owner');
  const member = !!me && (me.admin || p.role !== undefined);
  const policiesLabel = [scan, trust, immutability].filter(Boolean).length > 1 ? 'Policies' : scan ? 'Scan policy' : trust ? 'Trust policy' : 'Immutable tags';
  const tabs = [
    { id: 'repositories', label: 'Repositories', to: paths.project(name) },
    ...(member ? [{ id: 'members', label: 'Members', to: paths.project(name, 'members') }] : []),
    ...(member && retention ? [{ id: 'retention', label: 'Retention', to: paths.project(name, 'retention') }] : []),
    ...(manage ? [{ id: 'robots', label: 'Robot accounts', to: paths.project(name, 'robots') }] : []),
    ...(manage ? [{ id: 'webhooks', label: 'Webhooks', to: paths.project(name, 'webhooks') }] : []),
    ...(manage ? [{ id: 'audit', label: 'Audit log', to: paths.project(name, 'audit') }] : []),
    ...(manage ? [{ id: 'settings', label: 'Settings', to: paths.project(name, 'settings') }] : []),
    // Members who do not manage the project read its policies where the settings are.
    ...(!manage && member && (scan || trust || immutability) ? [{ id: 'settings', label: policiesLabel, to: paths.project(name, 'settings') }] : []),
  ];
  const allowed = tabs.some((t) => t.id === tab);
  return (
    <div className="page project">
      <section className="project-header">
        <div>
          <h1>
            {p.name} <VisibilityBadge visibility={p.visibility} /> <ProjectBadges project={p} />
          </h1>
          {p.description && <p className="muted">{p.description}</p>}
          <p className="small muted">
            Created {ago(p.createdAt)}
            {p.role && <> · You are <strong>{p.role}</strong></>}
          </p>
          {p.quota && <QuotaUsage quota={p.quota} />}
        </div>
      </section>
      <Tabs label="Project sections" active={allowed ? tab : 'repositories'} tabs={tabs} />
      {!allowed || tab === 'repositories' ? (
        <Repositories project={p.name} />
      ) : tab === 'members' ? (
        <Members project={p.name} manage={manage} />
      ) : tab === 'robots' ? (
        <Robots project={p.name} />
      ) : tab === 'webhooks' ? (
        <Webhooks project={p.name} />
      ) : tab === 'audit' ? (
        <Audit project={p.name} />
      ) : tab === 'retention' ? (
        <RetentionSettings project={p.name} />
      ) : manage ? (
        <Settings project={p} onSaved={(np) => project.setData(() => np)} scan={scan} trust={trust} />
      ) : (
        <section aria-label={policiesLabel} className="settings">
          {scan && <ScanPolicySettings project={p.name} editable={false} />}
          {trust && <TrustPolicySettings project={p.name} editable={false} />}
          {immutability && <ImmutableRules project={p.name} />}
        </section>
      )}
    </div>
  );
}

function Repositories({ project }: { project: string }) {
  const [query, setQuery] = useQueryState();
  const [text, setText] = useState(query.get('q') ?? '');
  const q = useDebounced(text.trim(), 250);
  const sort = query.get('sort') ?? 'updated';
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const id = useId();
  const list = useFetch<RepositoryList>(`/projects/${encodeURIComponent(project)}/repositories${qs({ q, sort, page: page > 1 ? page : undefined, n: 25 })}`);
  useEffect(() => {
    if ((new URLSearchParams(window.location.search).get('q') ?? '') !== q) setQuery({ q: q || undefined, page: undefined }, { replace: true });
  }, [q, setQuery]);
  return (
    <section aria-label="Repositories">
      <div className="toolbar">
        <div className="field field-grow">
          <label htmlFor={`${id}-q`} className="sr-only">Filter repositories</label>
          <input id={`${id}-q`} type="search" placeholder="Filter repositories" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-s`}>Sort by</label>
          <select id={`${id}-s`} value={sort} onChange={(e) => setQuery({ sort: e.target.value === 'updated' ? undefined : e.target.value, page: undefined })}>
            <option value="updated">Recently updated</option>
            <option value="pulls">Most pulls</option>
            <option value="stars">Most stars</option>
            <option value="name">Name</option>
          </select>
        </div>
      </div>
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.repositories.length === 0 && (
        <Empty>
          {q ? <>No repositories match “{q}”.</> : <>No repositories yet. Push one with <code>docker push {window.location.host}/{project}/IMAGE:TAG</code>.</>}
        </Empty>
      )}
      {list.data && list.data.repositories.length > 0 && (
        <ul className={`repo-list ${list.loading ? 'stale' : ''}`} aria-label={`Repositories in ${project}`}>
          {list.data.repositories.map((r) => <RepoCard key={r.name} repo={r} inProject />)}
        </ul>
      )}
      {list.data && <Pagination page={page} n={list.data.n || 25} total={list.data.total} onPage={(p) => setQuery({ page: p > 1 ? String(p) : undefined })} />}
    </section>
  );
}

function Members({ project, manage }: { project: string; manage: boolean }) {
  const list = useFetch<{ members: Member[] }>(`/projects/${encodeURIComponent(project)}/members`);
  const [user, setUser] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const id = useId();
  // Autocomplete: the user names that start with what is typed (a datalist under the field).
  const typed = useDebounced(user.trim().toLowerCase(), 200);
  const names = useFetch<{ names: string[] }>(manage && typed ? `/user-names${qs({ q: typed })}` : null);
  const members = new Set(list.data?.members.map((m) => m.user) ?? []);
  const { error, run } = useListAction(list.reload);
  const base = `/projects/${encodeURIComponent(project)}/members`;
  return (
    <section aria-label="Members">
      {manage && (
        <form className="card form-inline" onSubmit={(e) => { e.preventDefault(); void run(async () => { await api(`${base}/${encodeURIComponent(user.trim())}`, { method: 'PUT', body: { role } }); setUser(''); }); }} aria-label="Add a member">
          <div className="field">
            <label htmlFor={`${id}-u`}>User</label>
            <input id={`${id}-u`} value={user} onChange={(e) => setUser(e.target.value)} required autoComplete="off" list={`${id}-names`} placeholder="e.g. alice" />
            <datalist id={`${id}-names`} data-testid="member-suggestions">
              {(names.data?.names ?? []).filter((n) => !members.has(n)).map((n) => <option key={n} value={n} />)}
            </datalist>
          </div>
          <div className="field">
            <label htmlFor={`${id}-r`}>Role</label>
            <select id={`${id}-r`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </div>
          <button type="submit" className="btn btn-primary">Add member</button>
        </form>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && (
        <div className="table-scroll card flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Member since</th>
                {manage && <th scope="col"><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {list.data.members.map((m) => (
                <tr key={m.user}>
                  <td className="strong">{m.user}</td>
                  <td>
                    {manage ? (
                      <select aria-label={`Role of ${m.user}`} value={m.role} onChange={(e) => void run(() => api(`${base}/${encodeURIComponent(m.user)}`, { method: 'PUT', body: { role: e.target.value } }))}>
                        {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    ) : (
                      <span className={`role role-${m.role}`}>{m.role}</span>
                    )}
                  </td>
                  <td title={when(m.since)}>{ago(m.since)}</td>
                  {manage && (
                    <td className="actions">
                      <ConfirmButton
                        label="Remove"
                        ariaLabel={`Remove ${m.user}`}
                        title={`Remove ${m.user} from ${project}?`}
                        message={<><strong>{m.user}</strong> loses access to the project's private repositories.</>}
                        confirm="Remove member"
                        onConfirm={() => run(() => api(`${base}/${encodeURIComponent(m.user)}`, { method: 'DELETE' }))}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Robots({ project }: { project: string }) {
  const list = useFetch<{ robots: Robot[] }>(`/projects/${encodeURIComponent(project)}/robots`);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [perms, setPerms] = useState<Record<string, boolean>>({ pull: true, push: false, delete: false });
  const [expires, setExpires] = useState('');
  const [secret, setSecret] = useState<{ name: string; secret: string }>();
  const id = useId();
  const { error, run } = useListAction(list.reload);
  const create = () =>
    run(async () => {
      const r = await api<{ robot: Robot; secret: string }>(`/projects/${encodeURIComponent(project)}/robots`, {
        method: 'POST',
        body: { name: name.trim(), permissions: Object.keys(perms).filter((k) => perms[k]), ...(description.trim() ? { description: description.trim() } : {}), ...(expires ? { expiresIn: expires } : {}) },
      });
      setSecret({ name: r.robot.name, secret: r.secret });
      setName('');
      setDescription('');
    });
  const robotPath = (n: string) => `/robots/${encodeURIComponent(n)}`;
  return (
    <section aria-label="Robot accounts">
      <form className="card form-inline" onSubmit={(e) => { e.preventDefault(); void create(); }} aria-label="New robot account">
        <div className="field">
          <label htmlFor={`${id}-n`}>Robot name</label>
          <input id={`${id}-n`} value={name} onChange={(e) => setName(e.target.value)} required placeholder="e.g. ci-deploy" autoComplete="off" />
        </div>
        <div className="field field-wide">
          <label htmlFor={`${id}-desc`}>Description</label>
          <input id={`${id}-desc`} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1024} placeholder="Optional: what uses it" autoComplete="off" />
        </div>
        <PermissionChecks perms={perms} setPerms={setPerms} />
        <ExpirySelect id={`${id}-e`} value={expires} onChange={setExpires} order={['', '1d', '30d', '90d', '365d']} />
        <button type="submit" className="btn btn-primary" disabled={!Object.values(perms).some(Boolean)}>Create robot</button>
      </form>
      {secret && (
        <div className="note note-success" role="status">
          <p>
            <strong>{secret.name}</strong> was given a secret. Copy it now: it is not shown again.
          </p>
          <div className="command">
            <code>{secret.secret}</code>
            <CopyButton text={secret.secret} label="Copy the robot secret" />
          </div>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setSecret(undefined)}>Done</button>
        </div>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.robots.length === 0 && <Empty>No robot accounts. Robots let CI pull and push without a person's password.</Empty>}
      {list.data && list.data.robots.length > 0 && (
        <div className="table-scroll card flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Robot</th>
                <th scope="col">Permissions</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.robots.map((r) => (
                <tr key={r.name}>
                  <td><code>{r.name}</code>{r.description && <div className="muted small">{r.description}</div>}</td>
                  <td>{r.permissions.map((p) => p.actions.join(', ')).join('; ')}</td>
                  <td title={when(r.expiresAt)}>{r.expiresAt ? ago(r.expiresAt) : 'never'}</td>
                  <td>{r.expired ? <span className="badge badge-warn">Expired</span> : r.disabled ? <span className="badge badge-muted">Disabled</span> : <span className="badge badge-ok">Active</span>}</td>
                  <td className="actions">
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => void run(() => api(robotPath(r.name), { method: 'PATCH', body: { disabled: !r.disabled } }))}>
                      {r.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => void run(async () => { const x = await api<{ robot: Robot; secret: string }>(`${robotPath(r.name)}/rotate`, { method: 'POST' }); setSecret({ name: x.robot.name, secret: x.secret }); })}>
                      New secret
                    </button>
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete ${r.name}`}
                      title={`Delete ${r.name}?`}
                      message={<>Clients using <code>{r.name}</code> can no longer sign in.</>}
                      confirm="Delete robot"
                      onConfirm={() => run(() => api(robotPath(r.name), { method: 'DELETE' }))}
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

/** The day after a yyyy-mm-dd date, as yyyy-mm-dd (the "to" day is included). */
function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The What of an entry: repository and reference, the digest shortened (the whole one in the copy button). */
function AuditWhat({ entry }: { entry: AuditEntry }) {
  const ref = entry.reference ?? '';
  const at = ref.indexOf('sha256:') >= 0 ? ref.indexOf('sha256:') : ref.indexOf('sha512:');
  if (!entry.repository && !ref) return <>—</>;
  if (at < 0) return <>{[entry.repository, ref].filter(Boolean).join(':')}</>;
  const tag = at > 0 ? ref.slice(0, at - 1) : '';
  const digest = ref.slice(at);
  return (
    <span className="audit-what">
      {entry.repository}{tag ? `:${tag}` : ''}@<code title={digest}>{shortDigest(digest)}</code>
      <CopyButton text={digest} label={`Copy the digest ${shortDigest(digest)}`} compact />
    </span>
  );
}

function Audit({ project }: { project: string }) {
  const [before, setBefore] = useState<number[]>([]);
  const [action, setAction] = useState('');
  const [actorText, setActorText] = useState('');
  const [repoText, setRepoText] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const actor = useDebounced(actorText.trim(), 300);
  const repoName = useDebounced(repoText.trim(), 300);
  const repository = repoName ? (repoName.startsWith(`${project}/`) ? repoName : `${project}/${repoName}`) : '';
  const id = useId();
  const cursor = before[before.length - 1];
  const filters = { project, action, actor, repository, since: from ? `${from}T00:00:00Z` : undefined, until: to ? `${dayAfter(to)}T00:00:00Z` : undefined };
  const key = JSON.stringify(filters);
  useEffect(() => setBefore([]), [key]);
  const list = useFetch<{ entries: AuditEntry[]; next?: number | null }>(`/audit${qs({ ...filters, limit: 50, before: cursor })}`);
  const filtered = !!(action || actor || repository || from || to);
  return (
    <section aria-label="Audit log">
      <form className="card form-inline audit-filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={`${id}-u`}>User</label>
          <input id={`${id}-u`} value={actorText} onChange={(e) => setActorText(e.target.value)} placeholder="e.g. alice" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-a`}>Action</label>
          <select id={`${id}-a`} value={action} onChange={(e) => setAction(e.target.value)}>
            <option value="">All</option>
            {['push', 'pull', 'delete', 'untag', 'mount', 'login', 'login_failed'].map((a) => <option key={a} value={a}>{a}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-r`}>Repository</label>
          <input id={`${id}-r`} value={repoText} onChange={(e) => setRepoText(e.target.value)} placeholder="e.g. app" autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-f`}>From</label>
          <input id={`${id}-f`} type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-t`}>To</label>
          <input id={`${id}-t`} type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
        </div>
        {filtered && <button type="button" className="btn btn-ghost" onClick={() => { setAction(''); setActorText(''); setRepoText(''); setFrom(''); setTo(''); }}>Clear filters</button>}
      </form>
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.entries.length === 0 && <Empty>{filtered ? 'No entries match these filters.' : 'No entries.'}</Empty>}
      {list.data && list.data.entries.length > 0 && (
        <div className={`table-scroll card flush ${list.loading ? 'stale' : ''}`}>
          <table className="table audit-table" aria-label="Audit entries">
            <thead>
              <tr>
                <th scope="col" className="col-when">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">What</th>
                <th scope="col">Outcome</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {list.data.entries.map((e) => (
                <tr key={e.id}>
                  <td className="col-when"><time dateTime={e.at} title={when(e.at)}>{ago(e.at)}</time></td>
                  <td className="strong">{e.actor}</td>
                  <td><span className="chip">{e.action}</span></td>
                  <td className="mono small"><AuditWhat entry={e} /></td>
                  <td>{e.outcome === 'success' ? <span className="badge badge-ok">success</span> : <span className="badge badge-warn">{e.outcome}</span>}</td>
                  <td className="mono small">{e.address ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="form-actions">
        {before.length > 0 && <button type="button" className="btn btn-ghost" onClick={() => setBefore((b) => b.slice(0, -1))}>Newer</button>}
        {list.data?.next != null && <button type="button" className="btn btn-ghost" onClick={() => setBefore((b) => [...b, list.data!.next!])}>Older</button>}
      </div>
    </section>
  );
}

function Settings({ project, onSaved, scan, trust }: { project: ProjectT; onSaved: (p: ProjectT) => void; scan: boolean; trust: boolean }) {
  const { me } = useSession();
  const immutability = useCapability('immutability');
  const quota = useCapability('quota');
  const [visibility, setVisibility] = useState(project.visibility);
  const [description, setDescription] = useState(project.description);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [confirm, setConfirm] = useState('');
  const id = useId();
  const personal = me?.kind === 'user' && project.name === me.name;
  const save = async () => {
    try {
      const p = await api<ProjectT>(`/projects/${encodeURIComponent(project.name)}`, { method: 'PATCH', body: { visibility, description } });
      onSaved({ ...project, ...p });
      setMessage({ ok: true, text: 'Saved.' });
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    }
  };
  const remove = async () => {
    try {
      await api(`/projects/${encodeURIComponent(project.name)}`, { method: 'DELETE' });
      navigate('/projects');
    } catch (e) {
      setMessage({ ok: false, text: messageOf(e) });
    }
  };
  return (
    <section aria-label="Settings" className="settings">
      <form className="card form-card" onSubmit={(e) => { e.preventDefault(); void save(); }}>
        <h2>General</h2>
        <fieldset className="field">
          <legend>Visibility</legend>
          <label className="radio">
            <input type="radio" name={`${id}-vis`} value="public" checked={visibility === 'public'} onChange={() => setVisibility('public')} />
            <span><strong>Public</strong> — anyone can pull and browse its repositories.</span>
          </label>
          <label className="radio">
            <input type="radio" name={`${id}-vis`} value="private" checked={visibility === 'private'} onChange={() => setVisibility('private')} />
            <span><strong>Private</strong> — only members see and pull.</span>
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-d`}>Description</label>
          <textarea id={`${id}-d`} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1024} rows={3} />
        </div>
        {message && <p className={message.ok ? 'field-ok' : 'field-error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary">Save changes</button>
        </div>
      </form>
      {scan && <ScanPolicySettings project={project.name} editable />}
      {trust && <TrustPolicySettings project={project.name} editable />}
      {immutability && <ImmutableRules project={project.name} />}
      {quota && me?.admin && <QuotaSettings project={project} onSaved={onSaved} />}
      {project.name !== 'library' && !personal && (
        <form className="card form-card danger-zone" onSubmit={(e) => { e.preventDefault(); void remove(); }}>
          <h2>Delete this project</h2>
          <p>Its repositories, members and robots go with it. Type the project's name to confirm.</p>
          <div className="field">
            <label htmlFor={`${id}-c`}>Project name</label>
            <input id={`${id}-c`} value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="off" />
          </div>
          <button type="submit" className="btn btn-danger" disabled={confirm !== project.name}>Delete project</button>
        </form>
      )}
    </section>
  );
}
