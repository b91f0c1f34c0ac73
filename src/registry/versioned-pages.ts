// Cached pages per repository, valid for one repository version: a newer version drops them.
// Bounded: a few pages per repository, and a fixed number of repositories.
const MAX_REPOSITORIES = 2000;
const MAX_PAGES_PER_REPOSITORY = 16;

interface Entry<P> {
  version: number;
  pages: Map<string, P>;
}

export class VersionedPages<P> {
  private readonly entries = new Map<number, Entry<P>>();

  get(repositoryId: number, version: number, key: string): P | undefined {
    const entry = this.entries.get(repositoryId);
    return entry && entry.version === version ? entry.pages.get(key) : undefined;
  }

  set(repositoryId: number, version: number, key: string, page: P): void {
    let entry = this.entries.get(repositoryId);
    if (!entry || entry.version !== version) {
      if (!entry && this.entries.size >= MAX_REPOSITORIES) this.entries.delete(this.entries.keys().next().value!);
      entry = { version, pages: new Map() };
      this.entries.set(repositoryId, entry);
    }
    if (entry.pages.size >= MAX_PAGES_PER_REPOSITORY) entry.pages.delete(entry.pages.keys().next().value!);
    entry.pages.set(key, page);
  }
}
