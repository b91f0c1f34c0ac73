// One image's signatures (a tag or a digest; GET /repositories/{p}/{r}/trust/{reference}): the
// verdict against the project's trusted signers and its trust mode, then every signature found
// (cosign's .sig tag, Sigstore bundles and Notation signatures as referrers, GPG signatures of the
// signature extension), each with its format, where it is, whether it verifies and with whose key,
// and why not (wrong key, digest mismatch, expired certificate, identity mismatch, ...). Also the
// panel the tags view opens under an unverified tag: the reasons, readable, from the same answer.
import { useId } from 'react';
import { repoPath } from '../api.ts';
import { formatLabel, ReasonBadge, reasonLabel, sourceLabel, VerdictBadge } from '../components/Trust.tsx';
import { Empty, ErrorNote, Loading } from '../components/States.tsx';
import { ago, shortDigest, when } from '../format.ts';
import { useFetch } from '../hooks.ts';
import { Link, paths } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { RepositoryDetail, SignatureReport, TrustMode, TrustVerdict } from '../types.ts';

const isDigest = (reference: string) => /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(reference);

const MODE_TEXT: Record<TrustMode, string> = {
  off: 'Trust is off in this project: signatures are shown, never required.',
  audit: 'This project audits signatures: pulls of images no trusted signer signed are recorded, not refused.',
  enforce: 'This project enforces signatures: images no trusted signer signed cannot be pulled.',
};

function verdictPath(repo: RepositoryDetail, reference: string): string {
  return `${repoPath(repo.project, repo.repository)}/trust/${encodeURIComponent(reference)}`;
}

export function SignaturesView({ repo, reference }: { repo: RepositoryDetail; reference: string }) {
  const { me } = useSession();
  const ids = useId();
  const verdict = useFetch<TrustVerdict>(verdictPath(repo, reference));
  const full = isDigest(reference) ? `${repo.name}@${reference}` : `${repo.name}:${reference}`;
  if (verdict.error && !verdict.data) return <ErrorNote error={verdict.error} title="Could not load the signatures" />;
  if (!verdict.data) return <Loading label="Loading the signatures" />;
  const v = verdict.data;
  const failing = v.signatures.filter((s) => !s.ok).length;
  return (
    <section className="signatures-page" aria-labelledby={`${ids}-h`}>
      <p className="back-link"><Link to={paths.tags(repo.name)}>← All tags</Link></p>
      <div className="card report-head">
        <div className="report-title">
          <h2 id={`${ids}-h`}>Signatures of <code>{full}</code></h2>
          <p className="small muted">
            <span className="digest"><Link to={paths.image(repo.name, v.digest)} className="digest-link"><code title={v.digest}>{shortDigest(v.digest)}</code></Link></span>
            {' · '}{v.signatures.length === 0 ? 'no signatures' : `${v.signatures.length} signature${v.signatures.length === 1 ? '' : 's'}`}
            {failing > 0 && v.signatures.length > failing && <> · {failing} not verified</>}
            {' · '}checked <span title={when(v.computedAt)}>{ago(v.computedAt)}</span>
          </p>
          <p className="trust-verdict" data-testid="trust-verdict">
            <VerdictBadge signed={v.signed} signers={v.signers} signatures={v.signatures.length} mode={v.mode} />
          </p>
          {v.signedVia && (
            <p className="small" data-testid="signed-via">
              Signed through the index <Link to={paths.image(repo.name, v.signedVia)} className="digest-link"><code title={v.signedVia}>{shortDigest(v.signedVia)}</code></Link>, which lists this platform.
            </p>
          )}
        </div>
      </div>
      <div className={`note ${v.mode === 'enforce' && !v.signed ? 'note-error' : v.mode === 'off' ? 'note-muted' : 'note-warn'}`} role="status" data-testid="trust-mode">
        {MODE_TEXT[v.mode]}
        {v.mode === 'enforce' && !v.signed && <> <strong>This image is refused.</strong></>}
        {me && <> <Link to={paths.project(repo.project, 'settings')}>Trusted signers and mode</Link></>}
      </div>
      {v.signatures.length === 0 ? (
        <Empty>
          No signatures. Sign with <code>skopeo copy --sign-by</code>, <code>podman push --sign-by</code>, <code>cosign sign</code> or <code>notation sign</code>.
        </Empty>
      ) : (
        <ol className="signature-list" aria-label="Signatures">
          {v.signatures.map((s, i) => <SignatureCard key={`${s.source.kind}-${s.source.ref}-${i}`} s={s} n={i + 1} />)}
        </ol>
      )}
    </section>
  );
}

function SignatureCard({ s, n }: { s: SignatureReport; n: number }) {
  const where = sourceLabel(s.source);
  const c = s.claims ?? {};
  return (
    <li className={`signature-card ${s.ok ? 'signature-ok' : 'signature-bad'}`} data-format={s.format} data-ok={String(s.ok)} data-code={s.problem?.code ?? ''} aria-label={`Signature ${n}`}>
      <div className="signature-head">
        <h3>{formatLabel(s.format)}</h3>
        {s.ok ? <span className="trust-reason trust-reason-ok">Verified</span> : <ReasonBadge code={s.problem?.code ?? 'unknown'} />}
      </div>
      {!s.ok && s.problem && <p className="signature-problem" data-testid="signature-problem">{s.problem.message}</p>}
      <dl className="signature-facts">
        <div>
          <dt>Where</dt>
          <dd>{where.what} <code title={where.full}>{where.ref}</code></dd>
        </div>
        <div>
          <dt>Signer</dt>
          <dd data-testid="signature-signer">{s.signer ?? <span className="muted">no trusted signer</span>}</dd>
        </div>
        {c.subject && (
          <div>
            <dt>Identity</dt>
            <dd>{c.subject}</dd>
          </div>
        )}
        {c.issuer && (
          <div>
            <dt>Issuer</dt>
            <dd>{c.issuer}</dd>
          </div>
        )}
        {c.dockerReference && (
          <div>
            <dt>Signed reference</dt>
            <dd><code>{c.dockerReference}</code></dd>
          </div>
        )}
        {c.predicateType && (
          <div>
            <dt>Predicate</dt>
            <dd><code>{c.predicateType}</code></dd>
          </div>
        )}
        {c.signedAt && (
          <div>
            <dt>Signed</dt>
            <dd title={when(c.signedAt)}>{ago(c.signedAt)}</dd>
          </div>
        )}
      </dl>
    </li>
  );
}

/**
 * Under an unverified tag in the tags view: why each of its signatures fails, with the reason
 * spelled out (one request, made when the panel opens), and a link to the signature page.
 */
export function WhyUnverified({ repo, tag, digest, problems, id }: { repo: RepositoryDetail; tag: string; digest: string; problems: readonly string[]; id: string }) {
  const verdict = useFetch<TrustVerdict>(verdictPath(repo, digest));
  const failing = verdict.data?.signatures.filter((s) => !s.ok) ?? [];
  return (
    <div className="trust-panel" id={id} role="region" aria-label={`Why the signatures of ${tag} do not verify`}>
      {verdict.error && !verdict.data ? (
        <>
          <ErrorNote error={verdict.error} title="Could not load the signatures" />
          <ul className="trust-problems">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
        </>
      ) : !verdict.data ? (
        <Loading label="Loading the signatures" />
      ) : (
        <ul className="trust-problems">
          {failing.map((s, i) => (
            <li key={`${s.source.ref}-${i}`} data-code={s.problem?.code ?? ''}>
              <ReasonBadge code={s.problem?.code ?? 'unknown'} />
              <span className="trust-problem-format">{formatLabel(s.format)}</span>
              <span className="trust-problem-message">{s.problem?.message ?? reasonLabel('')}</span>
            </li>
          ))}
        </ul>
      )}
      <Link to={paths.signatures(repo.name, tag)} className="small">All signature details</Link>
    </div>
  );
}
