// Content discovery: tag lists, the catalog and the referrers API, all sorted and paged in SQL.
import { parseDigest } from '../core/digest.ts';
import { RegistryError } from '../core/errors.ts';
import { MediaType } from '../core/mediatypes.ts';
import { shortRepositoryName } from '../core/reference.ts';
import { listCatalogNames, repositoryVersion } from '../metadata/repositories.ts';
import { VersionedPages } from './versioned-pages.ts';
import { listReferrers } from '../metadata/manifests.ts';
import { listTags } from '../metadata/tags.ts';
import type { RegistryDeps } from './deps.ts';
import type { Repositories } from './repositories.ts';

export interface Page<T> {
  readonly items: T[];
  /** The `last` value of the next page, when there is one. */
  readonly next?: string;
}

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: {
    mediaType: string;
    digest: string;
    size: number;
    artifactType?: string;
    annotations?: Record<string, string>;
  }[];
}

export class DiscoveryService {
  private readonly tagPages = new VersionedPages<Page<string>>();

  constructor(private readonly deps: RegistryDeps, private readonly repos: Repositories) {}

  /** Clamps the client's `n` to the configured page maximum (no `n`: the maximum). */
  pageSize(n: number | undefined): number {
    const max = this.deps.limits.pageMaxEntries;
    return n === undefined ? max : Math.min(n, max);
  }

  async tags(repository: string, n: number | undefined, last: string | undefined): Promise<Page<string>> {
    const repo = await this.repos.find(repository);
    if (!repo) throw new RegistryError('NAME_UNKNOWN', { name: repository });
    const size = this.pageSize(n);
    if (size === 0) return { items: [] };
    // A tag list is re-read only when the repository's version moved (one point query instead
    // of reading every tag); the version lives in the DB, so this holds across instances.
    const version = await repositoryVersion(this.deps.db, repo.id);
    const key = `${size}\0${last ?? ''}`;
    const cached = version === undefined ? undefined : this.tagPages.get(repo.id, version, key);
    if (cached) return cached;
    const rows = await listTags(this.deps.db, repo.id, size + 1, last);
    const result = page(rows, size);
    if (version !== undefined) this.tagPages.set(repo.id, version, key, result);
    return result;
  }

  /** Catalog page; `visible` filters out repositories the caller may not see (after paging SQL). */
  async catalog(n: number | undefined, last: string | undefined): Promise<Page<string>> {
    const size = this.pageSize(n);
    if (size === 0) return { items: [] };
    // Canonical names in the catalog's order (by short name); `last` and `next` are short names,
    // the form the catalog lists.
    const rows = await listCatalogNames(this.deps.db, size + 1, last);
    const result = page(rows, size);
    return result.next === undefined ? result : { items: result.items, next: shortRepositoryName(result.next) };
  }

  async referrers(repository: string, digest: string, artifactType?: string): Promise<ReferrersIndex> {
    const subject = parseDigest(digest).digest;
    const repo = await this.repos.find(repository);
    const rows = repo ? await listReferrers(this.deps.db, repo.id, subject, artifactType) : [];
    return {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: rows.map((r) => ({
        mediaType: r.media_type,
        digest: r.digest,
        size: r.size,
        ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
        ...(r.annotations ? { annotations: JSON.parse(r.annotations) as Record<string, string> } : {}),
      })),
    };
  }
}

function page(rows: string[], size: number): Page<string> {
  if (rows.length <= size) return { items: rows };
  const items = rows.slice(0, size);
  return { items, next: items[items.length - 1] };
}
