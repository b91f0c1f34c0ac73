// The copy plan (pure): what a replication sends, in dependency order, so that the peer never
// receives a manifest before what it references. For each manifest: its blobs (config, layers),
// then, for an index, each child manifest (with its blobs) before the index itself; referrers
// (signatures, SBOMs, attestations) after the manifest they refer to, and theirs after them.
// Each digest appears once, at its first place: a layer shared by two platforms is sent once.

export interface BlobRef {
  readonly digest: string;
  readonly size: number;
}

export interface ManifestNode {
  readonly digest: string;
  readonly mediaType: string;
  /** Config and layers (an image) that the peer must hold; non-distributable layers are left out. */
  readonly blobs: readonly BlobRef[];
  /** Child manifests (an index). */
  readonly children: readonly string[];
  /** Manifests whose subject is this one. */
  readonly referrers: readonly string[];
}

export type CopyStep =
  | { readonly kind: 'blob'; readonly digest: string; readonly size: number; readonly for: string }
  | { readonly kind: 'manifest'; readonly digest: string; readonly mediaType: string; readonly role: 'root' | 'child' | 'referrer'; readonly tag?: string };

export class PlanError extends Error {}

/**
 * The steps that copy `root` (tagged `tag`, when given) and everything it needs, from the
 * nodes in `graph`. A node missing from the graph is a PlanError, as is a cycle.
 */
export function planCopy(graph: ReadonlyMap<string, ManifestNode>, root: string, tag?: string): CopyStep[] {
  const steps: CopyStep[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const referrerQueue: string[] = [];

  const node = (digest: string): ManifestNode => {
    const n = graph.get(digest);
    if (!n) throw new PlanError(`the manifest ${digest} is not in the graph`);
    return n;
  };

  const place = (digest: string, role: 'root' | 'child' | 'referrer', withTag?: string) => {
    if (placed.has(digest)) return;
    if (visiting.has(digest)) throw new PlanError(`the manifest ${digest} refers to itself (a cycle)`);
    visiting.add(digest);
    const n = node(digest);
    for (const b of n.blobs) {
      const key = `blob:${b.digest}`;
      if (placed.has(key)) continue;
      placed.add(key);
      steps.push({ kind: 'blob', digest: b.digest, size: b.size, for: digest });
    }
    for (const child of n.children) place(child, 'child');
    visiting.delete(digest);
    placed.add(digest);
    steps.push({ kind: 'manifest', digest, mediaType: n.mediaType, role, ...(withTag !== undefined ? { tag: withTag } : {}) });
    // Referrers of this manifest (and of its children, which were placed above) come after
    // everything the root needs, so that the image is whole on the peer before its signatures.
    referrerQueue.push(...n.referrers);
  };

  place(root, 'root', tag);
  while (referrerQueue.length) {
    const r = referrerQueue.shift()!;
    if (placed.has(r)) continue;
    place(r, 'referrer');
  }
  return steps;
}

/**
 * The manifests of `graph` that are covered once `present` are on the peer: a registry that
 * holds a manifest holds what it references (it refused the manifest otherwise), so a present
 * manifest's children and blobs need no look-up. Referrers are not covered: a signature may be
 * newer than the image.
 */
export function coveredBy(graph: ReadonlyMap<string, ManifestNode>, present: ReadonlySet<string>): Set<string> {
  const covered = new Set<string>();
  const walk = (digest: string) => {
    if (covered.has(digest)) return;
    covered.add(digest);
    const n = graph.get(digest);
    if (!n) return;
    for (const b of n.blobs) covered.add(`blob:${b.digest}`);
    for (const c of n.children) walk(c);
  };
  for (const d of present) walk(d);
  return covered;
}
