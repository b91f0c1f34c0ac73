// The retention planner (pure): given a project's tags with their push and pull times, its
// manifests and the policy, which tags (and untagged manifests) a run deletes, which it keeps and
// why, and roughly how many bytes that frees. No I/O and no clock: the caller passes `now`, so a
// dry run and the real run that follows decide alike, and the unit tests drive it with made-up data.
//
// The rules (docs/retention.md):
// - A rule's scope is the tags of the repositories its `repositories` glob matches (the path inside
//   the project) and `excludeRepositories` does not, narrowed by its `tags` glob and less what
//   `excludeTags` matches. The policy's scope is the union of its rules'.
// - A tag in scope is kept when any rule whose scope holds it keeps it (OR); the others are
//   deleted. Tags outside every rule's scope are never touched. Counts are per repository.
// - Tags that an immutability rule covers are kept ("immutable"), whatever the rules say.
// - Cosign's sha256-<hex>.sig/.att/.sbom tags follow their image: kept while the image keeps a
//   tag, deleted with the image's last tags otherwise; no rule counts or matches them.
// - untagged: manifests linked in a repository that no tag points at, that are no platform of a
//   manifest that stays and no referrer (referrers go with their subject), pushed longer ago than
//   the grace period and not protected by GC's review delay, are deleted by digest.
// - Bytes: manifests and blobs that nothing kept in the project references any more. GC frees
//   them once tag history no longer holds them: an estimate, labelled as such.
import { formatBytes } from '../../core/sizes.ts';
import { isCosignTag } from '../../core/tag-rules.ts';
import { coversRepository, coversTag, describeRule, type RetentionPolicy, type RetentionRule } from './rules.ts';

export const DAY_MS = 86_400_000;
/** Untagged manifests pushed more recently than this are kept: an index push may be about to name them. */
export const UNTAGGED_GRACE_MS = 15 * 60_000;

export interface InventoryTag {
  readonly tag: string;
  readonly digest: string;
  /** When the tag last moved (tags.updated_at). */
  readonly pushedAt: number;
  /** The last pull by tag (tags.last_pulled_at); null if never pulled. */
  readonly pulledAt: number | null;
}

export interface InventoryLink {
  readonly digest: string;
  /** The manifest this one refers to (a referrer's subject). */
  readonly subject: string | null;
  readonly pushedAt: number;
  /** Garbage collection protects it until then (pushed or looked up recently); absent: not protected. */
  readonly protectedUntil?: number;
}

export interface InventoryRepository {
  /** Full name, project/path. */
  readonly name: string;
  /** Path inside the project (what the globs match). */
  readonly path: string;
  readonly tags: readonly InventoryTag[];
  readonly manifests: readonly InventoryLink[];
}

export interface InventoryManifest {
  readonly mediaType: string;
  readonly size: number;
  /** Child manifests (an index's platforms). */
  readonly children: readonly string[];
  /** Config and layers with their sizes. */
  readonly blobs: readonly (readonly [digest: string, size: number])[];
}

export interface Inventory {
  readonly project: string;
  readonly repositories: readonly InventoryRepository[];
  readonly manifests: ReadonlyMap<string, InventoryManifest>;
}

export interface PlannedTag {
  readonly tag: string;
  readonly digest: string;
  readonly pushedAt: string;
  readonly pulledAt: string | null;
  /** Why it is deleted or kept. */
  readonly reasons: readonly string[];
}

export interface PlannedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly pushedAt: string;
  /** Cosign tags that go with it (the registry deletes an image's followers with it). */
  readonly followers: readonly string[];
}

export interface RepositoryPlan {
  readonly repository: string;
  /** Tags the run deletes, in the order it deletes them (oldest push first). */
  readonly deleteTags: readonly PlannedTag[];
  /** Untagged manifests the run deletes (indexes before their platforms). */
  readonly deleteManifests: readonly PlannedManifest[];
  /** Tags in scope that stay, with every reason. */
  readonly keepTags: readonly PlannedTag[];
  /** Untagged manifests kept only by the grace period (they would go otherwise). */
  readonly keepManifests: readonly { readonly digest: string; readonly reason: string }[];
  /** Tags no rule's scope holds: never touched. */
  readonly outOfScope: number;
  /** Estimated bytes freed by this repository's deletions (each manifest or blob counted once, where it goes first). */
  readonly bytes: number;
}

export interface PlanSummary {
  readonly tags: number;
  readonly manifests: number;
  readonly bytes: number;
  readonly keptTags: number;
  readonly immutable: number;
  readonly repositories: number;
}

export interface Plan {
  readonly project: string;
  readonly at: string;
  readonly untagged: boolean;
  readonly repositories: readonly RepositoryPlan[];
  readonly summary: PlanSummary;
  /** "would delete 312 tags, 1.2 GiB" */
  readonly text: string;
  /** The byte figure is an estimate (shared blobs, tag history that GC keeps). */
  readonly bytesEstimated: true;
  /** Rules that match nothing, and the like. */
  readonly warnings: readonly string[];
}

export interface PlanOptions {
  readonly now: number;
  /** Whether an immutability rule covers this tag (full repository name). */
  readonly immutable?: (repository: string, tag: string) => boolean;
  readonly graceMs?: number;
}

/** What a run decided (or did) per repository: the input of `finish`. */
export interface Decisions {
  readonly deleteTags: ReadonlyMap<string, readonly PlannedTag[]>;
  readonly deleteManifests: ReadonlyMap<string, readonly PlannedManifest[]>;
  readonly keepTags: ReadonlyMap<string, readonly PlannedTag[]>;
  readonly keepManifests: ReadonlyMap<string, readonly { digest: string; reason: string }[]>;
  readonly outOfScope: ReadonlyMap<string, number>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The subject digest of a cosign tag (sha256-<hex>.sig -> sha256:<hex>). */
export function cosignSubjectOf(tag: string): string | undefined {
  if (!isCosignTag(tag)) return undefined;
  return tag.slice(0, tag.lastIndexOf('.')).replace('-', ':');
}

function newestFirst(a: InventoryTag, b: InventoryTag): number {
  return b.pushedAt - a.pushedAt || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);
}

function recentlyPulledFirst(a: InventoryTag, b: InventoryTag): number {
  // Never-pulled tags rank after every pulled one, newest push first among themselves.
  const pa = a.pulledAt ?? -Infinity;
  const pb = b.pulledAt ?? -Infinity;
  return pa !== pb ? (pb > pa ? 1 : -1) : newestFirst(a, b);
}

/** The tags of `inScope` that the rule keeps. */
function keptBy(rule: RetentionRule, inScope: readonly InventoryTag[], now: number, matches: (glob: string, value: string) => boolean): InventoryTag[] {
  switch (rule.kind) {
    case 'mostRecentlyPushed': return [...inScope].sort(newestFirst).slice(0, rule.value as number);
    case 'mostRecentlyPulled': return [...inScope].sort(recentlyPulledFirst).slice(0, rule.value as number);
    case 'pushedWithinDays': return inScope.filter((t) => t.pushedAt >= now - (rule.value as number) * DAY_MS);
    case 'pulledWithinDays': return inScope.filter((t) => t.pulledAt !== null && t.pulledAt >= now - (rule.value as number) * DAY_MS);
    case 'tagsMatching': return inScope.filter((t) => matches(rule.value as string, t.tag));
    case 'always': return [...inScope];
  }
}

/** The manifests a set of roots keeps in a repository: the roots, their platforms and referrers, transitively. */
export function closure(roots: Iterable<string>, manifests: ReadonlyMap<string, InventoryManifest>, referrers: ReadonlyMap<string, readonly string[]>, linked: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const d = queue.pop()!;
    if (out.has(d) || !linked.has(d)) continue;
    out.add(d);
    for (const c of manifests.get(d)?.children ?? []) queue.push(c);
    for (const r of referrers.get(d) ?? []) queue.push(r);
  }
  return out;
}

function referrersOf(repo: InventoryRepository): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of repo.manifests) {
    if (m.subject === null) continue;
    const list = out.get(m.subject) ?? [];
    list.push(m.digest);
    out.set(m.subject, list);
  }
  return out;
}

function plannedTag(t: InventoryTag, reasons: readonly string[]): PlannedTag {
  return { tag: t.tag, digest: t.digest, pushedAt: iso(t.pushedAt), pulledAt: t.pulledAt === null ? null : iso(t.pulledAt), reasons };
}

/** Decides, per repository, what the policy deletes and keeps. */
export function decide(inventory: Inventory, policy: RetentionPolicy, options: PlanOptions, matches: (glob: string, value: string) => boolean): Decisions & { warnings: string[] } {
  const { now } = options;
  const grace = options.graceMs ?? UNTAGGED_GRACE_MS;
  const immutable = options.immutable ?? (() => false);
  const deleteTags = new Map<string, PlannedTag[]>();
  const deleteManifests = new Map<string, PlannedManifest[]>();
  const keepTags = new Map<string, PlannedTag[]>();
  const keepManifests = new Map<string, { digest: string; reason: string }[]>();
  const outOfScope = new Map<string, number>();
  const warnings: string[] = [];
  const ruleHits = policy.rules.map(() => 0);

  for (const repo of inventory.repositories) {
    const linked = new Set(repo.manifests.map((m) => m.digest));
    const referrers = referrersOf(repo);
    const ordinary = repo.tags.filter((t) => !isCosignTag(t.tag));
    const inScope = new Set<InventoryTag>();
    const reasons = new Map<InventoryTag, string[]>();
    policy.rules.forEach((rule, i) => {
      if (!coversRepository(rule, repo.path, matches)) return;
      ruleHits[i]! += 1;
      const scope = ordinary.filter((t) => coversTag(rule, t.tag, matches));
      for (const t of scope) inScope.add(t);
      const text = describeRule(rule, i);
      for (const t of keptBy(rule, scope, now, matches)) reasons.set(t, [...(reasons.get(t) ?? []), text]);
    });

    const deleted: PlannedTag[] = [];
    const kept: PlannedTag[] = [];
    for (const t of ordinary) {
      if (!inScope.has(t)) continue;
      const why = reasons.get(t) ?? [];
      if (immutable(repo.name, t.tag)) why.push('immutable (an immutability rule of the project covers it)');
      if (why.length) kept.push(plannedTag(t, why));
      else deleted.push(plannedTag(t, ['no rule keeps it']));
    }

    // Cosign tags follow their image: kept while it keeps a tag (or stays for another reason).
    const deletedNames = new Set(deleted.map((t) => t.tag));
    const remaining = repo.tags.filter((t) => !deletedNames.has(t.tag) && !isCosignTag(t.tag));
    const keptClosure = closure(remaining.map((t) => t.digest), inventory.manifests, referrers, linked);
    const taggedBefore = new Set(ordinary.map((t) => t.digest));
    for (const t of repo.tags) {
      const subject = cosignSubjectOf(t.tag);
      if (subject === undefined) continue;
      if (keptClosure.has(subject) || !taggedBefore.has(subject) || !linked.has(subject)) continue;
      // Its image loses its last tag in this run: the signature goes with it.
      deleted.push(plannedTag(t, [`follows ${subject.slice(0, 19)}…, whose last tag this run deletes`]));
    }
    for (const t of repo.tags) if (!isCosignTag(t.tag) && !inScope.has(t)) outOfScope.set(repo.name, (outOfScope.get(repo.name) ?? 0) + 1);

    // Untagged manifests: none of the tags pointed at them before this run.
    const untaggedDeleted: PlannedManifest[] = [];
    const graceKept: { digest: string; reason: string }[] = [];
    if (policy.untagged && inScopeRepository(policy, repo.path, matches)) {
      const allTagged = new Set(repo.tags.map((t) => t.digest));
      const gone = new Set(deleted.map((d) => d.tag));
      const tagsAfter = repo.tags.filter((t) => !gone.has(t.tag));
      const stays = closure(tagsAfter.map((t) => t.digest), inventory.manifests, referrers, linked);
      // A referrer that stays (a tagged SBOM, a signature) keeps its subject: deleting the subject
      // would take the referrer and its tag along.
      for (let grew = true; grew;) {
        grew = false;
        for (const m of repo.manifests) {
          if (m.subject === null || !stays.has(m.digest) || stays.has(m.subject) || !linked.has(m.subject)) continue;
          for (const d of closure([m.subject], inventory.manifests, referrers, linked)) stays.add(d);
          grew = true;
        }
      }
      let candidates = new Set<string>();
      for (const m of repo.manifests) {
        if (allTagged.has(m.digest) || stays.has(m.digest) || m.subject !== null) continue;
        if (m.pushedAt > now - grace) {
          graceKept.push({ digest: m.digest, reason: `untagged, but pushed less than ${Math.round(grace / 60_000)} minutes ago (a push may still be tagging it)` });
          continue;
        }
        if (m.protectedUntil !== undefined && m.protectedUntil > now) {
          graceKept.push({ digest: m.digest, reason: `untagged, but protected until ${iso(m.protectedUntil)} (pushed, untagged or looked up by digest within the GC review delay: a push may still name it)` });
          continue;
        }
        candidates.add(m.digest);
      }
      // Every manifest that stays keeps its platforms: shrink the candidates until that holds.
      for (;;) {
        const staying = [...linked].filter((d) => !candidates.has(d));
        const needed = closure(staying, inventory.manifests, referrers, linked);
        const next = new Set([...candidates].filter((d) => !needed.has(d)));
        if (next.size === candidates.size) break;
        candidates = next;
      }
      const links = new Map(repo.manifests.map((m) => [m.digest, m]));
      const bySubject = new Map<string, string[]>();
      for (const t of repo.tags) {
        const subject = cosignSubjectOf(t.tag);
        if (subject !== undefined) bySubject.set(subject, [...(bySubject.get(subject) ?? []), t.tag]);
      }
      const followers = (digest: string) => bySubject.get(digest) ?? [];
      const list = [...candidates].map((d) => {
        const m = inventory.manifests.get(d);
        return { digest: d, mediaType: m?.mediaType ?? 'unknown', size: m?.size ?? 0, pushedAt: iso(links.get(d)!.pushedAt), followers: followers(d) };
      });
      // Indexes first: a platform is deleted after the index that names it.
      const isParent = (d: string) => (inventory.manifests.get(d)?.children.length ?? 0) > 0;
      list.sort((a, b) => Number(isParent(b.digest)) - Number(isParent(a.digest)) || (a.pushedAt < b.pushedAt ? -1 : a.pushedAt > b.pushedAt ? 1 : 0) || (a.digest < b.digest ? -1 : 1));
      untaggedDeleted.push(...list);
    }

    deleted.sort((a, b) => (a.pushedAt < b.pushedAt ? -1 : a.pushedAt > b.pushedAt ? 1 : 0) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    kept.sort((a, b) => (a.tag < b.tag ? -1 : 1));
    if (deleted.length) deleteTags.set(repo.name, deleted);
    if (kept.length) keepTags.set(repo.name, kept);
    if (untaggedDeleted.length) deleteManifests.set(repo.name, untaggedDeleted);
    if (graceKept.length) keepManifests.set(repo.name, graceKept);
  }

  policy.rules.forEach((rule, i) => {
    if (ruleHits[i] === 0) {
      warnings.push(`${describeRule(rule, i)} matches no repository of ${inventory.project}${rule.repositories.startsWith(`${inventory.project}/`) ? ` (patterns are paths inside the project: write ${JSON.stringify(rule.repositories.slice(inventory.project.length + 1))})` : ''}`);
    }
  });
  if (!policy.rules.length) warnings.push('the policy has no rules: nothing is in scope, so nothing is deleted');
  return { deleteTags, deleteManifests, keepTags, keepManifests, outOfScope, warnings };
}

/** Whether any rule's repository pattern covers the repository (untagged manifests are only deleted there). */
function inScopeRepository(policy: RetentionPolicy, path: string, matches: (glob: string, value: string) => boolean): boolean {
  return policy.rules.some((r) => coversRepository(r, path, matches));
}

/** Bytes freed per repository: manifests and blobs that nothing staying in the project references. */
export function bytesFreed(inventory: Inventory, decisions: Pick<Decisions, 'deleteTags' | 'deleteManifests'>): Map<string, number> {
  // What stays: per repository, the closure of the tags left (every other manifest is GC's).
  const keptManifests = new Set<string>();
  const affected: { repository: string; digests: Set<string> }[] = [];
  for (const repo of inventory.repositories) {
    const linked = new Set(repo.manifests.map((m) => m.digest));
    const referrers = referrersOf(repo);
    const goneTags = new Set((decisions.deleteTags.get(repo.name) ?? []).map((t) => t.tag));
    const goneManifests = (decisions.deleteManifests.get(repo.name) ?? []).map((m) => m.digest);
    const left = repo.tags.filter((t) => !goneTags.has(t.tag)).map((t) => t.digest);
    const stays = closure(left, inventory.manifests, referrers, linked);
    for (const d of stays) keptManifests.add(d);
    const roots = [...repo.tags.filter((t) => goneTags.has(t.tag)).map((t) => t.digest), ...goneManifests];
    const hit = new Set([...closure(roots, inventory.manifests, referrers, linked)].filter((d) => !stays.has(d)));
    affected.push({ repository: repo.name, digests: hit });
  }
  const keptBlobs = new Set<string>();
  for (const d of keptManifests) for (const [b] of inventory.manifests.get(d)?.blobs ?? []) keptBlobs.add(b);
  const counted = new Set<string>();
  const out = new Map<string, number>();
  for (const { repository, digests } of affected) {
    let bytes = 0;
    for (const d of digests) {
      if (keptManifests.has(d)) continue;
      const m = inventory.manifests.get(d);
      if (!m) continue;
      if (!counted.has(d)) {
        counted.add(d);
        bytes += m.size;
      }
      for (const [b, size] of m.blobs) {
        if (keptBlobs.has(b) || counted.has(b)) continue;
        counted.add(b);
        bytes += size;
      }
    }
    out.set(repository, bytes);
  }
  return out;
}

/** "1.2 GiB" (core/sizes.ts). */
export { formatBytes };

/** "would delete 312 tags, 1.2 GiB" or "deleted 3 tags and 1 untagged manifest, 4 KiB". */
export function summaryText(summary: Pick<PlanSummary, 'tags' | 'manifests' | 'bytes'>, done: boolean): string {
  const tags = `${summary.tags} tag${summary.tags === 1 ? '' : 's'}`;
  const manifests = summary.manifests ? ` and ${summary.manifests} untagged manifest${summary.manifests === 1 ? '' : 's'}` : '';
  return `${done ? 'deleted' : 'would delete'} ${tags}${manifests}, ${formatBytes(summary.bytes)}`;
}

/** The plan (or a run's outcome) from its decisions. */
export function finish(inventory: Inventory, decisions: Decisions, options: { now: number; untagged: boolean; done: boolean; warnings?: readonly string[] }): Plan {
  const bytes = bytesFreed(inventory, decisions);
  const repositories: RepositoryPlan[] = [];
  let tags = 0;
  let manifests = 0;
  let total = 0;
  let keptTags = 0;
  let immutable = 0;
  for (const repo of inventory.repositories) {
    const deleteTags = decisions.deleteTags.get(repo.name) ?? [];
    const deleteManifests = decisions.deleteManifests.get(repo.name) ?? [];
    const keepTags = decisions.keepTags.get(repo.name) ?? [];
    const keepManifests = decisions.keepManifests.get(repo.name) ?? [];
    const outOfScope = decisions.outOfScope.get(repo.name) ?? 0;
    if (!deleteTags.length && !deleteManifests.length && !keepTags.length && !keepManifests.length) continue;
    const b = bytes.get(repo.name) ?? 0;
    repositories.push({ repository: repo.name, deleteTags, deleteManifests, keepTags, keepManifests, outOfScope, bytes: b });
    tags += deleteTags.length;
    manifests += deleteManifests.length;
    total += b;
    keptTags += keepTags.length;
    immutable += keepTags.filter((t) => t.reasons.some((r) => r.startsWith('immutable'))).length;
  }
  const summary = { tags, manifests, bytes: total, keptTags, immutable, repositories: repositories.filter((r) => r.deleteTags.length || r.deleteManifests.length).length };
  return {
    project: inventory.project,
    at: iso(options.now),
    untagged: options.untagged,
    repositories,
    summary,
    text: summaryText(summary, options.done),
    bytesEstimated: true,
    warnings: [...(options.warnings ?? [])],
  };
}

/** Plans a run: what it would delete and keep, and the bytes that frees. */
export function plan(inventory: Inventory, policy: RetentionPolicy, options: PlanOptions, matches: (glob: string, value: string) => boolean): Plan {
  const decisions = decide(inventory, policy, options, matches);
  return finish(inventory, decisions, { now: options.now, untagged: policy.untagged, done: false, warnings: decisions.warnings });
}
