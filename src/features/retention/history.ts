// A tag's history (docs/tag-history.md): every move the registry recorded, newest first, with who,
// when, from which digest to which, whether each digest is still in the repository (what a
// rollback can go back to), and which entries were rollbacks.
import type { Kysely } from 'kysely';
import { RegistryError } from '../../core/errors.ts';
import type { Database } from '../../metadata/schema.ts';
import { linkedOf, tagHistory, tagHistoryCount } from '../../metadata/tag-history.ts';
import { resolveTag } from '../../metadata/tags.ts';
import type { Registry } from '../../registry/registry.ts';

export interface HistoryEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  /** The digest before the move; null when the tag was created. */
  readonly from: string | null;
  /** The digest after; null when the tag was deleted. */
  readonly to: string | null;
  /** created, moved or deleted. */
  readonly action: 'created' | 'moved' | 'deleted';
  /** Whether `to` is still in the repository (a rollback can go back to it). */
  readonly available: boolean;
}

export interface TagHistory {
  readonly repository: string;
  readonly tag: string;
  /** Where the tag points now; null when it does not exist (deleted, or never was). */
  readonly current: string | null;
  /** Moves recorded in all. */
  readonly total: number;
  readonly entries: readonly HistoryEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  readonly next: number | null;
}

export class TagHistoryService {
  constructor(private readonly db: Kysely<Database>, private readonly registry: Registry) {}

  async repositoryId(repository: string): Promise<number> {
    const repo = await this.registry.repositories.find(repository);
    if (!repo) throw new RegistryError('NAME_UNKNOWN', { repository }, { message: `repository ${repository} does not exist` });
    return repo.id;
  }

  async history(repository: string, tag: string, options: { limit: number; before?: number }): Promise<TagHistory> {
    const id = await this.repositoryId(repository);
    const limit = Math.max(1, Math.min(500, options.limit));
    const [rows, total, current] = await Promise.all([
      tagHistory(this.db, id, tag, limit + 1, options.before),
      tagHistoryCount(this.db, id, tag),
      resolveTag(this.db, id, tag),
    ]);
    const page = rows.slice(0, limit);
    const linked = await linkedOf(this.db, id, page.flatMap((r) => (r.digest ? [r.digest] : [])));
    return {
      repository, tag, current: current ?? null, total,
      entries: page.map((r) => ({
        id: r.id, at: new Date(r.at).toISOString(), actor: r.actor, from: r.previous, to: r.digest,
        action: r.digest === null ? 'deleted' : r.previous === null ? 'created' : 'moved',
        available: r.digest !== null && linked.has(r.digest),
      })),
      next: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  }
}
