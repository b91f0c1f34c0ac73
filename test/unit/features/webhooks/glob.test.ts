import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { globToRegExp, matchesFilter } from '../../../../src/features/webhooks/glob.ts';

describe('webhook filters (glob)', () => {
  it('matches everything when empty', () => {
    assert.equal(matchesFilter('', 'any/repo', undefined), true);
  });
  it('keeps * inside one path segment and lets ** cross them', () => {
    assert.equal(matchesFilter('team/*', 'team/app', 'v1'), true);
    assert.equal(matchesFilter('team/*', 'team/app/sub', 'v1'), false);
    assert.equal(matchesFilter('team/**', 'team/app/sub', 'v1'), true);
    assert.equal(matchesFilter('team/*', 'other/app', 'v1'), false);
  });
  it('matches repository:tag when the filter has a colon', () => {
    assert.equal(matchesFilter('library/app:1.*', 'library/app', '1.4'), true);
    assert.equal(matchesFilter('library/app:1.*', 'library/app', '2.0'), false);
    assert.equal(matchesFilter('library/app:1.*', 'library/app', undefined), false);
  });
  it('treats regex characters literally and ? as one character', () => {
    assert.equal(globToRegExp('a.b?').test('a.bc'), true);
    assert.equal(globToRegExp('a.b?').test('axbc'), false);
    assert.equal(globToRegExp('(x)+').test('(x)+'), true);
  });
});
