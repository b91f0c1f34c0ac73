// The trust policy's pull gate. In enforce mode a manifest GET of an image that no trusted signer
// signed is answered 403 DENIED with a message naming the policy and why its signatures fail,
// which podman, skopeo and docker print; in audit mode the pull goes through and is recorded.
// It never stands in the way of what signing, scanning and replication need:
// - HEAD is never gated (the registry does not ask), nor Berth's own reads;
// - signatures, attestations, SBOMs and other artifacts are not images: their GETs are not gated
//   (cosign reads the .sig manifest to add a second signature; verifiers read them all);
// - an index is not gated: the platform manifest a client fetches next is, and a signature on
//   the index covers the platforms it lists;
// - a read by digest by an account that may push is a signer's read before signing;
// - the project's exempt accounts (the replication and scanning robots) are let through.
import type { Kysely } from 'kysely';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import { RegistryError } from '../../core/errors.ts';
import { isIndexMediaType } from '../../core/mediatypes.ts';
import { projectOf } from '../../core/reference.ts';
import type { Database } from '../../metadata/schema.ts';
import type { PullGate, PullRequestInfo } from '../../registry/pull-gate.ts';
import type { TrustSettings } from './settings.ts';
import type { TrustVerdicts } from './verdicts.ts';

/** Layer media types that hold a filesystem: a manifest with one is an image. */
const FILESYSTEM_LAYER = /^application\/vnd\.(oci\.image\.layer\.(nondistributable\.)?v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)/;
/** An audit-mode record per image this often at most, so a busy tag does not flood the log. */
const AUDIT_EVERY_MS = 10 * 60_000;

export class TrustPullGate implements PullGate {
  private readonly images = new Map<string, boolean>();
  private readonly audited = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: TrustSettings,
    private readonly verdicts: TrustVerdicts,
    private readonly record: ChangeRecorder,
    private readonly now: () => number = Date.now,
  ) {}

  async check(pull: PullRequestInfo): Promise<RegistryError | undefined> {
    if (isIndexMediaType(pull.mediaType)) return undefined;
    const project = projectOf(pull.repository);
    const policy = await this.settings.of(project);
    if (policy.mode === 'off') return undefined;
    if (pull.account !== undefined && policy.exempt.includes(pull.account)) return undefined;
    if (!(await this.isImage(pull.digest))) return undefined;
    const verdict = await this.verdicts.of(pull.repository, pull.digest);
    if (verdict.signed) return undefined;
    // Before the audit branch: audit records the pulls enforce would refuse, and a signer's read
    // by digest before signing is not one (cosign and skopeo --sign-by made an entry per signing).
    if (pull.byDigest && (await pull.mayPush())) return undefined;
    if (policy.mode === 'audit') {
      await this.audit(pull, project, verdict.problems);
      return undefined;
    }
    const why = verdict.problems.length ? verdict.problems.slice(0, 3).join('; ') : 'no signature verifies';
    const trusted = policy.signers.map((s) => s.name).join(', ');
    return new RegistryError('DENIED', { policy: 'trust', problems: verdict.problems.slice(0, 10), trustedSigners: policy.signers.map((s) => s.name) }, {
      message: `pull refused by the trust policy of project ${project}: ${pull.repository}@${pull.digest} is not signed by a trusted signer (${trusted}): ${why}. Sign it (docs/trust.md), or ask an owner of ${project} to trust its signer`,
    });
  }

  /** Whether the manifest holds a filesystem (manifests never change: the answer is kept). */
  private async isImage(digest: string): Promise<boolean> {
    const known = this.images.get(digest);
    if (known !== undefined) return known;
    const rows = await this.db.selectFrom('manifest_refs').select('media_type').where('manifest_digest', '=', digest).where('kind', '=', 'layer').execute();
    const image = rows.some((r) => FILESYSTEM_LAYER.test(r.media_type));
    if (this.images.size > 50_000) this.images.clear();
    this.images.set(digest, image);
    return image;
  }

  private async audit(pull: PullRequestInfo, project: string, problems: readonly string[]): Promise<void> {
    const key = `${pull.repository}@${pull.digest}`;
    const last = this.audited.get(key);
    if (last !== undefined && this.now() - last < AUDIT_EVERY_MS) return;
    if (this.audited.size > 10_000) this.audited.clear();
    this.audited.set(key, this.now());
    await this.record({
      action: 'trust.unsigned-pull', actor: SYSTEM, project, target: key,
      detail: { account: pull.account ?? 'anonymous', problems: problems.slice(0, 5) },
    });
  }
}
