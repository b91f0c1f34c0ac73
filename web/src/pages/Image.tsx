// The image page of one manifest digest (issue 17, section 1), in the spirit of Docker Hub's
// "image layers" view and Harbor's artifact page: the digest and a pull-by-digest command with copy
// buttons, the tags on it, who pushed it, and, per platform (an index offers each one; the choice
// is in ?platform=), its OS/arch, created time, compressed size (what a pull of that platform
// downloads), config, and its layers with the history command that made each one (empty steps
// marked). Referrers (signatures, SBOMs, attestations) are grouped by artifactType. With the scan
// and trust features, the vulnerability summary and the signature verdict fill their slots.
import { useState } from 'react';
import { qs, repoPath } from '../api.ts';
import { useCapability } from '../capabilities.ts';
import { Breakable, CopyButton } from '../components/CopyButton.tsx';
import { ScanState } from '../components/Severity.tsx';
import { TrustState } from '../components/Trust.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { ago, bytes, platformName, shortDigest, when } from '../format.ts';
import { useFetch } from '../hooks.ts';
import { Link, paths, useQueryState } from '../router.tsx';
import type { ImageDetails, ImageOfDigest, RepositoryDetail, ScanSummaries, TrustSummaries } from '../types.ts';

const platformOf = (i: ImageOfDigest) => (i.os && i.architecture ? platformName({ os: i.os, architecture: i.architecture, ...(i.variant ? { variant: i.variant } : {}) }) : 'unknown');

export function ImageView({ repo, digest }: { repo: RepositoryDetail; digest: string }) {
  const base = repoPath(repo.project, repo.repository);
  const details = useFetch<ImageDetails>(`${base}/manifests/${encodeURIComponent(digest)}/details`);
  const [query, setQuery] = useQueryState();
  const d = details.data;
  if (details.error) return <ErrorNote error={details.error} title="Could not load the image" />;
  if (!d) return <Loading />;
  const chosen = query.get('platform');
  const image = d.images.find((i) => platformOf(i) === chosen) ?? d.images[0];
  return (
    <section className="image-page" aria-labelledby="image-title">
      <div className="card image-summary">
        <div className="image-title-row">
          <h2 id="image-title">
            {d.kind === 'index' ? 'Image index' : 'Image'} <code title={d.digest}>{shortDigest(d.digest)}</code>
          </h2>
          <CopyButton text={d.digest} label="Copy the digest" />
        </div>
        <div className="command">
          <code><Breakable text={d.pullCommand} /></code>
          <CopyButton text={d.pullCommand} label="Copy the pull command by digest" />
        </div>
        <dl className="image-facts">
          <div>
            <dt>Digest</dt>
            <dd className="mono digest-full">{d.digest}</dd>
          </div>
          <div>
            <dt>{d.kind === 'index' ? 'Platforms' : 'OS/Arch'}</dt>
            <dd>{d.kind === 'index' ? d.images.length : image ? platformOf(image) : '—'}</dd>
          </div>
          <div>
            <dt>{d.kind === 'index' ? 'Size of all platforms' : 'Compressed size'}</dt>
            <dd>{bytes(d.size)}</dd>
          </div>
          <div>
            <dt>Pushed by</dt>
            <dd>{d.pushedBy ? <span title={when(d.pushedBy.at)}>{d.pushedBy.actor}, {ago(d.pushedBy.at)}</span> : <span className="muted">unknown</span>}</dd>
          </div>
          <div>
            <dt>Media type</dt>
            <dd className="mono small">{d.mediaType}</dd>
          </div>
          <Slots repo={repo} base={base} digest={d.digest} />
        </dl>
        <div className="image-tags">
          <h3>Tags</h3>
          {d.tags.length === 0 ? <p className="muted">No tag points at this digest{d.kind === 'image' && d.images.length ? ' (it may be a platform of an index)' : ''}.</p> : (
            <ul className="labels" aria-label="Tags on this digest">
              {d.tags.map((t) => (
                <li key={t.name}>
                  <Link to={`${paths.tags(repo.name)}?q=${encodeURIComponent(t.name)}`} className="chip chip-link" title={`Pushed ${when(t.pushedAt)}`}>{t.name}</Link>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>

      {d.kind === 'index' && (
        <div className="card flush image-platforms">
          <table className="table" aria-label="Platforms">
            <thead>
              <tr>
                <th scope="col">OS/Arch</th>
                <th scope="col">Digest</th>
                <th scope="col" className="num">Compressed size</th>
              </tr>
            </thead>
            <tbody>
              {d.images.map((i) => (
                <tr key={i.digest} data-platform={platformOf(i)}>
                  <td><span className="platform">{platformOf(i)}</span></td>
                  <td><Link to={paths.image(repo.name, i.digest)} className="mono">{shortDigest(i.digest)}</Link></td>
                  <td className="num">{bytes(i.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {d.kind === 'index' && d.images.length > 1 && (
        <div className="platform-picker" role="group" aria-label="Show the platform">
          {d.images.map((i) => (
            <button key={i.digest} type="button" className={`btn btn-small ${i === image ? 'btn-primary' : 'btn-secondary'}`} aria-pressed={i === image} onClick={() => setQuery({ platform: platformOf(i) }, { replace: true })}>
              {platformOf(i)}
            </button>
          ))}
        </div>
      )}

      {image ? <PlatformImage key={image.digest} repo={repo} image={image} inIndex={d.kind === 'index'} /> : <Empty>This index lists no platform image.</Empty>}

      <div className="card image-referrers">
        <h3>Referrers</h3>
        {d.referrers.length === 0 ? <p className="muted">No signatures, SBOMs or attestations refer to this digest.</p> : d.referrers.map((g) => (
          <div key={g.artifactType} className="referrer-group" data-artifact-type={g.artifactType}>
            <h4><code>{g.artifactType}</code> <span className="tab-count">{g.manifests.length}</span></h4>
            <ul>
              {g.manifests.map((m) => (
                <li key={m.digest}>
                  <Link to={paths.image(repo.name, m.digest)} className="mono">{shortDigest(m.digest)}</Link> <span className="muted small">{bytes(m.size)}</span>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}

/** The slots the scan and trust features fill: vulnerabilities and the signature verdict. */
function Slots({ repo, base, digest }: { repo: RepositoryDetail; base: string; digest: string }) {
  const scan = useCapability('scan');
  const trust = useCapability('trust');
  const [why, setWhy] = useState(false);
  const summaries = useFetch<ScanSummaries>(scan ? `${base}/scan-summaries${qs({ digests: digest })}` : null);
  const verdicts = useFetch<TrustSummaries>(trust ? `${base}/trust-summaries${qs({ digests: digest })}` : null);
  const s = summaries.data ? summaries.data.summaries[digest] ?? null : summaries.error ? null : undefined;
  const t = verdicts.data ? verdicts.data.summaries[digest] ?? null : verdicts.error ? null : undefined;
  return (
    <>
      {scan && (
        <div className="image-vulns" data-scan={s?.status ?? (s === null ? 'not-scanned' : 'loading')}>
          <dt>Vulnerabilities</dt>
          <dd><ScanState summary={s} to={paths.scan(repo.name, digest)} tag={shortDigest(digest)} /></dd>
        </div>
      )}
      {trust && (
        <div className="image-trust">
          <dt>Signature</dt>
          <dd>
            {/* With the project's trust mode off, TrustState says nothing of an unsigned image: this slot still does. */}
            {t && !t.signed && t.signatures === 0 && verdicts.data?.mode === 'off' && <span className="muted">Unsigned</span>}
            <TrustState summary={t} mode={verdicts.data?.mode ?? 'audit'} to={paths.signatures(repo.name, digest)} tag={shortDigest(digest)} expanded={why} panelId="image-trust-why" onToggle={() => setWhy((v) => !v)} />
            {why && t && <ul id="image-trust-why" className="small">{t.problems.map((p) => <li key={p}>{p}</li>)}</ul>}
          </dd>
        </div>
      )}
    </>
  );
}

function PlatformImage({ repo, image, inIndex }: { repo: RepositoryDetail; image: ImageOfDigest; inIndex: boolean }) {
  const c = image.config;
  const name = platformOf(image);
  const list = (v: string[] | undefined) => (v && v.length ? <code className="config-value">{JSON.stringify(v)}</code> : <span className="muted">—</span>);
  return (
    <section className="card image-platform" aria-label={`Image for ${name}`} data-platform={name}>
      <div className="image-title-row">
        <h3>
          <span className="platform">{name}</span>
          {inIndex && <> · <Link to={paths.image(repo.name, image.digest)} className="mono">{shortDigest(image.digest)}</Link></>}
        </h3>
        {inIndex && <CopyButton text={image.digest} label={`Copy the digest for ${name}`} compact />}
      </div>
      <dl className="image-facts">
        <div><dt>OS/Arch</dt><dd className="platform">{name}</dd></div>
        <div><dt>Compressed size</dt><dd>{bytes(image.size)}</dd></div>
        <div><dt>Created</dt><dd title={when(image.created)}>{image.created ? ago(image.created) : '—'}</dd></div>
        <div><dt>Layers</dt><dd>{image.layers.length}</dd></div>
        {image.artifactType && <div><dt>Artifact type</dt><dd className="mono small">{image.artifactType}</dd></div>}
      </dl>

      <h4>Layers</h4>
      {image.history.length === 0 ? <p className="muted">No layers.</p> : (
        <ol className="layers" aria-label={`Layers of ${name}`}>
          {image.history.map((h, i) => (
            <li key={i} className={`layer ${h.emptyLayer ? 'layer-empty' : ''}`} data-empty={h.emptyLayer ? 'true' : undefined}>
              <span className="layer-index" aria-hidden="true">{i + 1}</span>
              <code className="layer-command" title={h.createdBy}>{h.createdBy ? cleanCommand(h.createdBy) : <span className="muted">(no history)</span>}</code>
              <span className="layer-size">
                {h.layer ? <span title={h.layer.digest}>{bytes(h.layer.size)}</span> : <span className="chip">empty layer</span>}
              </span>
            </li>
          ))}
        </ol>
      )}

      <h4>Config</h4>
      <dl className="config-list">
        <div><dt>Entrypoint</dt><dd>{list(c.entrypoint)}</dd></div>
        <div><dt>Cmd</dt><dd>{list(c.cmd)}</dd></div>
        <div><dt>Working dir</dt><dd>{c.workingDir ? <code>{c.workingDir}</code> : <span className="muted">—</span>}</dd></div>
        <div><dt>User</dt><dd>{c.user ? <code>{c.user}</code> : <span className="muted">—</span>}</dd></div>
        <div><dt>Exposed ports</dt><dd>{c.exposedPorts?.length ? c.exposedPorts.map((p) => <span key={p} className="chip">{p}</span>) : <span className="muted">—</span>}</dd></div>
        <div>
          <dt>Env</dt>
          <dd>{c.env?.length ? <ul className="config-env">{c.env.map((e) => <li key={e}><code>{e}</code></li>)}</ul> : <span className="muted">—</span>}</dd>
        </div>
        <div>
          <dt>Labels</dt>
          <dd>{c.labels && Object.keys(c.labels).length ? <ul className="config-env">{Object.entries(c.labels).map(([k, v]) => <li key={k}><code>{k}={v}</code></li>)}</ul> : <span className="muted">—</span>}</dd>
        </div>
      </dl>
    </section>
  );
}

/** Docker's `/bin/sh -c #(nop) ` prefix says nothing a reader needs. */
function cleanCommand(command: string): string {
  return command.replace(/^\/bin\/sh -c #\(nop\)\s+/, '').replace(/^\/bin\/sh -c /, 'RUN ').trim();
}
