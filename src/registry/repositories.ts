// Repository lookup with a small id cache: repositories are never renamed, so a name's id is
// stable for the life of the row.
import { projectOf } from '../core/reference.ts';
import { ensureRepository, findRepository, type RepositoryRow } from '../metadata/repositories.ts';
import type { Executor } from '../metadata/executor.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../metadata/schema.ts';

export class Repositories {
  private readonly ids = new Map<string, RepositoryRow>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The repository if it exists (no row is created by reads). */
  async find(name: string): Promise<RepositoryRow | undefined> {
    const cached = this.ids.get(name);
    if (cached) return cached;
    const row = await findRepository(this.db, name);
    if (row) this.remember(row);
    return row;
  }

  /** The repository, created on first write. Pass a transaction to create it inside one. */
  async ensure(name: string, now: number, db: Executor = this.db): Promise<RepositoryRow> {
    const cached = this.ids.get(name);
    if (cached) return cached;
    const row = await ensureRepository(db, name, projectOf(name), now);
    // Inside a transaction the row may still roll back: only cache rows read outside one.
    if (db === this.db) this.remember(row);
    return row;
  }

  forget(name: string): void {
    this.ids.delete(name);
  }

  private remember(row: RepositoryRow): void {
    if (this.ids.size > 50_000) this.ids.clear();
    this.ids.set(row.name, row);
  }
}
