// One search as SQL: text match (dialect-specific), visibility, filters, order and paging, with
// the total counted under the same conditions, so pages and `total` never show or count a
// repository the caller may not see. Only repositories with at least one tag take part.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { PULL_ROLES, type ReadScope } from '../../auth/read-scope.ts';
import { OFFICIAL_PROJECT } from '../../core/reference.ts';
import type { RepositorySummaryRow } from '../../metadata/repository-pages.ts';
import type { Database } from '../../metadata/schema.ts';
import type { SearchDialect } from './dialects.ts';
import { exactName, nameText, tokenize } from './query.ts';

export type SearchSort = 'relevance' | 'pulls' | 'stars' | 'updated' | 'name';
export const SEARCH_SORTS: readonly SearchSort[] = ['relevance', 'pulls', 'stars', 'updated', 'name'];

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;

export interface SearchParams {
  readonly q?: string;
  /** true: only library; false: everything but library. */
  readonly official?: boolean;
  readonly verified?: boolean;
  readonly sponsored?: boolean;
  readonly project?: string;
  /** One label (a word of repositories.labels). */
  readonly label?: string;
  /**
   * true: only repositories with a tag whose image has a scan report (for an index, any of its
   * platform manifests); false: only the others.
   */
  readonly scanned?: boolean;
  /** Default: relevance with a query, pulls without. */
  readonly sort?: SearchSort;
  /** From 1. */
  readonly page?: number;
  /** 1..100, default 25. */
  readonly n?: number;
}

/** A repository as search shows it (what http/api/discovery-schemas' toRepositorySummary takes). */
export type SearchRow = RepositorySummaryRow;

export interface SearchPage {
  readonly total: number;
  readonly page: number;
  readonly n: number;
  readonly rows: SearchRow[];
}

/** The repositories a scope may read, as a condition on `p` (projects, left-joined by name). */
export function visibleTo(scope: ReadScope): RawBuilder<unknown> {
  switch (scope.kind) {
    case 'open': return sql`1 = 1`;
    case 'all': return sql`p.id is not null`;
    case 'none': return sql`1 = 0`;
    case 'some': {
      const any: RawBuilder<unknown>[] = [sql`p.visibility = 'public'`];
      if (scope.projects.length > 0) any.push(sql`p.name in (${sql.join(scope.projects)})`);
      if (scope.memberOf !== undefined && (scope.memberLimit === undefined || scope.memberLimit.length > 0)) {
        const member = sql`p.id in (select m.project_id from project_members m where m.user_id = ${scope.memberOf} and m.role in (${sql.join(PULL_ROLES)}))`;
        any.push(scope.memberLimit ? sql`(${member} and p.name in (${sql.join(scope.memberLimit)}))` : member);
      }
      return sql`(p.id is not null and (${sql.join(any, sql` or `)}))`;
    }
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Some tag of `r` names a scanned image: its manifest has a row in scan_reports, or (an index)
 * one of the manifests it lists does. Plain SQL, the same on SQLite and PostgreSQL.
 */
const HAS_SCAN = sql`exists (select 1 from tags t where t.repository_id = r.id and (
    exists (select 1 from scan_reports s where s.manifest_digest = t.digest)
    or exists (select 1 from manifest_refs mr join scan_reports s on s.manifest_digest = mr.child_digest
      where mr.manifest_digest = t.digest and mr.kind = 'manifest')))`;

function flag(column: RawBuilder<unknown>, wanted: boolean): RawBuilder<unknown> {
  return wanted ? sql`coalesce(${column}, 0) = 1` : sql`coalesce(${column}, 0) = 0`;
}

export async function searchRepositories(db: Kysely<Database>, dialect: SearchDialect, scope: ReadScope, params: SearchParams): Promise<SearchPage> {
  const n = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(params.n ?? DEFAULT_PAGE_SIZE)));
  const page = Math.max(1, Math.floor(params.page ?? 1));
  const text = params.q?.trim() ?? '';
  const tokens = tokenize(text);
  // Text with no words in it ("*", `"`) matches nothing, rather than everything.
  if (text !== '' && tokens.length === 0) return { total: 0, page, n, rows: [] };
  const match = tokens.length > 0 ? dialect.match(tokens, nameText(text)) : undefined;

  const conds: RawBuilder<unknown>[] = [sql`exists (select 1 from tags t where t.repository_id = r.id)`, visibleTo(scope)];
  if (match) conds.push(match.where);
  if (params.official !== undefined) conds.push(params.official ? sql`r.project = ${OFFICIAL_PROJECT}` : sql`r.project <> ${OFFICIAL_PROJECT}`);
  if (params.verified !== undefined) conds.push(flag(sql`p.verified`, params.verified));
  if (params.sponsored !== undefined) conds.push(flag(sql`p.sponsored`, params.sponsored));
  if (params.project !== undefined) conds.push(sql`r.project = ${params.project}`);
  if (params.scanned !== undefined) conds.push(params.scanned ? HAS_SCAN : sql`not ${HAS_SCAN}`);
  if (params.label !== undefined) conds.push(sql`(' ' || r.labels || ' ') like ${`% ${escapeLike(params.label.toLowerCase())} %`} escape '\\'`);
  const where = sql.join(conds, sql` and `);
  const from = sql`repositories r left join projects p on p.name = r.project`;

  const sort = params.sort === 'relevance' && !match ? 'pulls' : (params.sort ?? (match ? 'relevance' : 'pulls'));
  let order: RawBuilder<unknown>;
  switch (sort) {
    case 'relevance': {
      const exact = exactName(text);
      // An exact name ("nginx" for library/nginx or acme/nginx, or the full name) comes first,
      // then matches of every word's prefix (by text score), then substrings of names.
      const isExact = sql`case when r.name = ${exact} or substr(r.name, length(r.project) + 2) = ${exact} then 1 else 0 end`;
      order = sql`${isExact} desc, ${match!.prefix} desc, ${match!.score} desc, r.pull_count desc, r.name asc`;
      break;
    }
    case 'pulls': order = sql`r.pull_count desc, r.name asc`; break;
    case 'stars': order = sql`r.star_count desc, r.pull_count desc, r.name asc`; break;
    case 'updated': order = sql`r.updated_at desc, r.name asc`; break;
    case 'name': order = sql`r.name asc`; break;
  }

  // What the relevance order reads (a prefix match's score): joined for that page only.
  const pageFrom = match && sort === 'relevance' ? sql`repositories r ${match.join} left join projects p on p.name = r.project` : from;
  const count = await sql<{ total: number }>`select count(*) as total from ${from} where ${where}`.execute(db);
  const total = Number(count.rows[0]?.total ?? 0);
  if (total <= (page - 1) * n) return { total, page, n, rows: [] };
  const found = await sql<Omit<SearchRow, 'tag_count'>>`select r.id, r.name, r.project, r.description, r.short_description, r.labels, r.pull_count, r.star_count,
      r.updated_at, r.last_pulled_at, coalesce(p.visibility, 'public') as visibility,
      coalesce(p.verified, 0) as verified, coalesce(p.sponsored, 0) as sponsored
    from ${pageFrom} where ${where} order by ${order} limit ${n} offset ${(page - 1) * n}`.execute(db);
  const ids = found.rows.map((r) => r.id);
  const counts = new Map<number, number>();
  if (ids.length > 0) {
    const tagCounts = await db.selectFrom('tags').select(['repository_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('repository_id', 'in', ids).groupBy('repository_id').execute();
    for (const t of tagCounts) counts.set(Number(t.repository_id), Number(t.n));
  }
  return { total, page, n, rows: found.rows.map((r) => ({ ...r, tag_count: counts.get(r.id) ?? 0 })) };
}

/** Whether `project` exists and the scope may read it (open scopes read every name). */
export async function projectReadable(db: Kysely<Database>, scope: ReadScope, project: string): Promise<boolean> {
  if (scope.kind === 'open') return true;
  const row = await sql<{ id: number }>`select p.id from projects p where p.name = ${project} and ${visibleTo(scope)}`.execute(db);
  return row.rows.length > 0;
}

/**
 * Whether some tagged repository is outside the scope: what a search by that caller can never
 * show, whatever its text. One row is enough.
 */
export async function anyRepositoryHidden(db: Kysely<Database>, scope: ReadScope): Promise<boolean> {
  if (scope.kind === 'open' || scope.kind === 'all') return false;
  const row = await sql<{ one: number }>`select 1 as one from repositories r left join projects p on p.name = r.project
    where exists (select 1 from tags t where t.repository_id = r.id) and not (${visibleTo(scope)}) limit 1`.execute(db);
  return row.rows.length > 0;
}
