// The glob rules shared by tag immutability and retention (src/core/tag-rules.ts): what each
// pattern piece matches, what the repository pattern is matched against, malformed patterns,
// cosign's tags, and which rule wins.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileGlob, describeRule, GlobError, immutableRuleFor, isCosignTag, matchesGlob, MAX_PATTERN_LENGTH, patternProblem, repositoryPathOf, ruleMatches,
} from '../../../src/core/tag-rules.ts';

function expectMatches(glob: string, yes: readonly string[], no: readonly string[]): void {
  for (const v of yes) assert.equal(matchesGlob(glob, v), true, `${glob} should match ${v} (${compileGlob(glob)})`);
  for (const v of no) assert.equal(matchesGlob(glob, v), false, `${glob} should not match ${v} (${compileGlob(glob)})`);
}

describe('glob patterns', () => {
  it('* stays within one path segment; ** crosses them', () => {
    expectMatches('*', ['app', 'a.b-c_d', ''], ['app/api', '/']);
    expectMatches('**', ['app', 'app/api', 'a/b/c/d', ''], []);
    expectMatches('app/*', ['app/api', 'app/x'], ['app', 'app/api/v1', 'apps/x']);
    expectMatches('*/api', ['app/api', 'x/api'], ['api', 'a/b/api']);
    expectMatches('a**b', ['ab', 'a/x/b', 'axxb'], ['a/x/c']);
  });

  it('** as a whole segment also matches no segment', () => {
    expectMatches('**/app', ['app', 'x/app', 'x/y/app'], ['xapp', 'app/x']);
    expectMatches('app/**', ['app', 'app/x', 'app/x/y'], ['apps', 'xapp', 'apps/x']);
    expectMatches('a/**/b', ['a/b', 'a/x/b', 'a/x/y/b'], ['ab', 'a/xb', 'b']);
  });

  it('? is one character, not "/"; classes, negated classes and ranges', () => {
    expectMatches('v?', ['v1', 'vx'], ['v', 'v10', 'v/']);
    expectMatches('v[0-9]*', ['v1', 'v1.2.3', 'v9-rc'], ['vx', 'v', 'V1']);
    expectMatches('[!a]', ['b', '1'], ['a', '/', 'bb']);
    expectMatches('[^a]', ['b'], ['a']);
    expectMatches('[abc]', ['a', 'c'], ['d', '/']);
    expectMatches('x[/]y', [], ['x/y']);
    expectMatches('[]]', [']'], ['a']);
  });

  it('{a,b} alternatives, with patterns inside and nesting', () => {
    expectMatches('{latest,stable}', ['latest', 'stable'], ['latests', 'stab', '']);
    expectMatches('release-{1,2}.*', ['release-1.0', 'release-2.5'], ['release-3.0']);
    expectMatches('{app,tools/**}', ['app', 'tools', 'tools/a/b'], ['apps', 'toolsx']);
    expectMatches('v{1.{0,1},2}', ['v1.0', 'v1.1', 'v2'], ['v1.2', 'v1']);
    expectMatches('a{,-dev}', ['a', 'a-dev'], ['a-'], );
  });

  it('everything else is literal, including regular-expression characters; \\ escapes', () => {
    expectMatches('1.0', ['1.0'], ['1x0', '1.00']);
    expectMatches('a+b(c)|$', ['a+b(c)|$'], ['aab(c)|$', 'a+bc']);
    expectMatches('\\*', ['*'], ['a']);
    expectMatches('\\{a,b}', ['{a,b}'], ['a']);
    expectMatches('a,b}', ['a,b}'], ['a']);
  });

  it('is case-sensitive, as tags and repository names are', () => {
    expectMatches('V*', ['V1'], ['v1']);
  });

  it('refuses malformed patterns with a reason', () => {
    assert.match(patternProblem('{a,b')!, /never closed/);
    assert.match(patternProblem('[ab')!, /never closed/);
    assert.match(patternProblem('a\\')!, /cannot end with/);
    assert.match(patternProblem('')!, /empty/);
    assert.match(patternProblem('a'.repeat(MAX_PATTERN_LENGTH + 1))!, /at most/);
    assert.match(patternProblem('a\nb')!, /control characters/);
    assert.match(patternProblem('[z-a]')!, /not valid/);
    assert.equal(patternProblem('v*'), undefined);
    assert.equal(patternProblem('a'.repeat(MAX_PATTERN_LENGTH)), undefined);
    assert.throws(() => compileGlob('{'), GlobError);
    assert.equal(matchesGlob('{', '{'), false, 'a malformed pattern matches nothing');
  });
});

describe('rules', () => {
  it('match the repository path inside the project', () => {
    assert.equal(repositoryPathOf('team/app'), 'app');
    assert.equal(repositoryPathOf('team/app/api'), 'app/api');
    assert.equal(repositoryPathOf('library/nginx'), 'nginx');
    assert.equal(repositoryPathOf('nginx'), 'nginx');
    assert.equal(ruleMatches({ repos: 'app', tags: '*' }, 'team/app', 'v1'), true);
    assert.equal(ruleMatches({ repos: 'team/app', tags: '*' }, 'team/app', 'v1'), false, 'the project is not part of the path');
    assert.equal(ruleMatches({ repos: '*', tags: '*' }, 'team/app/api', 'v1'), false, '* is one segment');
    assert.equal(ruleMatches({ repos: '**', tags: '*' }, 'team/app/api', 'v1'), true);
    assert.equal(ruleMatches({ repos: 'app/**', tags: 'v*' }, 'team/app', 'v1'), true);
    assert.equal(ruleMatches({ repos: 'app/**', tags: 'v*' }, 'team/app/api', 'latest'), false);
  });

  it('cosign signature, attestation and SBOM tags are never immutable', () => {
    const hex = 'ab'.repeat(32);
    for (const t of [`sha256-${hex}.sig`, `sha256-${hex}.att`, `sha256-${hex}.sbom`]) {
      assert.equal(isCosignTag(t), true, t);
      assert.equal(immutableRuleFor([{ id: 1, repos: '**', tags: '*' }], 'team/app', t), undefined, t);
    }
    for (const t of [`sha256-${hex}.sig2`, `sha256-${hex.slice(2)}.sig`, `sha256-${hex.toUpperCase()}.sig`, 'v1.sig', `sha1-${hex}.sig`]) {
      assert.equal(isCosignTag(t), false, t);
      assert.ok(immutableRuleFor([{ id: 1, repos: '**', tags: '*' }], 'team/app', t), t);
    }
  });

  it('the lowest matching rule id wins, and is described the way messages show it', () => {
    const rules = [{ id: 7, repos: '**', tags: '*' }, { id: 3, repos: '**', tags: 'v*' }, { id: 5, repos: 'other', tags: '*' }];
    assert.equal(immutableRuleFor(rules, 'team/app', 'v1.0')?.id, 3);
    assert.equal(immutableRuleFor(rules, 'team/app', 'latest')?.id, 7);
    assert.equal(immutableRuleFor(rules.slice(1), 'team/app', 'latest'), undefined);
    assert.equal(immutableRuleFor([], 'team/app', 'v1'), undefined);
    assert.equal(describeRule(rules[1]!), 'rule 3: repos ** tags v*');
  });
});
