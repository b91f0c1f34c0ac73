// A project's retention policy as its owners write it (docs/retention.md): YAML (or JSON, which
// is YAML too), validated with zod, every problem named by its key ("rules[1].mostRecentlyPushed:
// must be a whole number from 1 to 100000"), and stored as the normalised JSON of RetentionPolicy.
//
//   schedule: "0 3 * * *"        # optional cron (UTC); without it the policy runs on demand only
//   untagged: true               # optional: also delete manifests a push left untagged
//   rules:                       # combined with OR: a tag is kept when any rule keeps it
//     - repositories: "**"       # glob over the repository path inside the project (default **)
//       tags: "*"                # optional glob: the rule's scope within those repositories
//       excludeRepositories: ... # optional globs taken out of the scope (Harbor's "excluding")
//       excludeTags: ...
//       mostRecentlyPushed: 10   # exactly one of the six kinds below
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { patternProblem } from '../../core/tag-rules.ts';
import { CronError, parseCron } from './cron.ts';

export const RULE_KINDS = ['mostRecentlyPushed', 'mostRecentlyPulled', 'pushedWithinDays', 'pulledWithinDays', 'tagsMatching', 'always'] as const;
export type RuleKind = typeof RULE_KINDS[number];

export interface RetentionRule {
  /** Glob over the repository path inside the project ("app", "team/*", "**"). */
  readonly repositories: string;
  /** Glob over tags: the rule's scope (absent: every tag of those repositories). */
  readonly tags?: string;
  /** Repositories (paths inside the project) left out of the rule's scope, as Harbor's "excluding". */
  readonly excludeRepositories?: string;
  /** Tags left out of the rule's scope. */
  readonly excludeTags?: string;
  readonly kind: RuleKind;
  /** The count (most recently pushed or pulled, per repository), the days, or the tag pattern. */
  readonly value?: number | string;
}

export interface RetentionPolicy {
  readonly schedule: string | null;
  readonly untagged: boolean;
  readonly rules: readonly RetentionRule[];
}

export const EMPTY_POLICY: RetentionPolicy = { schedule: null, untagged: false, rules: [] };

export class PolicyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'PolicyError';
  }
}

export const MAX_RULES = 50;
const MAX_COUNT = 100_000;
const MAX_DAYS = 36_500;
const MAX_TEXT = 64 * 1024;

const glob = (what: string) => z.string({ error: `${what} is a glob pattern in quotes, e.g. "**"` }).superRefine((value, ctx) => {
  const problem = patternProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (${JSON.stringify(value.slice(0, 80))})` });
});
const count = z.number({ error: `must be a whole number from 1 to ${MAX_COUNT}` }).int(`must be a whole number from 1 to ${MAX_COUNT}`).min(1, `must be a whole number from 1 to ${MAX_COUNT}`).max(MAX_COUNT, `must be a whole number from 1 to ${MAX_COUNT}`);
const days = z.number({ error: `must be a number of days from 1 to ${MAX_DAYS}` }).int(`must be a whole number of days from 1 to ${MAX_DAYS}`).min(1, `must be a whole number of days from 1 to ${MAX_DAYS}`).max(MAX_DAYS, `must be a whole number of days from 1 to ${MAX_DAYS}`);

const RuleSchema = z.strictObject({
  repositories: glob('repositories').optional(),
  tags: glob('tags').optional(),
  excludeRepositories: glob('excludeRepositories').optional(),
  excludeTags: glob('excludeTags').optional(),
  mostRecentlyPushed: count.optional(),
  mostRecentlyPulled: count.optional(),
  pushedWithinDays: days.optional(),
  pulledWithinDays: days.optional(),
  tagsMatching: glob('tagsMatching').optional(),
  always: z.literal(true, { error: 'is true (a rule that keeps every tag in its scope)' }).optional(),
}, { error: (issue) => (issue.code === 'invalid_type' ? `a rule is a mapping with one of ${RULE_KINDS.join(', ')}` : undefined) }).superRefine((rule, ctx) => {
  const kinds = RULE_KINDS.filter((k) => rule[k] !== undefined);
  if (kinds.length === 0) ctx.addIssue({ code: 'custom', message: `says what it keeps with exactly one of ${RULE_KINDS.join(', ')}; it has none` });
  if (kinds.length > 1) ctx.addIssue({ code: 'custom', message: `has ${kinds.join(' and ')}: one kind per rule (write two rules; they combine with OR)` });
});

const PolicySchema = z.strictObject({
  schedule: z.string({ error: 'is a cron expression in quotes, e.g. "0 3 * * *"' }).nullable().optional(),
  untagged: z.boolean({ error: 'is true or false' }).optional(),
  rules: z.array(RuleSchema, { error: 'is a list of rules (- mostRecentlyPushed: 10 ...)' }).max(MAX_RULES, `at most ${MAX_RULES} rules`),
}, { error: (issue) => (issue.code === 'invalid_type' ? 'a retention policy is a mapping with rules: (and optionally schedule: and untagged:)' : undefined) });

/** "rules[1].mostRecentlyPushed" from a zod path. */
function keyOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

const KNOWN_KEYS = ['schedule', 'untagged', 'rules', 'repositories', 'tags', 'excludeRepositories', 'excludeTags', ...RULE_KINDS];

/** The known key closest to a misspelt one (edit distance at most 3), for "did you mean". */
function suggestion(key: string): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of KNOWN_KEYS) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

function messages(error: z.ZodError, input: unknown): string[] {
  const out: string[] = [];
  // A misspelt kind ("mostRecentPushed") is an unknown key; "it has none" would only repeat it.
  const unknownAt = new Set(error.issues.filter((i) => i.code === 'unrecognized_keys').map((i) => keyOf(i.path)));
  for (const issue of error.issues) {
    const where = keyOf(issue.path);
    if (issue.code === 'custom' && issue.message.endsWith('it has none') && unknownAt.has(where)) continue;
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const near = suggestion(k);
        out.push(`${where ? `${where}: ` : ''}unknown key "${k}"${near ? ` (did you mean ${near}?)` : ''}`);
      }
      continue;
    }
    if (issue.code === 'invalid_type' && where === 'rules' && typeof input === 'object' && input !== null && !('rules' in input)) {
      out.push('rules: missing: a policy lists its rules (rules: [] keeps nothing and deletes nothing)');
      continue;
    }
    out.push(`${where || 'policy'}: ${issue.message}`);
  }
  return out;
}

/** Validates a policy given as data (parsed JSON or YAML); throws PolicyError naming each bad key. */
export function validatePolicy(input: unknown): RetentionPolicy {
  const parsed = PolicySchema.safeParse(input);
  if (!parsed.success) throw new PolicyError(messages(parsed.error, input));
  const p = parsed.data;
  let schedule: string | null = null;
  if (p.schedule !== undefined && p.schedule !== null && p.schedule.trim() !== '') {
    try {
      schedule = parseCron(p.schedule).source;
    } catch (error) {
      if (error instanceof CronError) throw new PolicyError([`schedule: ${error.message}`]);
      throw error;
    }
  }
  const rules = p.rules.map((r): RetentionRule => {
    const kind = RULE_KINDS.find((k) => r[k] !== undefined)!;
    const value = kind === 'always' ? undefined : r[kind] as number | string;
    return {
      repositories: r.repositories ?? '**',
      ...(r.tags !== undefined ? { tags: r.tags } : {}),
      ...(r.excludeRepositories !== undefined ? { excludeRepositories: r.excludeRepositories } : {}),
      ...(r.excludeTags !== undefined ? { excludeTags: r.excludeTags } : {}),
      kind, ...(value !== undefined ? { value } : {}),
    };
  });
  return { schedule, untagged: p.untagged ?? false, rules };
}

/** Parses policy text (YAML, or JSON); throws PolicyError with the line of a syntax error or the bad keys. */
export function parsePolicy(text: string): RetentionPolicy {
  if (text.length > MAX_TEXT) throw new PolicyError([`the policy is longer than ${MAX_TEXT / 1024} KiB`]);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new PolicyError(doc.errors.slice(0, 5).map((e) => {
      const line = e.linePos?.[0];
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `${line ? `line ${line.line}, column ${line.col}: ` : ''}not valid YAML: ${message}`;
    }));
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) throw new PolicyError(['the policy is empty: give its rules (see docs/retention.md)']);
  return validatePolicy(data);
}

/** The policy as its YAML form would write it (for show and the editor). */
export function policyToData(p: RetentionPolicy): Record<string, unknown> {
  return {
    ...(p.schedule ? { schedule: p.schedule } : {}),
    ...(p.untagged ? { untagged: true } : {}),
    rules: p.rules.map((r) => ({
      ...(r.repositories !== '**' ? { repositories: r.repositories } : {}),
      ...(r.tags !== undefined ? { tags: r.tags } : {}),
      ...(r.excludeRepositories !== undefined ? { excludeRepositories: r.excludeRepositories } : {}),
      ...(r.excludeTags !== undefined ? { excludeTags: r.excludeTags } : {}),
      [r.kind]: r.kind === 'always' ? true : r.value,
    })),
  };
}

/** "keep the 10 most recently pushed" etc., for plans and messages. */
export function describeKeep(r: RetentionRule): string {
  switch (r.kind) {
    case 'mostRecentlyPushed': return `the ${r.value} most recently pushed`;
    case 'mostRecentlyPulled': return `the ${r.value} most recently pulled`;
    case 'pushedWithinDays': return `pushed within ${r.value} day${r.value === 1 ? '' : 's'}`;
    case 'pulledWithinDays': return `pulled within ${r.value} day${r.value === 1 ? '' : 's'}`;
    case 'tagsMatching': return `tags matching ${r.value}`;
    case 'always': return 'always';
  }
}

/** Whether the rule's repository patterns cover a repository path. */
export function coversRepository(r: RetentionRule, path: string, matches: (glob: string, value: string) => boolean): boolean {
  return matches(r.repositories, path) && (r.excludeRepositories === undefined || !matches(r.excludeRepositories, path));
}

/** Whether the rule's tag patterns cover a tag. */
export function coversTag(r: RetentionRule, tag: string, matches: (glob: string, value: string) => boolean): boolean {
  return (r.tags === undefined || matches(r.tags, tag)) && (r.excludeTags === undefined || !matches(r.excludeTags, tag));
}

/** "rule 2 (repositories app/**, tags v*): the 10 most recently pushed". */
export function describeRule(r: RetentionRule, index: number): string {
  const scope = [
    r.repositories !== '**' ? `repositories ${r.repositories}` : '',
    r.excludeRepositories !== undefined ? `not repositories ${r.excludeRepositories}` : '',
    r.tags !== undefined ? `tags ${r.tags}` : '',
    r.excludeTags !== undefined ? `not tags ${r.excludeTags}` : '',
  ].filter(Boolean).join(', ');
  return `rule ${index + 1}${scope ? ` (${scope})` : ''}: ${describeKeep(r)}`;
}
