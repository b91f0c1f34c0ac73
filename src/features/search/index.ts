// Search (DESIGN.md, features/search): repositories by name, project, description and labels,
// filtered by what the caller may pull, in SQL. enableSearch wires it for the composition root.
import type { Kysely } from 'kysely';
import { readScope, type ReadScope } from '../../auth/read-scope.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import type { Dialect } from '../../metadata/db.ts';
import type { Database } from '../../metadata/schema.ts';
import { postgresSearch, sqliteSearch, type SearchDialect } from './dialects.ts';
import { anyRepositoryHidden, projectReadable, searchRepositories, type SearchPage, type SearchParams } from './repositories-query.ts';

export { MAX_QUERY_LENGTH, tokenize } from './query.ts';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SEARCH_SORTS, type SearchPage, type SearchParams, type SearchRow, type SearchSort } from './repositories-query.ts';

export interface SearchOptions {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * No identity services (auth.mode none or htpasswd): every repository is visible to everyone,
   * as every repository is pullable by whoever passes the registry's login.
   */
  readonly open: boolean;
}

/** How long the answer of hiddenFromAnonymous is reused (a push or a visibility change shows after this). */
const HIDDEN_CHECK_MS = 5000;

export class SearchService {
  private readonly dialect: SearchDialect;
  private hidden: { at: number; answer: Promise<boolean> } | undefined;

  constructor(private readonly options: SearchOptions) {
    this.dialect = options.dialect === 'postgres' ? postgresSearch : sqliteSearch;
  }

  /** What `principal` (undefined: anonymous) may read. */
  scopeFor(principal: Principal | undefined): ReadScope {
    return this.options.open ? { kind: 'open' } : readScope(principal);
  }

  async search(principal: Principal | undefined, params: SearchParams): Promise<SearchPage> {
    return searchRepositories(this.options.db, this.dialect, this.scopeFor(principal), params);
  }

  /**
   * Whether anonymous callers cannot see some tagged repository (a private project's): then any
   * anonymous search could miss something a signed-in caller would find. Registry-wide, never per
   * query, so that the answer says nothing about which names or words are private. Reused for
   * a few seconds.
   */
  async hiddenFromAnonymous(now = Date.now()): Promise<boolean> {
    if (!this.hidden || now - this.hidden.at > HIDDEN_CHECK_MS) {
      const answer = anyRepositoryHidden(this.options.db, this.scopeFor(undefined));
      this.hidden = { at: now, answer };
      answer.catch(() => { if (this.hidden?.answer === answer) this.hidden = undefined; });
    }
    return this.hidden.answer;
  }

  /** A project's repositories; 404 when the project is missing or the caller may not read it. */
  async projectRepositories(principal: Principal | undefined, project: string, params: Omit<SearchParams, 'project'>): Promise<SearchPage> {
    const scope = this.scopeFor(principal);
    if (!(await projectReadable(this.options.db, scope, project))) {
      throw new RegistryError('NOT_FOUND', { project }, { message: `no project named ${project}` });
    }
    return searchRepositories(this.options.db, this.dialect, scope, { ...params, project });
  }
}

export function enableSearch(options: SearchOptions): SearchService {
  return new SearchService(options);
}
