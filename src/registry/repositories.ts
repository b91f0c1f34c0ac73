// Repository lookup with a small id cache: repositories are never renamed, so a name's id is
// stable for the life of the row. Rows end when their project is removed with its repositories:
// this instance forgets them at once (forget), others when told through LISTEN/NOTIFY (metadata/
// invalidations.ts) or at the latest within CACHE_MS, after which a name made again gets its new
// id everywhere.
import { projectOf } from '../core/reference.ts';
import { ensureRepository, findRepository, type RepositoryRow } from '../metadata/repositories.ts';
import type { Executor } from '../metadata/executor.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../metadata/schema.ts';

/** How long a cached id is trusted without reading the row again. */
const CACHE_MS = 15_000;

export class Repositories {
  private readonly ids = new Map<string, { row: RepositoryRow; until: number }>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The repository if it exists (no row is created by reads). */
  async find(name: string): Promise<RepositoryRow | undefined> {
    const cached = this.cached(name);
    if (cached) return cached;
    const row = await findRepository(this.db, name);
    if (row) this.remember(row);
    return row;
  }

  /** The repository, created on first write. Pass a transaction to create it inside one. */
  async ensure(name: string, now: number, db: Executor = this.db): Promise<RepositoryRow> {
    const cached = this.cached(name);
    if (cached) return cached;
    const row = await ensureRepository(db, name, projectOf(name), now);
    // Inside a transaction the row may still roll back: only cache rows read outside one.
    if (db === this.db) this.remember(row);
    return row;
  }

  forget(name: string): void {
    this.ids.delete(name);
  }

  /** Forgets every cached id (another instance's news may have been missed). */
  forgetAll(): void {
    this.ids.clear();
  }

  private cached(name: string): RepositoryRow | undefined {
    const hit = this.ids.get(name);
    if (!hit) return undefined;
    if (hit.until > Date.now()) return hit.row;
    this.ids.delete(name);
    return undefined;
  }

  private remember(row: RepositoryRow): void {
    if (this.ids.size > 50_000) this.ids.clear();
    this.ids.set(row.name, { row, until: Date.now() + CACHE_MS });
  }
}
