// Signatures the way the tags view and the signature page show them: a tag's badge ("Signed · ci",
// "Unverified", "Unsigned"), the readable names of the reasons a signature fails (the API's
// problem codes), the signature formats and where a signature was found.
import { shortDigest } from '../format.ts';
import { Link } from '../router.tsx';
import type { SignatureFormat, SignatureReport, TrustMode, TrustSummary } from '../types.ts';

const REASONS: Record<string, string> = {
  'wrong-key': 'Wrong key',
  'digest-mismatch': 'Digest mismatch',
  'expired-certificate': 'Expired certificate',
  'expired-signature': 'Expired signature',
  'identity-mismatch': 'Identity mismatch',
  'untrusted-chain': 'Untrusted certificate chain',
  malformed: 'Malformed signature',
  unsupported: 'Unsupported signature',
};

/** "wrong-key" → "Wrong key" (an unknown code is spelled out the same way). */
export function reasonLabel(code: string): string {
  const known = REASONS[code];
  if (known) return known;
  const words = code.replace(/[-_]+/g, ' ').trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : 'Does not verify';
}

const FORMATS: Record<SignatureFormat, string> = {
  cosign: 'cosign',
  'sigstore-bundle': 'Sigstore bundle',
  notation: 'Notation',
  gpg: 'GPG simple signing',
};

export function formatLabel(format: string): string {
  return FORMATS[format as SignatureFormat] ?? format;
}

/** Where a signature was found, for people: the .sig tag's manifest, a referrer, an extension signature. */
export function sourceLabel(source: SignatureReport['source']): { what: string; ref: string; full: string } {
  if (source.kind === 'cosign-tag') return { what: 'cosign .sig tag', ref: shortDigest(source.ref), full: source.ref };
  if (source.kind === 'referrer') return { what: 'OCI referrer', ref: shortDigest(source.ref), full: source.ref };
  if (source.kind === 'extension') {
    const at = source.ref.indexOf('@');
    return { what: 'Signature extension', ref: at < 0 ? source.ref : source.ref.slice(at + 1), full: source.ref };
  }
  return { what: source.kind, ref: source.ref, full: source.ref };
}

/** cosign's tags that follow a subject (sha256-<hex>.sig, .att, .sbom): they are not images to sign. */
export const COSIGN_TAG = /^(sha(?:256|512))-([0-9a-f]{64,128})\.(sig|att|sbom)$/;

export function cosignSubject(tag: string): { digest: string; kind: 'sig' | 'att' | 'sbom' } | undefined {
  const m = COSIGN_TAG.exec(tag);
  return m ? { digest: `${m[1]}:${m[2]}`, kind: m[3] as 'sig' | 'att' | 'sbom' } : undefined;
}

const CHECK = (
  <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
    <path d="M8 1 2.5 3.2v4.1c0 3.3 2.3 6.3 5.5 7.2 3.2-.9 5.5-3.9 5.5-7.2V3.2z" fill="currentColor" opacity=".18" />
    <path d="m5.3 8 1.9 1.9 3.5-3.6" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);
const WARN = (
  <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
    <path d="M8 1.8 15 14H1z" fill="currentColor" opacity=".18" />
    <path d="M8 6v3.6M8 11.6v.2" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" />
  </svg>
);

/** "Signed · ci, release" */
export function signedText(signers: readonly string[]): string {
  return signers.length ? `Signed · ${signers.join(', ')}` : 'Signed';
}

/** "Unverified · Wrong key, Digest mismatch" (just "Unverified" when the reasons are not known). */
export function unverifiedText(reasons: readonly string[] | undefined): string {
  return reasons?.length ? `Unverified · ${reasons.map(reasonLabel).join(', ')}` : 'Unverified';
}

/** The verdict as a badge (not a link): Signed · names, Unverified · reasons, Unsigned. */
export function VerdictBadge({ signed, signers, signatures, mode, reasons }: { signed: boolean; signers: readonly string[]; signatures: number; mode: TrustMode; reasons?: readonly string[] }) {
  if (signed) return <span className="trust-badge trust-signed">{CHECK}{signedText(signers)}</span>;
  if (signatures > 0) return <span className="trust-badge trust-unverified">{WARN}{unverifiedText(reasons)}</span>;
  return <span className={`trust-badge ${mode === 'enforce' ? 'trust-unsigned-enforced' : 'trust-unsigned'}`}>Unsigned</span>;
}

/**
 * A tag's signature state in the tags view: "Signed · ci" linking to the signature page;
 * "Unverified" (signatures, none verifies) as a button that shows why (`onToggle`); "Unsigned",
 * prominent when the project enforces signatures, quiet in audit mode and left out when trust is off.
 * Returns null when there is nothing to show.
 */
export function TrustState({ summary, mode, to, tag, expanded, panelId, onToggle }: {
  summary: TrustSummary | null | undefined;
  mode: TrustMode;
  to: string;
  tag: string;
  expanded: boolean;
  panelId: string;
  onToggle: () => void;
}) {
  if (summary === undefined) return <span className="muted trust-state" aria-busy="true">…</span>;
  const signatures = summary?.signatures ?? 0;
  if (summary?.signed) {
    const extra = summary.problems.length ? ` (${summary.problems.length} other signature${summary.problems.length === 1 ? '' : 's'} did not verify)` : '';
    return (
      <Link to={to} className="trust-state trust-link" aria-label={`${tag}: signed by ${summary.signers.join(', ')}${extra}; open the signature details`} title={summary.problems.join('\n') || undefined}>
        <VerdictBadge signed signers={summary.signers} signatures={signatures} mode={mode} />
      </Link>
    );
  }
  if (signatures > 0) {
    return (
      <button
        type="button"
        className="trust-state trust-toggle"
        aria-expanded={expanded}
        aria-controls={panelId}
        aria-label={`${tag}: ${signatures} signature${signatures === 1 ? '' : 's'}, none verifies; ${expanded ? 'hide' : 'show'} why`}
        title={summary!.problems.join('\n') || undefined}
        onClick={onToggle}
      >
        <VerdictBadge signed={false} signers={[]} signatures={signatures} mode={mode} {...(summary!.problemCodes ? { reasons: summary!.problemCodes } : {})} />
        <span className="trust-why" aria-hidden="true">{expanded ? 'Hide' : 'Why?'}</span>
      </button>
    );
  }
  if (mode === 'off') return null;
  return (
    <Link
      to={to}
      className="trust-state trust-link"
      aria-label={mode === 'enforce' ? `${tag}: unsigned, so pulls are refused (the project enforces signatures); open the signature details` : `${tag}: unsigned; open the signature details`}
      title={mode === 'enforce' ? 'Pulls are refused: the project enforces signatures' : 'No signature (the project audits unsigned pulls)'}
    >
      <VerdictBadge signed={false} signers={[]} signatures={0} mode={mode} />
    </Link>
  );
}

/** The reason a signature fails, as a small badge. */
export function ReasonBadge({ code }: { code: string }) {
  return <span className="trust-reason" data-code={code}>{reasonLabel(code)}</span>;
}
