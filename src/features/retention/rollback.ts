// Rollback (docs/tag-history.md): moves a tag back to a digest it pointed at before, by pushing
// that manifest's bytes under the tag through the registry as the caller, so the push and tag
// events, webhooks, the audit log, tag history and immutability see an ordinary push.
//   --to DIGEST   any manifest still in the repository (a unique prefix of one in the tag's history will do)
//   --steps N     N moves back in the tag's history: 1 is the digest before the current one; a
//                 rollback is a move too, so steps 1 twice comes back to where it started
import type { Kysely } from 'kysely';
import { RegistryError } from '../../core/errors.ts';
import { findLinkedManifest } from '../../metadata/manifests.ts';
import type { Database } from '../../metadata/schema.ts';
import { lastDeletionOf, tagHistory } from '../../metadata/tag-history.ts';
import { resolveTag } from '../../metadata/tags.ts';
import type { RequestContext } from '../../registry/context.ts';
import type { Registry } from '../../registry/registry.ts';

export interface RollbackRequest {
  readonly to?: string;
  readonly steps?: number;
}

export interface RollbackResult {
  readonly repository: string;
  readonly tag: string;
  /** Where the tag pointed before (null: it did not exist). */
  readonly from: string | null;
  readonly to: string;
  /** false when the tag already pointed there (nothing was pushed). */
  readonly moved: boolean;
  readonly steps?: number;
}

const DIGEST = /^sha(256|512):[0-9a-f]{64,128}$/;
const short = (d: string) => `${d.slice(0, 19)}…`;
const invalid = (message: string) => new RegistryError('INVALID_REQUEST', undefined, { message });
export const MAX_STEPS = 1000;

export class RollbackService {
  constructor(private readonly db: Kysely<Database>, private readonly registry: Registry) {}

  /** The digest a rollback request names (no change made). */
  async target(repository: string, repositoryId: number, tag: string, request: RollbackRequest): Promise<{ digest: string; current: string | null }> {
    const current = (await resolveTag(this.db, repositoryId, tag)) ?? null;
    if ((request.to === undefined) === (request.steps === undefined)) throw invalid('say where to roll back to: give either a digest (to, --to) or a number of moves back (steps, --steps)');
    if (request.steps !== undefined) {
      const steps = request.steps;
      if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) throw invalid(`steps is a whole number of moves back, from 1 to ${MAX_STEPS}`);
      const moves = await tagHistory(this.db, repositoryId, tag, steps);
      if (moves.length < steps) {
        throw invalid(moves.length === 0
          ? `${repository}:${tag} has no recorded history to roll back through`
          : `${repository}:${tag} has ${moves.length} recorded move${moves.length === 1 ? '' : 's'}: it cannot go ${steps} back (see berth tag history ${repository}:${tag})`);
      }
      // State k moves back is what the tag pointed at before the k-th most recent move.
      const move = moves[steps - 1]!;
      if (move.previous === null) {
        throw invalid(`${steps} move${steps === 1 ? '' : 's'} back, ${repository}:${tag} did not exist: the move of ${new Date(move.at).toISOString()} by ${move.actor} created it (berth tag history ${repository}:${tag} shows what it pointed at before)`);
      }
      return { digest: move.previous, current };
    }
    const to = request.to!.trim();
    if (DIGEST.test(to)) return { digest: to, current };
    // A short digest as history shows it (sha256:0123456789ab, or just the hex), unique among the tag's moves.
    const prefix = /^(sha(256|512):)?[0-9a-f]{6,128}$/.test(to) ? (to.includes(':') ? to : `sha256:${to}`) : undefined;
    if (!prefix) throw invalid(`${to.slice(0, 80)} is not a digest (sha256:<64 hex digits>, or a unique prefix of one in the tag's history)`);
    const moves = await tagHistory(this.db, repositoryId, tag, 10_000);
    const found = [...new Set(moves.flatMap((m) => [m.digest, m.previous]).filter((d): d is string => d !== null && d.startsWith(prefix)))];
    if (found.length === 1) return { digest: found[0]!, current };
    if (found.length > 1) throw invalid(`${to} matches ${found.length} digests in the history of ${repository}:${tag}: give more of it`);
    throw invalid(`no digest starting with ${to} in the history of ${repository}:${tag}: give the full digest`);
  }

  async rollback(ctx: RequestContext, repository: string, tag: string, request: RollbackRequest): Promise<RollbackResult> {
    const repo = await this.registry.repositories.find(repository);
    if (!repo) throw new RegistryError('NAME_UNKNOWN', { repository }, { message: `repository ${repository} does not exist` });
    const { digest, current } = await this.target(repository, repo.id, tag, request);
    const manifest = await findLinkedManifest(this.db, repo.id, digest);
    if (!manifest) {
      const gone = await lastDeletionOf(this.db, repo.id, repository, digest);
      throw new RegistryError('MANIFEST_UNKNOWN', { repository, digest }, {
        message: `${short(digest)} is no longer in ${repository}${gone ? ` (deleted ${new Date(gone.at).toISOString()} by ${gone.actor})` : ''}, so ${tag} cannot be rolled back to it: push that image again, or pick another digest from berth tag history ${repository}:${tag}`,
      });
    }
    const base = { repository, tag, from: current, to: digest, ...(request.steps !== undefined ? { steps: request.steps } : {}) };
    if (current === digest) return { ...base, moved: false };
    let bytes: Buffer;
    try {
      bytes = await this.registry.manifests.bytes(digest);
    } catch {
      throw new RegistryError('MANIFEST_UNKNOWN', { repository, digest }, { message: `the bytes of ${short(digest)} are gone from storage (garbage collected), so ${tag} cannot be rolled back to it: push that image again` });
    }
    await this.registry.manifests.put(ctx, repository, tag, bytes, manifest.media_type);
    return { ...base, moved: true };
  }
}
