// Whether an image is signed by a signer its project trusts: every signature found is checked
// (verify/), and the verdict is stored per (repository, image digest) with the policy's version
// and a stamp of the signatures it saw (their manifests' digests and names: a few indexed reads).
// A stored verdict holds while both match, so a new signature, a removed one or a policy change
// is seen at once on every instance, and the blobs are read and checked only then. A platform
// manifest is signed when it is signed itself or an index of the repository that lists it is.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { projectOf } from '../../core/reference.ts';
import type { Database } from '../../metadata/schema.ts';
import { findVerdicts, saveVerdict } from '../../metadata/trust.ts';
import type { Repositories } from '../../registry/repositories.ts';
import type { SignatureFinder } from './finder.ts';
import type { TrustSettings } from './settings.ts';
import { verifySignature, type SignatureProblem, type SignatureVerdict } from './verify/index.ts';

/** A stored verdict is recomputed after this long in any case (certificates and keys expire). */
const MAX_AGE_MS = 60 * 60_000;

export interface SignatureReport {
  readonly format: SignatureVerdict['format'];
  readonly source: { readonly kind: string; readonly ref: string };
  readonly ok: boolean;
  readonly signer: string | null;
  readonly problem: SignatureProblem | null;
  readonly claims: SignatureVerdict['claims'] | null;
}

export interface TrustVerdict {
  readonly digest: string;
  /** A trusted signer signed this image (or an index of the repository that lists it). */
  readonly signed: boolean;
  /** The names of the trusted signers whose signatures verify. */
  readonly signers: readonly string[];
  /** Why the signatures that do not verify fail, for a user. */
  readonly problems: readonly string[];
  readonly signatures: readonly SignatureReport[];
  /** The index whose signature covers this platform manifest, when that is what made it signed. */
  readonly signedVia?: string;
  readonly policyVersion: number;
  readonly computedAt: string;
  /** The signatures this verdict saw (finder.sources of the image and of the indexes listing it), hashed. */
  readonly stamp?: string;
}

export class TrustVerdicts {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repos: Repositories,
    private readonly settings: TrustSettings,
    private readonly finder: SignatureFinder,
    private readonly now: () => number = Date.now,
  ) {}

  /** The verdicts of these images of the repository (stored ones where they still hold). */
  async many(repository: string, digests: readonly string[]): Promise<Map<string, TrustVerdict>> {
    const out = new Map<string, TrustVerdict>();
    const repo = await this.repos.find(repository);
    if (!repo) return out;
    const policy = await this.settings.of(projectOf(repository));
    // Only images of the repository get a verdict (and a stored row).
    const linked = await this.db.selectFrom('repository_manifests').select('digest').where('repository_id', '=', repo.id).where('digest', 'in', [...new Set(digests)]).execute();
    const unique = linked.map((r) => r.digest);
    if (!unique.length) return out;
    const cached = await findVerdicts(this.db, repo.id, unique);
    for (const digest of unique) {
      const indexes = await this.indexesListing(repository, digest);
      const stamp = await this.stamp(repository, [digest, ...indexes]);
      const row = cached.get(digest);
      if (row && Number(row.policy_version) === policy.version && this.now() - Number(row.computed_at) < MAX_AGE_MS) {
        const stored = JSON.parse(row.verdict) as TrustVerdict;
        if (stored.stamp === stamp) {
          out.set(digest, stored);
          continue;
        }
      }
      const verdict = { ...(await this.compute(repository, digest, indexes, policy.version, policy.signers)), stamp };
      await saveVerdict(this.db, repo.id, digest, { policy_version: policy.version, signed: verdict.signed ? 1 : 0, verdict: JSON.stringify(verdict), computed_at: this.now() });
      out.set(digest, verdict);
    }
    return out;
  }

  async of(repository: string, digest: string): Promise<TrustVerdict> {
    return (await this.many(repository, [digest])).get(digest) ?? this.empty(digest, 0);
  }

  private async stamp(repository: string, digests: readonly string[]): Promise<string> {
    const h = createHash('sha256');
    for (const d of digests) h.update(`${d}\n${(await this.finder.sources(repository, d)).join('\n')}\n\n`);
    return h.digest('hex').slice(0, 32);
  }

  private async compute(repository: string, digest: string, indexes: readonly string[], version: number, signers: Parameters<typeof verifySignature>[2]): Promise<TrustVerdict> {
    const own = await this.check(repository, digest, version, signers);
    if (own.signed) return own;
    // A multi-arch image is usually signed once, on its index: a platform it lists is covered.
    for (const index of indexes) {
      const parent = await this.check(repository, index, version, signers);
      if (parent.signed) return { ...own, signed: true, signers: parent.signers, signedVia: index, problems: own.signatures.length ? own.problems : [] };
    }
    return own;
  }

  private async check(repository: string, digest: string, version: number, signers: Parameters<typeof verifySignature>[2]): Promise<TrustVerdict> {
    const found = await this.finder.find(repository, digest);
    const now = new Date(this.now());
    const signatures: SignatureReport[] = [];
    for (const f of found) {
      const v = await verifySignature(f.candidate, digest, signers, now);
      signatures.push({ format: v.format, source: f.source, ok: v.ok, signer: v.signer ?? null, problem: v.problem ?? null, claims: v.claims ?? null });
    }
    const ok = signatures.filter((s) => s.ok);
    return {
      digest,
      signed: ok.length > 0,
      signers: [...new Set(ok.map((s) => s.signer!))],
      problems: found.length
        ? [...new Set(signatures.filter((s) => !s.ok && s.problem).map((s) => `${s.format} signature: ${s.problem!.message}`))]
        : ['the image has no signature'],
      signatures,
      policyVersion: version,
      computedAt: now.toISOString(),
    };
  }

  private empty(digest: string, version: number): TrustVerdict {
    return { digest, signed: false, signers: [], problems: [], signatures: [], policyVersion: version, computedAt: new Date(this.now()).toISOString() };
  }

  /** Indexes of the repository that list this manifest. */
  private async indexesListing(repository: string, digest: string): Promise<string[]> {
    const rows = await this.db.selectFrom('manifest_refs as mr')
      .innerJoin('repository_manifests as rm', 'rm.digest', 'mr.manifest_digest')
      .innerJoin('repositories as r', 'r.id', 'rm.repository_id')
      .select('mr.manifest_digest').where('r.name', '=', repository).where('mr.kind', '=', 'manifest').where('mr.child_digest', '=', digest)
      .limit(20).execute();
    return rows.map((r) => r.manifest_digest);
  }
}
