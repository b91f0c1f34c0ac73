// Replication rule filters: repository globs over full names, tag globs or /regex/, cosign's
// attachment tags and the referrers tag schema's tags, which go with their image, never alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter, cosignSubject, fallbackTag, filterProblem, isFallbackTag } from '../../../../src/features/replication/filters.ts';

const HEX = 'a'.repeat(64);

describe('replication filters', () => {
  it('repository globs: * within a segment, ** across, alternatives', () => {
    const f = compileFilter({ repos: 'library/*', tags: '**' });
    assert.ok(f.repository('library/nginx'));
    assert.ok(!f.repository('library/a/b'), '* stays in one segment');
    assert.ok(!f.repository('team/nginx'));
    const deep = compileFilter({ repos: 'team/**', tags: '**' });
    assert.ok(deep.repository('team/app') && deep.repository('team/app/api'));
    assert.ok(!deep.repository('teamx/app'));
    const alt = compileFilter({ repos: '{prod,stage}/app-?', tags: '**' });
    assert.ok(alt.repository('prod/app-1') && alt.repository('stage/app-x'));
    assert.ok(!alt.repository('dev/app-1') && !alt.repository('prod/app-10'));
  });

  it('tag globs and regular expressions', () => {
    const glob = compileFilter({ repos: '**', tags: 'v*' });
    assert.ok(glob.tag('v1') && glob.tag('v1.2.3'));
    assert.ok(!glob.tag('latest') && !glob.tag('dev-v1'));
    const re = compileFilter({ repos: '**', tags: '/^\\d+\\.\\d+$/' });
    assert.ok(re.tag('1.2') && re.tag('10.20'));
    assert.ok(!re.tag('1.2.3') && !re.tag('v1.2'));
    // Not anchored unless written so.
    assert.ok(compileFilter({ repos: '**', tags: '/rc/' }).tag('1.0-rc1'));
    const set = compileFilter({ repos: '**', tags: '{latest,stable}' });
    assert.ok(set.tag('latest') && set.tag('stable') && !set.tag('edge'));
  });

  it('cosign attachment tags follow their image, never selected alone', () => {
    const all = compileFilter({ repos: '**', tags: '**' });
    assert.ok(!all.tag(`sha256-${HEX}.sig`));
    assert.equal(cosignSubject(`sha256-${HEX}.sig`), `sha256:${HEX}`);
    assert.equal(cosignSubject(`sha256-${HEX}.att`), `sha256:${HEX}`);
    assert.equal(cosignSubject('v1.sig'), undefined);
    assert.equal(fallbackTag(`sha256:${HEX}`), `sha256-${HEX}`);
    assert.ok(isFallbackTag(`sha256-${HEX}`));
    assert.ok(!isFallbackTag(`sha256-${HEX}.sig`) && !isFallbackTag('sha256-abc'));
  });

  it('names what is wrong with a filter', () => {
    assert.equal(filterProblem({ repos: 'library/*', tags: 'v*' }), undefined);
    assert.match(filterProblem({ repos: '', tags: '**' })!, /--repos.*empty/);
    assert.match(filterProblem({ repos: '**', tags: 'a{b' })!, /--tags a\{b:/);
    assert.match(filterProblem({ repos: '**', tags: '/(/' })!, /not a regular expression/);
    assert.match(filterProblem({ repos: '[z-a]', tags: '**' })!, /--repos/);
  });
});
