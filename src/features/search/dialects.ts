// How each metadata dialect matches search text and scores a match (DESIGN.md, Scale-out: search
// is the one dialect-specific query, kept here). The index behind each is migration 004's.
import { sql, type RawBuilder } from 'kysely';
import { ftsMatchExpression, tsQueryExpression } from './query.ts';

export interface TextMatch {
  /** Joined after `repositories r` (SQLite's FTS table), or empty. */
  readonly join: RawBuilder<unknown>;
  readonly where: RawBuilder<unknown>;
  /** Higher is a better match. */
  readonly score: RawBuilder<unknown>;
}

export interface SearchDialect {
  /** `tokens` come from tokenize(): letters and digits only, at least one. */
  match(tokens: readonly string[]): TextMatch;
}

/**
 * FTS5 with bm25 per column: a hit in the name counts most, then labels, then the project, then
 * the description (columns: name, project, description, labels).
 */
export const sqliteSearch: SearchDialect = {
  match(tokens) {
    return {
      join: sql`join repository_fts on repository_fts.rowid = r.id`,
      where: sql`repository_fts match ${ftsMatchExpression(tokens)}`,
      // bm25 is lower-is-better (negative); flip it.
      score: sql`(0 - bm25(repository_fts, 10.0, 2.0, 1.0, 4.0))`,
    };
  },
};

/** tsvector weights from the migration: name A, project and labels B, description C. */
export const postgresSearch: SearchDialect = {
  match(tokens) {
    const query = sql`to_tsquery('simple', ${tsQueryExpression(tokens)})`;
    return {
      join: sql.raw(''),
      where: sql`r.search_vector @@ ${query}`,
      score: sql`ts_rank(r.search_vector, ${query})`,
    };
  },
};
