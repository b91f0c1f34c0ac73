// The projects the caller may see, and a form to create one.
import { useId, useState } from 'react';
import { api, messageOf } from '../api.ts';
import { VisibilityBadge } from '../components/Badges.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { ago, bytes, when } from '../format.ts';
import { useFetch, useTitle } from '../hooks.ts';
import { Link, navigate, paths } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { Project } from '../types.ts';
import { ProjectBadges } from './Project.tsx';

export function Projects() {
  const { me } = useSession();
  const list = useFetch<{ projects: Project[] }>('/projects');
  const [filter, setFilter] = useState('');
  const [creating, setCreating] = useState(false);
  const id = useId();
  useTitle('Projects');
  const projects = (list.data?.projects ?? []).filter((p) => p.name.includes(filter.trim().toLowerCase()));
  return (
    <div className="page">
      <div className="page-head">
        <h1>Projects</h1>
        {me && me.kind === 'user' && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating((c) => !c)} aria-expanded={creating}>
            New project
          </button>
        )}
      </div>
      {creating && <CreateProject onCancel={() => setCreating(false)} />}
      <div className="toolbar">
        <div className="field field-grow">
          <label htmlFor={`${id}-f`} className="sr-only">Filter projects</label>
          <input id={`${id}-f`} type="search" placeholder="Filter projects" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
      </div>
      {list.error ? <ErrorNote error={list.error} /> : null}
      {!list.data && list.loading && <Loading />}
      {list.data && projects.length === 0 && <Empty>No projects{filter ? ' match' : ''}.</Empty>}
      {projects.length > 0 && (
        <div className="table-scroll card flush">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Visibility</th>
                <th scope="col" className="num">Repositories</th>
                <th scope="col" className="num">Storage</th>
                {me && <th scope="col">Your role</th>}
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {projects.map((p) => (
                <tr key={p.name}>
                  <td>
                    <Link to={paths.project(p.name)} className="strong">{p.name}</Link> <ProjectBadges project={p} />
                    {p.description && <div className="muted small">{p.description}</div>}
                  </td>
                  <td><VisibilityBadge visibility={p.visibility} /></td>
                  <td className="num" data-label="Repositories">{(p.repositoryCount ?? 0).toLocaleString('en')}</td>
                  <td className="num" data-label="Storage">{bytes(p.storageBytes ?? 0)}</td>
                  {me && <td className="role">{p.role ?? '—'}</td>}
                  <td title={when(p.createdAt)}>{ago(p.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function CreateProject({ onCancel }: { onCancel: () => void }) {
  const [name, setName] = useState('');
  const [visibility, setVisibility] = useState<'private' | 'public'>('private');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string>();
  const id = useId();
  const submit = async () => {
    try {
      const p = await api<Project>('/projects', { method: 'POST', body: { name: name.trim(), visibility, description } });
      navigate(paths.project(p.name));
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <form className="card form-card" onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-label="New project">
      <div className="form-row">
        <div className="field">
          <label htmlFor={`${id}-n`}>Name</label>
          <input id={`${id}-n`} value={name} onChange={(e) => setName(e.target.value)} required pattern="[a-z0-9]+(?:[._\-][a-z0-9]+)*" title="Lower-case letters, digits, and . _ - between them" autoFocus data-autofocus />
        </div>
        <div className="field">
          <label htmlFor={`${id}-v`}>Visibility</label>
          <select id={`${id}-v`} value={visibility} onChange={(e) => setVisibility(e.target.value as 'private' | 'public')}>
            <option value="private">Private</option>
            <option value="public">Public</option>
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-d`}>Description</label>
        <input id={`${id}-d`} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1024} />
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary">Create project</button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
