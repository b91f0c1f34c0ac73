// Enforcement, inside the transaction of every registry change (Feature.inTransaction): a change
// whose events move an immutable tag ('tag' with a previous digest) or remove one ('untag', which
// a tag delete emits, and a delete by digest emits for each tag it takes along) is refused with
// TAG_IMMUTABLE and rolled back whole. A new tag, the same digest pushed again (no event), and
// cosign's signature, attestation and SBOM tags are never refused. The rules are read in the same
// transaction: a rule applies from the moment it is committed, on every instance.
import { RegistryError } from '../../core/errors.ts';
import type { RegistryEvent } from '../../core/events.ts';
import { projectOf } from '../../core/reference.ts';
import { describeRule, immutableRuleFor } from '../../core/tag-rules.ts';
import type { Executor } from '../../metadata/executor.ts';
import { immutableRulesOfProject, type ImmutableRuleRow } from '../../metadata/immutable-rules.ts';

interface Change {
  readonly repository: string;
  readonly tag: string;
  /** What the tag pointed at. */
  readonly digest: string;
  /** The digest it would move to; undefined for a removal. */
  readonly to?: string;
  /** The manifest deleted by digest that takes the tag along, if that is how it goes. */
  readonly deleting?: string;
}

/** The tag changes among these events that immutability has a say over. */
function changesOf(events: readonly RegistryEvent[]): Change[] {
  const deletedWith = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'delete' && e.target === 'manifest') for (const t of e.tags) deletedWith.set(`${e.repository}\u0000${t}\u0000${e.digest}`, e.digest);
  }
  const out: Change[] = [];
  for (const e of events) {
    if (e.type === 'tag' && e.previous !== undefined && e.previous !== e.digest) {
      out.push({ repository: e.repository, tag: e.tag, digest: e.previous, to: e.digest });
    } else if (e.type === 'untag') {
      const deleting = deletedWith.get(`${e.repository}\u0000${e.tag}\u0000${e.digest}`);
      out.push({ repository: e.repository, tag: e.tag, digest: e.digest, ...(deleting ? { deleting } : {}) });
    }
  }
  return out;
}

const short = (digest: string) => `${digest.slice(0, 19)}…`;

export function refusal(change: Change, rule: ImmutableRuleRow): RegistryError {
  const head = `tag ${change.tag} of ${change.repository} is immutable (${describeRule(rule)})`;
  const message = change.to !== undefined
    ? `${head}: push it under a new tag`
    : change.deleting !== undefined
      ? `${head}: ${short(change.deleting)} cannot be deleted while that tag points at it`
      : `${head}: it cannot be deleted`;
  return new RegistryError('TAG_IMMUTABLE', {
    repository: change.repository, tag: change.tag, digest: change.digest,
    action: change.to !== undefined ? 'move' : 'delete',
    ...(change.to !== undefined ? { to: change.to } : {}),
    rule: { id: rule.id, repos: rule.repos, tags: rule.tags },
  }, { message });
}

/** Throws TAG_IMMUTABLE for the first change an immutability rule forbids. */
export async function enforceImmutability(trx: Executor, events: readonly RegistryEvent[]): Promise<void> {
  const changes = changesOf(events);
  if (!changes.length) return;
  const rulesOf = new Map<string, ImmutableRuleRow[]>();
  for (const change of changes) {
    const project = projectOf(change.repository);
    let rules = rulesOf.get(project);
    if (!rules) {
      rules = await immutableRulesOfProject(trx, project);
      rulesOf.set(project, rules);
    }
    if (!rules.length) continue;
    const rule = immutableRuleFor(rules, change.repository, change.tag);
    if (rule) throw refusal(change, rule);
  }
}
