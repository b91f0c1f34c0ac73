// The retention policy's YAML schema: every rule kind, scoping, schedule and untagged; and
// refusals that name the bad key (misspellings get a "did you mean"), the line of a YAML syntax
// error, and a bad cron field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRule, parsePolicy, PolicyError, policyToData, validatePolicy } from '../../../../src/features/retention/rules.ts';

function refused(text: string): string {
  try {
    parsePolicy(text);
  } catch (error) {
    assert.ok(error instanceof PolicyError, String(error));
    return error.message;
  }
  assert.fail(`accepted: ${text}`);
}

describe('retention policy: parsing', () => {
  it('reads every rule kind with its scope, the schedule and untagged', () => {
    const p = parsePolicy([
      'schedule: "30 2 * * 1-5"',
      'untagged: true',
      'rules:',
      '  - mostRecentlyPushed: 10',
      '  - repositories: "app/**"',
      '    mostRecentlyPulled: 3',
      '  - repositories: "{web,api}"',
      '    tags: "v*"',
      '    pushedWithinDays: 30',
      '  - pulledWithinDays: 90',
      '  - tagsMatching: "release-*"',
      '  - repositories: base',
      '    always: true',
    ].join('\n'));
    assert.equal(p.schedule, '30 2 * * 1-5');
    assert.equal(p.untagged, true);
    assert.deepEqual(p.rules, [
      { repositories: '**', kind: 'mostRecentlyPushed', value: 10 },
      { repositories: 'app/**', kind: 'mostRecentlyPulled', value: 3 },
      { repositories: '{web,api}', tags: 'v*', kind: 'pushedWithinDays', value: 30 },
      { repositories: '**', kind: 'pulledWithinDays', value: 90 },
      { repositories: '**', kind: 'tagsMatching', value: 'release-*' },
      { repositories: 'base', kind: 'always' },
    ]);
    assert.equal(describeRule(p.rules[2]!, 2), 'rule 3 (repositories {web,api}, tags v*): pushed within 30 days');
    assert.equal(describeRule(p.rules[0]!, 0), 'rule 1: the 10 most recently pushed');
  });

  it("takes Harbor's excluding: excludeRepositories and excludeTags", () => {
    const p = parsePolicy('rules:\n  - excludeRepositories: "base/**"\n    tags: "v*"\n    excludeTags: "*-rc*"\n    mostRecentlyPushed: 5\n');
    assert.deepEqual(p.rules, [{ repositories: '**', tags: 'v*', excludeRepositories: 'base/**', excludeTags: '*-rc*', kind: 'mostRecentlyPushed', value: 5 }]);
    assert.equal(describeRule(p.rules[0]!, 0), 'rule 1 (not repositories base/**, tags v*, not tags *-rc*): the 5 most recently pushed');
    assert.deepEqual(validatePolicy(policyToData(p)), p);
    assert.equal(refused('rules:\n  - excludeTag: x\n    always: true\n'), 'rules[0]: unknown key "excludeTag" (did you mean excludeTags?)');
  });

  it('takes JSON too, and defaults: no schedule, untagged off', () => {
    const p = parsePolicy('{"rules": [{"always": true, "tags": "stable"}]}');
    assert.deepEqual(p, { schedule: null, untagged: false, rules: [{ repositories: '**', tags: 'stable', kind: 'always' }] });
    assert.deepEqual(validatePolicy({ rules: [], schedule: null }), { schedule: null, untagged: false, rules: [] });
    assert.equal(parsePolicy('schedule: ""\nrules: []').schedule, null, 'an empty schedule is none');
  });

  it('round-trips through its data form', () => {
    const p = parsePolicy('schedule: "@daily"\nuntagged: true\nrules:\n  - repositories: app\n    tags: "v*"\n    mostRecentlyPushed: 2\n  - always: true\n');
    assert.deepEqual(policyToData(p), { schedule: '@daily', untagged: true, rules: [{ repositories: 'app', tags: 'v*', mostRecentlyPushed: 2 }, { always: true }] });
    assert.deepEqual(validatePolicy(policyToData(p)), p);
  });

  it('names the bad key, with a suggestion for a misspelling', () => {
    assert.equal(refused('rules:\n  - mostRecentPushed: 10\n'), 'rules[0]: unknown key "mostRecentPushed" (did you mean mostRecentlyPushed?)');
    assert.equal(refused('schedul: "@daily"\nrules: []\n'), 'unknown key "schedul" (did you mean schedule?)');
    assert.equal(refused('rules:\n  - always: true\n    repository: app\n'), 'rules[0]: unknown key "repository" (did you mean repositories?)');
    assert.equal(refused('rules:\n  - mostRecentlyPushed: 0\n'), 'rules[0].mostRecentlyPushed: must be a whole number from 1 to 100000');
    assert.equal(refused('rules:\n  - always: true\n  - mostRecentlyPulled: 2.5\n'), 'rules[1].mostRecentlyPulled: must be a whole number from 1 to 100000');
    assert.equal(refused('rules:\n  - pushedWithinDays: "30d"\n'), 'rules[0].pushedWithinDays: must be a number of days from 1 to 36500');
    assert.equal(refused('rules:\n  - always: false\n'), 'rules[0].always: is true (a rule that keeps every tag in its scope)');
    assert.equal(refused('untagged: "yes please"\nrules: []\n'), 'untagged: is true or false');
    assert.equal(refused('rules:\n  - tags: "v*"\n'), 'rules[0]: says what it keeps with exactly one of mostRecentlyPushed, mostRecentlyPulled, pushedWithinDays, pulledWithinDays, tagsMatching, always; it has none');
    assert.equal(refused('rules:\n  - mostRecentlyPushed: 5\n    pushedWithinDays: 7\n'), 'rules[0]: has mostRecentlyPushed and pushedWithinDays: one kind per rule (write two rules; they combine with OR)');
    assert.equal(refused('rules:\n  - repositories: "{app"\n    always: true\n'), 'rules[0].repositories: "{" is never closed by "}" ("{app")');
    assert.equal(refused('rules:\n  - tags: ""\n    always: true\n'), 'rules[0].tags: a pattern cannot be empty ("")');
    assert.equal(refused('schedule: "61 3 * * *"\nrules: []\n'), 'schedule: minute: 61 is out of range 0-59');
    assert.equal(refused('schedule: "0 3 * *"\nrules: []\n'), 'schedule: a schedule has 5 fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *" for 03:00 UTC daily; "0 3 * *" has 4');
    assert.equal(refused('untagged: true\n'), 'rules: missing: a policy lists its rules (rules: [] keeps nothing and deletes nothing)');
    assert.equal(refused('rules: 3\n'), 'rules: is a list of rules (- mostRecentlyPushed: 10 ...)');
    assert.equal(refused('- always: true\n'), 'policy: a retention policy is a mapping with rules: (and optionally schedule: and untagged:)');
    assert.equal(refused(''), 'the policy is empty: give its rules (see docs/retention.md)');
    assert.match(refused(`rules:\n${'  - always: true\n'.repeat(51)}`), /^rules: at most 50 rules/);
  });

  it('gives the line of a YAML syntax error, and refuses duplicate keys', () => {
    assert.match(refused('rules:\n  - always: true\n   tags: [x\n'), /^line \d+, column \d+: not valid YAML: /);
    assert.match(refused('rules: []\nrules: []\n'), /^line 2, column 1: not valid YAML: Map keys must be unique/);
  });

  it('lists every problem at once', () => {
    const e = refused('untagged: 1\nrules:\n  - mostRecentlyPushed: -1\n  - pulledWithinDays: 0\n');
    assert.equal(e, 'untagged: is true or false; rules[0].mostRecentlyPushed: must be a whole number from 1 to 100000; rules[1].pulledWithinDays: must be a whole number of days from 1 to 36500');
  });
});
