// The Tags tab: filter, sort and pages are done by the server (5,000 tags stay fast); every tag
// shows its digest, compressed size, last push and pull, and for an index every platform with its
// own digest and size. Retag and delete appear only for callers allowed to do them. With the scan
// feature, each tag also shows its vulnerabilities by severity (one request per page of tags),
// linking to its report. With the trust feature, each tag shows its signature state (one more
// request per page): "Signed · <signers>" linking to its signatures, "Unverified" opening why
// under the tag, "Unsigned" (prominent when the project enforces signatures); cosign's own
// signature tags are marked as such and link to their subject's signatures.
import { useEffect, useId, useState } from 'react';
import { api, messageOf, qs, repoPath } from '../api.ts';
import { useCapability } from '../capabilities.ts';
import { Breakable, CopyButton } from '../components/CopyButton.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { Pagination } from '../components/Pagination.tsx';
import { ScanState } from '../components/Severity.tsx';
import { cosignSubject, TrustState } from '../components/Trust.tsx';
import { ImmutableChip, useImmutableTags, type ImmutableRule } from '../components/ImmutableRules.tsx';
import { TagHistory } from '../components/TagHistory.tsx';
import { TagTable } from '../components/TagTable.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { ago, bytes, count, platformName, shortDigest, when } from '../format.ts';
import { useDebounced, useFetch } from '../hooks.ts';
import { Link, paths, useQueryState } from '../router.tsx';
import type { RepositoryDetail, ScanSummaries, ScanSummary, TagList, TagView, TrustMode, TrustSummaries, TrustSummary } from '../types.ts';
import { WhyUnverified } from './Signatures.tsx';

const SORTS = { pushed: 'Last pushed', name: 'Tag name', pulled: 'Last pulled' } as const;
type Sort = keyof typeof SORTS;

/** `docker pull host/ns/repo:tag` → `docker pull host/ns/repo` (the port's colon is kept). */
export function pullBase(pullCommand: string): string {
  return pullCommand.replace(/:[^/:@\s]+$/, '').replace(/@[^@\s]+$/, '');
}

export function TagsTab({ repo, onChanged }: { repo: RepositoryDetail; onChanged: () => void }) {
  const [query, setQuery] = useQueryState();
  const sort = (query.get('sort') as Sort | null) ?? 'pushed';
  const order = query.get('order') ?? (sort === 'name' ? 'asc' : 'desc');
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const n = [25, 50, 100].includes(Number(query.get('n'))) ? Number(query.get('n')) : 25;
  const [text, setText] = useState(query.get('q') ?? '');
  const q = useDebounced(text.trim(), 250);
  const ids = useId();
  // The compact table by default (many tags per screen, bulk delete), or cards (?view=cards: every
  // fact of each tag: vulnerabilities, signatures, immutability, history, retag).
  const compact = query.get('view') !== 'cards';

  useEffect(() => {
    if ((new URLSearchParams(window.location.search).get('q') ?? '') !== q) setQuery({ q: q || undefined, page: undefined }, { replace: true });
  }, [q, setQuery]);

  const base = repoPath(repo.project, repo.repository);
  const list = useFetch<TagList>(`${base}/tags${qs({ q, sort, order, page: page > 1 ? page : undefined, n })}`);
  const [retag, setRetag] = useState<TagView>();
  const [remove, setRemove] = useState<TagView>();
  const reload = () => {
    list.reload();
    onChanged();
  };
  const data = list.data;
  // One request for the whole page: the summaries of every digest shown (a page holds at most 100).
  const scan = useCapability('scan');
  const digests = data ? [...new Set(data.tags.map((t) => t.digest))] : [];
  const summaries = useFetch<ScanSummaries>(scan && digests.length > 0 ? `${base}/scan-summaries${qs({ digests: digests.join(',') })}` : null);
  /** undefined: still loading; null: no report. */
  const summaryOf = (digest: string): ScanSummary | null | undefined => {
    const found = summaries.data?.summaries[digest];
    if (found) return found;
    return summaries.loading ? undefined : null;
  };
  // The same for signatures: one request for the page's images (cosign's signature tags are not images to sign).
  const trust = useCapability('trust');
  const signable = data ? [...new Set(data.tags.filter((t) => !cosignSubject(t.name)).map((t) => t.digest))] : [];
  // Immutable tags are marked (one request per page, with the immutability feature).
  const immutableOf = useImmutableTags(base, data ? data.tags.map((t) => t.name) : [], useCapability('immutability'));
  const trustSummaries = useFetch<TrustSummaries>(trust && signable.length > 0 ? `${base}/trust-summaries${qs({ digests: signable.join(',') })}` : null);
  const mode: TrustMode = trustSummaries.data?.mode ?? 'off';
  /** undefined: still loading; null: no verdict; false: not shown. */
  const trustOf = (t: TagView): TrustSummary | null | undefined | false => {
    if (!trust || trustSummaries.error || cosignSubject(t.name)) return false;
    const found = trustSummaries.data?.summaries[t.digest];
    if (found) return found;
    return trustSummaries.loading ? undefined : null;
  };

  return (
    <section className="tags" aria-labelledby={`${ids}-h`}>
      <h2 id={`${ids}-h`} className="sr-only">Tags</h2>
      <div className="toolbar">
        <div className="field field-grow">
          <label htmlFor={`${ids}-filter`} className="sr-only">Filter tags</label>
          <input id={`${ids}-filter`} type="search" placeholder="Filter tags" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${ids}-sort`}>Sort by</label>
          <select id={`${ids}-sort`} value={sort} onChange={(e) => setQuery({ sort: e.target.value === 'pushed' ? undefined : e.target.value, order: undefined, page: undefined })}>
            {Object.entries(SORTS).map(([v, label]) => (
              <option key={v} value={v}>{label}</option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          onClick={() => setQuery({ order: order === 'asc' ? 'desc' : 'asc', page: undefined })}
          aria-label={order === 'asc' ? 'Order: ascending (change to descending)' : 'Order: descending (change to ascending)'}
        >
          {order === 'asc' ? '↑ Ascending' : '↓ Descending'}
        </button>
        <div className="segmented" role="group" aria-label="View">
          <button type="button" className={compact ? 'active' : ''} aria-pressed={compact} onClick={() => setQuery({ view: undefined })}>Compact</button>
          <button type="button" className={compact ? '' : 'active'} aria-pressed={!compact} onClick={() => setQuery({ view: 'cards' })}>Cards</button>
        </div>
      </div>
      {list.error ? <ErrorNote error={list.error} title="Could not load the tags" /> : null}
      {summaries.error && data ? <ErrorNote error={summaries.error} title="Could not load the vulnerability counts" /> : null}
      {trustSummaries.error && data ? <ErrorNote error={trustSummaries.error} title="Could not load the signatures" /> : null}
      {trust && mode === 'enforce' && data && data.tags.length > 0 && (
        <p className="note note-warn trust-enforced" data-testid="trust-enforced">
          <strong>Signatures are enforced.</strong> Images that no trusted signer of {repo.project} signed cannot be pulled.
        </p>
      )}
      {!data && list.loading && <Loading label="Loading tags" />}
      {data && data.tags.length === 0 && <Empty>{q ? <>No tags match “{q}”.</> : 'This repository has no tags.'}</Empty>}
      {data && data.tags.length > 0 && compact && <TagTable repo={repo} tags={data.tags} stale={list.loading} onChanged={reload} />}
      {data && data.tags.length > 0 && !compact && (
        <ul className={`tag-list ${list.loading ? 'stale' : ''}`} aria-label="Tags">
          {data.tags.map((t) => (
            <TagRow key={t.name} tag={t} repo={repo} scan={scan && !summaries.error ? summaryOf(t.digest) : false} trust={trustOf(t)} mode={mode} immutable={immutableOf(t.name)} onRetag={() => setRetag(t)} onDelete={() => setRemove(t)} onChanged={reload} />
          ))}
        </ul>
      )}
      {data && (
        <div className="tags-footer">
          <Pagination page={page} n={data.n || n} total={data.total} onPage={(p) => setQuery({ page: p > 1 ? String(p) : undefined })} label="Tag pages" />
          {data.total > 25 && (
            <div className="field field-inline">
              <label htmlFor={`${ids}-n`}>Per page</label>
              <select id={`${ids}-n`} value={n} onChange={(e) => setQuery({ n: e.target.value === '25' ? undefined : e.target.value, page: undefined })}>
                {[25, 50, 100].map((v) => <option key={v} value={v}>{v}</option>)}
              </select>
            </div>
          )}
        </div>
      )}
      <RetagDialog repo={repo} tag={retag} onClose={() => setRetag(undefined)} onDone={reload} />
      <DeleteTagDialog repo={repo} tag={remove} onClose={() => setRemove(undefined)} onDone={reload} />
    </section>
  );
}

/**
 * `scan`: false without the scan feature, else the tag's summary (undefined while loading, null: none);
 * `trust` the same for its signatures, with the project's trust `mode`.
 */
function TagRow({ tag, repo, scan, trust, mode, immutable, onRetag, onDelete, onChanged }: {
  tag: TagView;
  /** The immutability rule that holds this tag, if one does. */
  immutable?: ImmutableRule;
  repo: RepositoryDetail;
  scan: ScanSummary | null | undefined | false;
  trust: TrustSummary | null | undefined | false;
  mode: TrustMode;
  onRetag: () => void;
  onDelete: () => void;
  onChanged: () => void;
}) {
  const [why, setWhy] = useState(false);
  const [history, setHistory] = useState(false);
  const historyId = useId();
  const tagHistory = useCapability('tag-history');
  const whyId = useId();
  const subject = cosignSubject(tag.name);
  // Unsigned is not worth a word when trust is off; while loading a placeholder keeps the place.
  const unsigned = trust === null || (!!trust && !trust.signed && trust.signatures === 0);
  const showTrust = trust !== false && !(unsigned && mode === 'off');
  const unverified = !!trust && !trust.signed && trust.signatures > 0;
  const base = pullBase(repo.pullCommand);
  const pull = `${base}:${tag.name}`;
  const multi = tag.platforms.length > 1 || /index|manifest\.list/.test(tag.mediaType);
  // A single-platform image names its platform beside the digest; an index lists each platform.
  const single = !multi && tag.platforms.length === 1 ? tag.platforms[0] : undefined;
  return (
    <li className="tag" data-tag={tag.name}>
      <div className="tag-head">
        <div className="tag-title">
          <span className="tag-label">Tag</span>
          <h3 className="tag-name">{tag.name}</h3>
          {multi && <span className="chip">Multi-platform</span>}
          {tag.artifactType && <span className="chip">{tag.artifactType}</span>}
          <ImmutableChip tag={tag.name} rule={immutable} />
          {subject && (
            <Link to={paths.signatures(repo.name, subject.digest)} className="chip chip-link" aria-label={`A cosign ${subject.kind === 'sig' ? 'signature' : subject.kind === 'att' ? 'attestation' : 'SBOM'} of ${shortDigest(subject.digest)}: open its subject's signatures`}>
              cosign {subject.kind === 'sig' ? 'signature' : subject.kind === 'att' ? 'attestation' : 'SBOM'} of {shortDigest(subject.digest)}
            </Link>
          )}
        </div>
        <div className="tag-actions">
          {tagHistory && (
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setHistory((v) => !v)} aria-expanded={history} aria-controls={historyId} aria-label={`History of ${tag.name}`}>History</button>
          )}
          {repo.permissions.push && (
            <button type="button" className="btn btn-ghost btn-small" onClick={onRetag} aria-label={`Retag ${tag.name}`}>Retag</button>
          )}
          {repo.permissions.delete && (
            <button type="button" className="btn btn-danger-ghost btn-small" onClick={onDelete} aria-label={`Delete tag ${tag.name}`}>Delete</button>
          )}
        </div>
      </div>
      <dl className="tag-facts">
        {single && (
          <div data-platform={platformName(single)}>
            <dt>OS/Arch</dt>
            <dd className="platform">{platformName(single)}</dd>
          </div>
        )}
        <div>
          <dt>Digest</dt>
          <dd className="digest">
            <Link to={paths.image(repo.name, tag.digest)} className="digest-link" aria-label={`Image ${shortDigest(tag.digest)} of ${tag.name}`}><code title={tag.digest}>{shortDigest(tag.digest)}</code></Link>
            <CopyButton text={tag.digest} label={`Copy the digest of ${tag.name}`} compact />
          </dd>
        </div>
        <div>
          <dt>Compressed size</dt>
          <dd>{bytes(tag.size)}</dd>
        </div>
        <div>
          <dt>Last pushed</dt>
          <dd title={when(tag.pushedAt)}>{ago(tag.pushedAt)}</dd>
        </div>
        <div>
          <dt>Last pulled</dt>
          <dd title={when(tag.lastPulledAt)}>{ago(tag.lastPulledAt)}</dd>
        </div>
        <div>
          <dt>Pulls</dt>
          <dd>{count(tag.pullCount)}</dd>
        </div>
        {scan !== false && (
          <div className="tag-vulns" data-scan={scan?.status ?? (scan === null ? 'not-scanned' : 'loading')}>
            <dt>Vulnerabilities</dt>
            <dd><ScanState summary={scan} to={paths.scan(repo.name, tag.name)} tag={tag.name} /></dd>
          </div>
        )}
        {showTrust && (
          <div className="tag-trust" data-trust={trust === undefined ? 'loading' : trust?.signed ? 'signed' : unverified ? 'unverified' : 'unsigned'}>
            <dt>Signature</dt>
            <dd>
              <TrustState summary={trust} mode={mode} to={paths.signatures(repo.name, tag.name)} tag={tag.name} expanded={why} panelId={whyId} onToggle={() => setWhy((w) => !w)} />
            </dd>
          </div>
        )}
      </dl>
      {unverified && why && <WhyUnverified repo={repo} tag={tag.name} digest={tag.digest} problems={trust.problems} id={whyId} />}
      {history && <TagHistory id={historyId} project={repo.project} repository={repo.repository} tag={tag.name} canRollback={repo.permissions.push} onChanged={onChanged} />}
      <div className="command command-small">
        <code><Breakable text={pull} /></code>
        <CopyButton text={pull} label={`Copy the pull command for ${tag.name}`} compact />
      </div>
      {!single && tag.platforms.length > 0 && (
        <table className="platforms" aria-label={`Platforms of ${tag.name}`}>
          <colgroup>
            <col className="col-platform" />
            <col />
            <col className="col-size" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">OS/Arch</th>
              <th scope="col">Digest</th>
              <th scope="col" className="num">Compressed size</th>
            </tr>
          </thead>
          <tbody>
            {tag.platforms.map((p) => (
              <tr key={`${p.digest}-${platformName(p)}`} data-platform={platformName(p)}>
                <td data-label="OS/Arch"><span className="platform">{platformName(p)}</span></td>
                <td data-label="Digest">
                  <span className="digest">
                    <Link to={paths.image(repo.name, p.digest)} className="digest-link" aria-label={`Image ${shortDigest(p.digest)} of ${tag.name} for ${platformName(p)}`}><code title={p.digest}>{shortDigest(p.digest)}</code></Link>
                    <CopyButton text={p.digest} label={`Copy the digest of ${tag.name} for ${platformName(p)}`} compact />
                  </span>
                </td>
                <td data-label="Size" className="num">{bytes(p.size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

function RetagDialog({ repo, tag, onClose, onDone }: { repo: RepositoryDetail; tag?: TagView; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const id = useId();
  useEffect(() => {
    setName('');
    setError(undefined);
  }, [tag]);
  const submit = async () => {
    if (!tag) return;
    setBusy(true);
    try {
      await api(`${repoPath(repo.project, repo.repository)}/tags`, { method: 'POST', body: { name: name.trim(), from: tag.digest } });
      onClose();
      onDone();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={!!tag} title={`Retag ${tag?.name ?? ''}`} onClose={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <p>
          Adds a tag in <strong>{repo.name}</strong> pointing at <code>{tag ? shortDigest(tag.digest) : ''}</code>. An existing tag of that name moves.
        </p>
        <div className="field">
          <label htmlFor={`${id}-name`}>New tag</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required pattern="[A-Za-z0-9_][A-Za-z0-9._\-]{0,127}" title="Letters, digits, _ . and -, at most 128, not starting with . or -" autoFocus data-autofocus />
        </div>
        {error && <p className="field-error" role="alert">{error}</p>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>Add tag</button>
          <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteTagDialog({ repo, tag, onClose, onDone }: { repo: RepositoryDetail; tag?: TagView; onClose: () => void; onDone: () => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [image, setImage] = useState(false);
  useEffect(() => {
    setError(undefined);
    setImage(false);
  }, [tag]);
  const submit = async () => {
    if (!tag) return;
    setBusy(true);
    try {
      const base = repoPath(repo.project, repo.repository);
      // Untag keeps the manifest; deleting the image removes the manifest and every tag on it.
      await api(image ? `${base}/manifests/${encodeURIComponent(tag.digest)}` : `${base}/tags/${encodeURIComponent(tag.name)}`, { method: 'DELETE' });
      onClose();
      onDone();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={!!tag} title={`Delete tag ${tag?.name ?? ''}?`} onClose={onClose}>
      <fieldset className="field">
        <legend className="sr-only">What to delete</legend>
        <label className="radio">
          <input type="radio" name="delete-what" checked={!image} onChange={() => setImage(false)} />
          <span>
            <strong>Only the tag.</strong> <code>{repo.name}:{tag?.name}</code> stops resolving; the image <code>{tag ? shortDigest(tag.digest) : ''}</code> stays and can still be pulled by digest.
          </span>
        </label>
        <label className="radio">
          <input type="radio" name="delete-what" checked={image} onChange={() => setImage(true)} />
          <span>
            <strong>The image.</strong> Deletes <code>{tag ? shortDigest(tag.digest) : ''}</code> and every tag that points at it{tag && tag.platforms.length > 1 ? ', with its platform list' : ''}.
          </span>
        </label>
      </fieldset>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="form-actions">
        <button type="button" className="btn btn-danger" onClick={() => void submit()} disabled={busy}>{image ? 'Delete image' : 'Delete tag'}</button>
        <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
      </div>
    </Dialog>
  );
}
