// The compact tags view (issue 17, section 2), in the spirit of Harbor's artifact list: one row
// per tag, the tags of one page that share a digest grouped under it (digest, platforms and size
// are said once for the group), platform chips that open each platform's image page, size, last
// pushed and last pulled. Those allowed to delete select tags (one by one, by group, or the whole
// page) and remove them together, after a confirmation that lists every tag that goes.
import { useEffect, useMemo, useState } from 'react';
import { api, messageOf, repoPath } from '../api.ts';
import { ago, bytes, count, platformName, shortDigest, when } from '../format.ts';
import { Link, paths } from '../router.tsx';
import type { RepositoryDetail, TagView } from '../types.ts';
import { Dialog } from './Dialog.tsx';

interface Group {
  digest: string;
  tags: TagView[];
}

/** Groups in the order their first tag appears (the server's sort). */
export function groupByDigest(tags: readonly TagView[]): Group[] {
  const groups = new Map<string, Group>();
  for (const t of tags) {
    const g = groups.get(t.digest);
    if (g) g.tags.push(t);
    else groups.set(t.digest, { digest: t.digest, tags: [t] });
  }
  return [...groups.values()];
}

/** `linux/arm64/v8` → `arm64/v8` when the OS is linux (the usual case), the full name otherwise. */
function chipName(p: { os: string; architecture: string; variant?: string }): string {
  return p.os === 'linux' ? [p.architecture, p.variant].filter(Boolean).join('/') : platformName(p);
}

export function TagTable({ repo, tags, stale, onChanged }: { repo: RepositoryDetail; tags: readonly TagView[]; stale: boolean; onChanged: () => void }) {
  const groups = useMemo(() => groupByDigest(tags), [tags]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const canDelete = repo.permissions.delete;
  // A new page, filter or sort starts with nothing selected (what is not shown is never deleted).
  const shown = tags.map((t) => t.name).join('\n');
  useEffect(() => setSelected(new Set()), [shown]);
  const toggle = (names: string[], on: boolean) => setSelected((s) => {
    const next = new Set(s);
    for (const n of names) {
      if (on) next.add(n);
      else next.delete(n);
    }
    return next;
  });
  const all = tags.map((t) => t.name);
  const allOn = all.length > 0 && all.every((n) => selected.has(n));
  const someOn = all.some((n) => selected.has(n));
  const chosen = tags.filter((t) => selected.has(t.name));
  return (
    <div className={`tag-table-wrap ${stale ? 'stale' : ''}`}>
      {canDelete && (
        <div className="bulk-bar" role="region" aria-label="Selected tags">
          <span className="muted small" aria-live="polite">{chosen.length === 0 ? 'Select tags to delete several at once.' : `${chosen.length} selected`}</span>
          {chosen.length > 0 && (
            <>
              <button type="button" className="btn btn-danger btn-small" onClick={() => setConfirming(true)}>Delete {chosen.length} {chosen.length === 1 ? 'tag' : 'tags'}</button>
              <button type="button" className="btn btn-ghost btn-small" onClick={() => setSelected(new Set())}>Clear</button>
            </>
          )}
        </div>
      )}
      <div className="card flush">
        <table className="table tag-table" aria-label="Tags">
          <thead>
            <tr>
              {canDelete && (
                <th scope="col" className="select">
                  <input
                    type="checkbox"
                    aria-label="Select every tag on this page"
                    checked={allOn}
                    ref={(el) => { if (el) el.indeterminate = someOn && !allOn; }}
                    onChange={(e) => toggle(all, e.target.checked)}
                  />
                </th>
              )}
              <th scope="col">Tag</th>
              <th scope="col">Digest</th>
              <th scope="col">OS/Arch</th>
              <th scope="col" className="num">Size</th>
              <th scope="col">Last pushed</th>
              <th scope="col">Last pulled</th>
              <th scope="col" className="num">Pulls</th>
            </tr>
          </thead>
          {groups.map((g) => {
            const head = g.tags[0]!;
            const index = head.platforms.length > 1 || /index|manifest\.list/.test(head.mediaType);
            return (
              <tbody key={g.digest} className="tag-group" data-digest={g.digest} data-tags={g.tags.length}>
                {g.tags.map((t, i) => (
                  <tr key={t.name} className="tag-row" data-tag={t.name}>
                    {canDelete && (
                      <td className="select" data-label="">
                        <input type="checkbox" aria-label={`Select ${t.name}`} checked={selected.has(t.name)} onChange={(e) => toggle([t.name], e.target.checked)} />
                      </td>
                    )}
                    <td data-label="Tag" className="tag-cell"><code className="tag-name">{t.name}</code></td>
                    {i === 0 && (
                      <>
                        <td data-label="Digest" rowSpan={g.tags.length} className="group-cell">
                          <Link to={paths.image(repo.name, g.digest)} className="digest-link"><code title={g.digest}>{shortDigest(g.digest)}</code></Link>
                          {g.tags.length > 1 && <div className="muted small">{g.tags.length} tags</div>}
                        </td>
                        <td data-label="OS/Arch" rowSpan={g.tags.length} className="group-cell">
                          <span className="platform-chips">
                            {head.platforms.length === 0 && <span className="muted small">{head.artifactType ?? '—'}</span>}
                            {head.platforms.map((p) => (
                              <Link key={`${p.digest}-${platformName(p)}`} to={paths.image(repo.name, p.digest)} className="chip chip-link platform-chip" title={`${platformName(p)} · ${bytes(p.size)} · ${p.digest}`} data-platform={platformName(p)}>
                                {chipName(p)}
                              </Link>
                            ))}
                            {index && <span className="sr-only">(multi-platform)</span>}
                          </span>
                        </td>
                        <td data-label="Size" rowSpan={g.tags.length} className="num group-cell" title={index ? 'all platforms; a pull downloads one' : undefined}>{bytes(head.size)}</td>
                      </>
                    )}
                    <td data-label="Last pushed" title={when(t.pushedAt)}>{ago(t.pushedAt)}</td>
                    <td data-label="Last pulled" title={when(t.lastPulledAt)}>{ago(t.lastPulledAt)}</td>
                    <td data-label="Pulls" className="num">{count(t.pullCount)}</td>
                  </tr>
                ))}
              </tbody>
            );
          })}
        </table>
      </div>
      <BulkDeleteDialog repo={repo} tags={confirming ? chosen : []} onClose={() => setConfirming(false)} onDone={() => { setSelected(new Set()); onChanged(); }} />
    </div>
  );
}

function BulkDeleteDialog({ repo, tags, onClose, onDone }: { repo: RepositoryDetail; tags: readonly TagView[]; onClose: () => void; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string[]>([]);
  const open = tags.length > 0;
  useEffect(() => setFailed([]), [open]);
  const submit = async () => {
    setBusy(true);
    const base = repoPath(repo.project, repo.repository);
    const problems: string[] = [];
    // One at a time: each is its own untag event (and webhook), as for a client.
    for (const t of tags) {
      try {
        await api(`${base}/tags/${encodeURIComponent(t.name)}`, { method: 'DELETE' });
      } catch (e) {
        problems.push(`${t.name}: ${messageOf(e)}`);
      }
    }
    setBusy(false);
    onDone();
    if (problems.length) setFailed(problems);
    else onClose();
  };
  return (
    <Dialog open={open} title={`Delete ${tags.length} ${tags.length === 1 ? 'tag' : 'tags'}?`} onClose={onClose}>
      <p>These tags stop resolving. The images they point at stay and can still be pulled by digest.</p>
      <ul className="bulk-list" aria-label="Tags to delete">
        {tags.map((t) => <li key={t.name}><code>{repo.name}:{t.name}</code> <span className="muted small">{shortDigest(t.digest)}</span></li>)}
      </ul>
      {failed.length > 0 && (
        <div className="field-error" role="alert">
          Some were not deleted:
          <ul>{failed.map((f) => <li key={f}>{f}</li>)}</ul>
        </div>
      )}
      <div className="form-actions">
        <button type="button" className="btn btn-danger" onClick={() => void submit()} disabled={busy}>{busy ? 'Deleting…' : `Delete ${tags.length} ${tags.length === 1 ? 'tag' : 'tags'}`}</button>
        <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
      </div>
    </Dialog>
  );
}
