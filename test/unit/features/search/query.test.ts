// The search text tokeniser and the full-text expressions built from it: user text is split like
// SQLite's unicode61 tokenizer, and whatever it holds, the MATCH expression is valid FTS5 syntax
// (checked against a real in-memory FTS5 table with the migration's tokenizer).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Sqlite from 'better-sqlite3';
import { exactName, ftsMatchExpression, MAX_TOKEN_LENGTH, MAX_TOKENS, nameText, tokenize, tsQueryExpression } from '../../../../src/features/search/query.ts';

const HOSTILE = ['"', '""', '*', 'AND', 'OR', 'NOT', 'AND OR', 'NEAR(', 'NEAR(a b, 3)', '"a', 'a"*', '^a', '-a', '+a', 'name:a', '{name project}:a',
  'a:*', 'a & b', '!a', '(a', 'a)', "'", '\\', '%', '_', '\u0000', 'ä', 'Straße', '日本語', '🙂 a', 'a'.repeat(500), '- - -', 'a OR b', 'a AND NOT b'];

describe('search query tokeniser', () => {
  it('splits on anything that is not a letter or digit, lower-cases, de-duplicates', () => {
    assert.deepEqual(tokenize('library/my-app'), ['library', 'my', 'app']);
    assert.deepEqual(tokenize('  NGINX  '), ['nginx']);
    assert.deepEqual(tokenize('ngi'), ['ngi']);
    assert.deepEqual(tokenize('acme/team_app.v2'), ['acme', 'team', 'app', 'v2']);
    assert.deepEqual(tokenize('nginx nginx NGINX'), ['nginx']);
    assert.deepEqual(tokenize('"nginx" AND redis*'), ['nginx', 'and', 'redis']);
    assert.deepEqual(tokenize('Café Straße 日本語'), ['café', 'straße', '日本語']);
  });

  it('finds no tokens in text without letters or digits', () => {
    for (const q of ['', ' ', '"', '*', '()', '-_./', '🙂', '\u0000']) assert.deepEqual(tokenize(q), [], JSON.stringify(q));
  });

  it('bounds the number and the length of tokens', () => {
    assert.equal(tokenize(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')).length, MAX_TOKENS);
    assert.equal(tokenize('x'.repeat(1000))[0]!.length, MAX_TOKEN_LENGTH);
  });

  it('builds quoted prefix terms joined by AND, and tsquery prefixes joined by &', () => {
    assert.equal(ftsMatchExpression(['nginx']), '"nginx"*');
    assert.equal(ftsMatchExpression(['my', 'app']), '"my"* AND "app"*');
    assert.equal(tsQueryExpression(['my', 'app']), 'my:* & app:*');
  });

  it('an exact name keeps only the characters a repository name may hold', () => {
    assert.equal(exactName(' NGINX '), 'nginx');
    assert.equal(exactName('"nginx"'), 'nginx');
    assert.equal(exactName('acme/team-app'), 'acme/team-app');
  });
});

describe('the MATCH expression against a real FTS5 table', () => {
  let db: Sqlite.Database;
  before(() => {
    db = new Sqlite(':memory:');
    db.exec(`create virtual table t using fts5(name, project, description, labels, tokenize='unicode61 remove_diacritics 2', prefix='2 3')`);
    const insert = db.prepare('insert into t values (?, ?, ?, ?)');
    insert.run('library/nginx', 'library', 'Official build of Nginx', 'web');
    insert.run('acme/my-app', 'acme', 'A café for AND lovers', 'near');
    insert.run('acme/straße', 'acme', '日本語 text', '');
  });
  after(() => db.close());
  const match = (q: string): string[] => {
    const tokens = tokenize(q);
    if (tokens.length === 0) return [];
    return (db.prepare('select name from t where t match ? order by bm25(t)').all(ftsMatchExpression(tokens)) as { name: string }[]).map((r) => r.name);
  };

  it('never throws, whatever the text', () => {
    for (const q of HOSTILE) assert.doesNotThrow(() => match(q), JSON.stringify(q));
  });

  it('matches prefixes of words in any column; operators are plain words', () => {
    assert.deepEqual(match('ngi'), ['library/nginx']);
    assert.deepEqual(match('my-ap'), ['acme/my-app']);
    assert.deepEqual(match('AND'), ['acme/my-app'], 'the word "and" in a description');
    assert.deepEqual(match('NEAR('), ['acme/my-app'], 'the label "near"');
    assert.deepEqual(match('cafe'), ['acme/my-app'], 'diacritics folded like the index');
    assert.deepEqual(match('日本語'), ['acme/straße']);
    assert.deepEqual(match('nginx acme'), []);
  });
});

describe('nameText', () => {
  it('is the text as a repository name, or empty when it is not one', () => {
    assert.equal(nameText('  Debian-Root '), 'debian-root');
    assert.equal(nameText('acme/app_1.2'), 'acme/app_1.2');
    for (const t of HOSTILE) if (!/^[a-z0-9._/-]+$/i.test(t.trim())) assert.equal(nameText(t), '', JSON.stringify(t));
    assert.equal(nameText('debian rootfs'), '', 'a space: words, not a name');
  });
});
