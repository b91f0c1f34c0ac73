// What the planner needs from the DB, read in a handful of project-wide queries: every tag with
// its push time (tags.updated_at, when it last moved) and pull time (tags.last_pulled_at), every
// manifest link with its push time (repository_manifests.pushed_at), the manifests' sizes,
// platforms and blobs, and the project's immutability rules.
import { immutableRuleFor, repositoryPathOf } from '../../core/tag-rules.ts';
import type { Executor } from '../../metadata/executor.ts';
import { manifestFacts, projectImmutableRules, projectManifestLinks, projectProtectedManifests, projectRepositories, projectTags } from '../../metadata/retention.ts';
import type { Inventory, InventoryLink, InventoryManifest, InventoryTag } from './planner.ts';

export async function loadInventory(db: Executor, project: string, now: number = Date.now()): Promise<Inventory> {
  const [repositories, tags, links, protectedLinks] = await Promise.all([projectRepositories(db, project), projectTags(db, project), projectManifestLinks(db, project), projectProtectedManifests(db, project, now)]);
  const protection = new Map(protectedLinks.map((p) => [`${p.repository}\u0000${p.digest}`, p.until]));
  const tagsOf = new Map<string, InventoryTag[]>();
  for (const t of tags) {
    const list = tagsOf.get(t.repository) ?? [];
    list.push({ tag: t.tag, digest: t.digest, pushedAt: t.updated_at, pulledAt: t.last_pulled_at });
    tagsOf.set(t.repository, list);
  }
  const linksOf = new Map<string, InventoryLink[]>();
  for (const l of links) {
    const list = linksOf.get(l.repository) ?? [];
    const until = protection.get(`${l.repository}\u0000${l.digest}`);
    list.push({ digest: l.digest, subject: l.subject_digest, pushedAt: l.pushed_at, ...(until !== undefined ? { protectedUntil: until } : {}) });
    linksOf.set(l.repository, list);
  }
  const facts = await manifestFacts(db, links.map((l) => l.digest));
  const manifests = new Map<string, InventoryManifest>();
  for (const [digest, f] of facts) {
    manifests.set(digest, {
      mediaType: f.media_type,
      size: f.size,
      children: f.refs.filter((r) => r.kind === 'manifest').map((r) => r.digest),
      blobs: f.refs.filter((r) => r.kind !== 'manifest').map((r) => [r.digest, r.size] as const),
    });
  }
  return {
    project,
    repositories: repositories.map((r) => ({ name: r.name, path: repositoryPathOf(r.name), tags: tagsOf.get(r.name) ?? [], manifests: linksOf.get(r.name) ?? [] })),
    manifests,
  };
}

/** Whether an immutability rule of the project covers a tag (what the dry run shows as kept). */
export async function immutableMatcher(db: Executor, projectId: number): Promise<(repository: string, tag: string) => boolean> {
  const rules = await projectImmutableRules(db, projectId);
  if (!rules.length) return () => false;
  return (repository, tag) => immutableRuleFor(rules, repository, tag) !== undefined;
}
