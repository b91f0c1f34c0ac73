// One replication pass: what the rule selects on the source, copied to the target in dependency
// order (planner.ts), idempotent per digest and incremental. Before anything is sent the target
// is asked (HEAD): a tag that already points at the same digest, a manifest or blob the target
// holds, are skipped; a manifest the target holds covers everything under it. A blob the target
// holds in another repository is mounted instead of uploaded. Referrers (signatures, SBOMs,
// attestations) follow their subject; to a registry without the referrers API (no OCI-Subject in
// its answer, as Distribution 2.8) the tag schema's index sha256-<hex> is kept up to date, and
// from one the referrers are read through it. Cosign's sha256-<hex>.sig/.att/.sbom tags go with
// their image. Deletions are replicated only when the rule says so.
import { parseManifest } from '../../core/manifest.ts';
import { MediaType, layerMayBeAbsent } from '../../core/mediatypes.ts';
import { canonicalRepositoryName, shortRepositoryName } from '../../core/reference.ts';
import type { ReferrerDescriptor } from '../../registry-client/index.ts';
import { UpstreamError } from '../../registry-client/index.ts';
import { compileFilter, cosignSubject, fallbackTag, isFallbackTag, type RuleFilter } from './filters.ts';
import type { Endpoint, FetchedManifest } from './peers.ts';
import { targetRepository } from './names.ts';
import { withReferrer } from './peers.ts';
import { coveredBy, planCopy, type ManifestNode } from './planner.ts';

export type ResultStatus = 'copied' | 'skipped' | 'failed' | 'deleted';
export type ResultKind = 'image' | 'index' | 'child' | 'referrer' | 'tag-delete';

export interface ArtifactResult {
  readonly repository: string;
  readonly reference: string;
  readonly digest?: string;
  readonly kind: ResultKind;
  readonly status: ResultStatus;
  readonly bytes: number;
  readonly error?: string;
}

export interface CopySummary {
  copied: number;
  skipped: number;
  failed: number;
  deleted: number;
  bytes: number;
  blobsCopied: number;
  blobsMounted: number;
  blobsSkipped: number;
  /** Tags (and deletions) the pass looked at. */
  items: number;
}

/** What one on-push job is about (otherwise the whole rule). */
export interface OnlyOne {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly deleted?: boolean;
}

export interface CopierOptions {
  readonly source: Endpoint;
  readonly target: Endpoint;
  /** Names on the target: a pull canonicalises the peer's (app -> library/app). */
  readonly direction: 'push' | 'pull';
  /** Replaces the first path component of each name on the target (names.ts). */
  readonly destPrefix?: string;
  readonly filter: RuleFilter;
  readonly label?: string;
  readonly deletions: boolean;
  readonly signal?: AbortSignal;
  readonly onResult: (r: ArtifactResult) => Promise<void> | void;
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

interface Node extends ManifestNode {
  readonly manifest: FetchedManifest;
  readonly subject?: ReferrerDescriptor;
  readonly artifactType?: string;
}

const MAX_REFERRER_DEPTH = 4;

export class Copier {
  readonly summary: CopySummary = { copied: 0, skipped: 0, failed: 0, deleted: 0, bytes: 0, blobsCopied: 0, blobsMounted: 0, blobsSkipped: 0, items: 0 };
  /** Where each blob is on the target already (this pass), to mount it from. */
  private readonly placedBlobs = new Map<string, string>();
  private readonly compiled;

  constructor(private readonly o: CopierOptions) {
    this.compiled = compileFilter(o.filter);
  }

  private targetName(sourceName: string): string {
    return targetRepository(sourceName, this.o.direction, this.o.destPrefix);
  }

  /** A Berth repository of this rule, as an earlier pass named it on the target. */
  private mappedOrUndefined(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    try {
      return this.targetName(name);
    } catch {
      return undefined;
    }
  }

  private canonical(name: string): string {
    try {
      return canonicalRepositoryName(name);
    } catch {
      return name;
    }
  }

  private checkAbort(): void {
    if (this.o.signal?.aborted) throw new Error('the replication was stopped (the instance is shutting down or lost its lease); it is taken up again');
  }

  /** The whole rule: every selected tag of every selected repository, then deletions. */
  async runAll(): Promise<CopySummary> {
    const repos = await this.selectedRepositories();
    const work: { repository: string; tag: string; all: string[] }[] = [];
    const deletions: { repository: string; tag: string }[] = [];
    for (const repository of repos) {
      this.checkAbort();
      const all = await this.o.source.tags(repository);
      for (const tag of all.filter((t) => this.compiled.tag(t) && !isFallbackTag(t)).sort()) work.push({ repository, tag, all });
      if (this.o.deletions) {
        const have = new Set(all);
        const there = await Promise.resolve().then(() => this.o.target.tags(this.targetName(repository))).catch(() => [] as string[]);
        for (const tag of there) if (this.compiled.tag(tag) && !isFallbackTag(tag) && !have.has(tag)) deletions.push({ repository, tag });
      }
    }
    const total = work.length + deletions.length;
    let done = 0;
    for (const w of work) {
      this.checkAbort();
      this.o.onProgress?.(done, total, `${w.repository}:${w.tag}`);
      await this.copyTag(w.repository, w.tag, w.all);
      done++;
    }
    for (const d of deletions) {
      this.checkAbort();
      this.o.onProgress?.(done, total, `delete ${d.repository}:${d.tag}`);
      await this.deleteTag(d.repository, d.tag, new Set(deletions.filter((x) => x.repository === d.repository).map((x) => x.tag)));
      done++;
    }
    this.o.onProgress?.(done, total, 'done');
    return this.summary;
  }

  /**
   * The source's repositories the rule selects. A pattern without wildcards names one repository:
   * it is read directly, without the catalog, which many registries (Docker Hub) do not offer; on a
   * peer, library/app may be stored as app (Distribution keeps the name pushed).
   */
  private async selectedRepositories(): Promise<string[]> {
    const pattern = this.o.filter.repos;
    if (!/[*?[\]{}\\]/.test(pattern) && this.o.label === undefined) {
      const names = [...new Set([pattern, shortRepositoryName(this.canonical(pattern))])];
      for (const name of names) if ((await this.o.source.tags(name)).length) return [name];
      // No tags (left) on the source: still looked at, for deletions to replicate.
      return [pattern];
    }
    let listed: string[];
    try {
      listed = await this.o.source.repositories(this.o.label);
    } catch (error) {
      if (error instanceof UpstreamError && (error.failure === 'auth' || error.failure === 'invalid' || error.failure === 'not-found')) {
        throw new UpstreamError(error.failure, `${this.o.source.label} does not list its repositories (${error.message}): name one repository in --repos, without wildcards`, error.status);
      }
      throw error;
    }
    return listed.filter((r) => this.compiled.repository(this.canonical(r))).sort();
  }

  /** One on-push job: a tag pushed (or deleted), or a referrer pushed by digest. */
  async runOne(only: OnlyOne): Promise<CopySummary> {
    if (!this.compiled.repository(this.canonical(only.repository))) return this.summary;
    this.o.onProgress?.(0, 1, `${only.repository}:${only.tag ?? only.digest}`);
    if (only.deleted && only.tag) {
      if (this.o.deletions && this.compiled.tag(only.tag)) await this.deleteTag(only.repository, only.tag, new Set([only.tag]));
    } else if (only.tag) {
      const cosign = cosignSubject(only.tag);
      if (cosign) await this.copyTag(only.repository, only.tag, [], 'referrer');
      else if (this.compiled.tag(only.tag)) await this.copyTag(only.repository, only.tag, await this.o.source.tags(only.repository));
    } else if (only.digest) {
      await this.copyReferrerByDigest(only.repository, only.digest);
    }
    this.o.onProgress?.(1, 1, 'done');
    return this.summary;
  }

  private async record(r: ArtifactResult): Promise<void> {
    if (r.status === 'copied') this.summary.copied++;
    else if (r.status === 'skipped') this.summary.skipped++;
    else if (r.status === 'failed') this.summary.failed++;
    else this.summary.deleted++;
    await this.o.onResult(r);
  }

  /** Reads the manifest and, recursively, its children and referrers from the source. */
  private async graphOf(repository: string, root: string): Promise<Map<string, Node>> {
    const graph = new Map<string, Node>();
    const visit = async (reference: string, depth: number): Promise<string> => {
      const manifest = await this.o.source.manifest(repository, reference);
      if (graph.has(manifest.digest)) return manifest.digest;
      const facts = parseManifest(manifest.body, manifest.mediaType);
      const blobs = [...(facts.config ? [facts.config] : []), ...facts.layers].filter((d) => !layerMayBeAbsent(d)).map((d) => ({ digest: d.digest, size: d.size }));
      const node: { -readonly [K in keyof Node]: Node[K] } = {
        digest: manifest.digest, mediaType: facts.mediaType, blobs, children: facts.manifests.map((m) => m.digest), referrers: [], manifest,
        ...(facts.subject ? { subject: facts.subject } : {}), ...(facts.artifactType ? { artifactType: facts.artifactType } : {}),
      };
      graph.set(manifest.digest, node);
      for (const child of facts.manifests) await visit(child.digest, depth);
      if (depth < MAX_REFERRER_DEPTH) {
        const referrers = await this.o.source.referrers(repository, manifest.digest);
        const found: string[] = [];
        for (const r of referrers) found.push(await visit(r.digest, depth + 1));
        node.referrers = found;
      }
      return manifest.digest;
    };
    await visit(root, 0);
    return graph;
  }

  /** Copies one tag and what it needs; `all` is the repository's tags (for cosign's attachments). */
  private async copyTag(repository: string, tag: string, all: readonly string[], kindOverride?: ResultKind): Promise<void> {
    this.summary.items++;
    let target = repository;
    let rootDigest: string | undefined;
    try {
      target = this.targetName(repository);
      const graph = await this.graphOf(repository, tag);
      const root = [...graph.values()][0]!;
      rootDigest = root.digest;
      await this.send(repository, target, graph, root.digest, tag, kindOverride ?? (root.children.length || root.mediaType === MediaType.OciIndex || root.mediaType === MediaType.DockerManifestList ? 'index' : 'image'));
    } catch (error) {
      await this.record({ repository: target, reference: tag, ...(rootDigest ? { digest: rootDigest } : {}), kind: kindOverride ?? 'image', status: 'failed', bytes: 0, error: messageOf(error) });
      if (isFatal(error)) throw error;
      return;
    }
    // Cosign's attachments of this image (sha256-<hex>.sig/.att/.sbom) go with it.
    for (const t of all) {
      if (t === tag || cosignSubject(t) !== rootDigest) continue;
      await this.copyTag(repository, t, [], 'referrer');
    }
  }

  /** An untagged manifest pushed with a subject (a signature, an SBOM): copied with its own referrers. */
  private async copyReferrerByDigest(repository: string, digest: string): Promise<void> {
    this.summary.items++;
    let target = repository;
    try {
      target = this.targetName(repository);
      const graph = await this.graphOf(repository, digest);
      await this.send(repository, target, graph, digest, undefined, 'referrer');
    } catch (error) {
      await this.record({ repository: target, reference: digest, digest, kind: 'referrer', status: 'failed', bytes: 0, error: messageOf(error) });
      if (isFatal(error)) throw error;
    }
  }

  /** Sends the plan of `root` to the target, asking first what the target holds. */
  private async send(source: string, target: string, graph: Map<string, Node>, root: string, tag: string | undefined, rootKind: ResultKind): Promise<void> {
    const dst = this.o.target;
    // What the target holds already, from the top down: a held manifest covers what is under it.
    const present = new Set<string>();
    const tagged = tag !== undefined ? await dst.head(target, tag) : undefined;
    if (tagged === root || (await dst.head(target, root)) === root) present.add(root);
    else {
      // A new root over manifests the target may hold (a retag, an index of known platforms).
      for (const d of graph.keys()) if (d !== root && (await dst.head(target, d)) === d) present.add(d);
    }
    const covered = coveredBy(graph, present);
    const plan = planCopy(graph, root, tag);
    const bytesFor = new Map<string, number>();
    for (const step of plan) {
      this.checkAbort();
      if (step.kind === 'blob') {
        if (covered.has(`blob:${step.digest}`)) { this.summary.blobsSkipped++; continue; }
        const sent = await this.sendBlob(source, target, step.digest, step.size);
        if (sent) bytesFor.set(step.for, (bytesFor.get(step.for) ?? 0) + sent);
        continue;
      }
      const node = graph.get(step.digest)!;
      const kind: ResultKind = step.role === 'root' ? rootKind : step.role;
      const reference = step.tag ?? step.digest;
      const there = step.tag !== undefined ? tagged === step.digest : covered.has(step.digest) || present.has(step.digest) || (step.role === 'referrer' && (await dst.head(target, step.digest)) === step.digest);
      if (there) {
        // A referrer already there: on a target without the referrers API it must also be in the
        // subject's tag schema index (an earlier try may have stopped between the two writes).
        if (node.subject && !(await dst.hasReferrersApi(target, node.subject.digest))) await this.addToFallback(target, node);
        await this.record({ repository: target, reference, digest: step.digest, kind, status: 'skipped', bytes: 0 });
        continue;
      }
      const { indexed } = await dst.putManifest(target, reference, node.manifest.body, node.manifest.mediaType);
      if (!indexed && node.subject) await this.addToFallback(target, node);
      await this.record({ repository: target, reference, digest: step.digest, kind, status: 'copied', bytes: bytesFor.get(step.digest) ?? 0 });
    }
  }

  /** A target without the referrers API: the referrer joins the index tagged sha256-<hex> of its subject. */
  private async addToFallback(target: string, node: Node): Promise<void> {
    const tag = fallbackTag(node.subject!.digest);
    let existing: Buffer | undefined;
    try {
      existing = (await this.o.target.manifest(target, tag)).body;
    } catch (error) {
      if (!(error instanceof UpstreamError && error.failure === 'not-found')) throw error;
    }
    const descriptor: ReferrerDescriptor = {
      mediaType: node.manifest.mediaType, digest: node.digest, size: node.manifest.body.byteLength,
      ...(node.artifactType ? { artifactType: node.artifactType } : {}),
    };
    const body = withReferrer(existing, descriptor);
    if (body) await this.o.target.putManifest(target, tag, body, MediaType.OciIndex);
  }

  /** Returns the bytes uploaded (0 when the target had it or it was mounted). */
  private async sendBlob(source: string, target: string, digest: string, size: number): Promise<number> {
    const dst = this.o.target;
    if (await dst.hasBlob(target, digest)) {
      this.summary.blobsSkipped++;
      this.placedBlobs.set(digest, target);
      return 0;
    }
    // Where the target may hold it: placed there by this pass; a repository of the target (Berth)
    // that links it; or, pushing from Berth, another repository of this rule that links it here,
    // which an earlier pass replicated under the same name.
    const from = this.placedBlobs.get(digest) ?? (await dst.mountSource?.(digest, target))
      ?? (this.o.direction === 'push' ? this.mappedOrUndefined(await this.o.source.mountSource?.(digest, source, (r) => this.compiled.repository(this.canonical(r)))) : undefined);
    if (from && from !== target && (await dst.mount(target, digest, from))) {
      this.summary.blobsMounted++;
      this.placedBlobs.set(digest, target);
      return 0;
    }
    const blob = await this.o.source.openBlob(source, digest);
    await dst.putBlob(target, digest, blob.size ?? size, blob.stream);
    this.summary.blobsCopied++;
    this.summary.bytes += size;
    this.placedBlobs.set(digest, target);
    return size;
  }

  /**
   * Replicates a deleted tag: the tag alone where the target can, else its manifest if no tag that
   * stays (not in `doomed`, the tags this pass deletes) needs it.
   */
  private async deleteTag(repository: string, tag: string, doomed: ReadonlySet<string>): Promise<void> {
    this.summary.items++;
    let target = repository;
    const dst = this.o.target;
    try {
      target = this.targetName(repository);
      const digest = await dst.head(target, tag);
      if (!digest) return;
      let gone: boolean;
      try {
        gone = await dst.deleteTag(target, tag);
      } catch (error) {
        if (!(error instanceof UpstreamError && error.failure === 'invalid')) throw error;
        // Tags cannot be deleted alone there (Distribution 2.8): the manifest goes, unless another tag keeps it.
        const others = (await dst.tags(target)).filter((t) => t !== tag && !doomed.has(t));
        for (const t of others) {
          if ((await dst.head(target, t)) === digest) {
            await this.record({ repository: target, reference: tag, digest, kind: 'tag-delete', status: 'skipped', bytes: 0, error: `the peer deletes manifests, not tags, and ${t} still points at it` });
            return;
          }
        }
        gone = await dst.deleteManifest(target, digest);
      }
      await this.record({ repository: target, reference: tag, digest, kind: 'tag-delete', status: gone ? 'deleted' : 'skipped', bytes: 0 });
    } catch (error) {
      await this.record({ repository: target, reference: tag, kind: 'tag-delete', status: 'failed', bytes: 0, error: messageOf(error) });
      if (isFatal(error)) throw error;
    }
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}

/** Errors that end the pass (the peer is unreachable or refuses us): retried as a whole later. */
function isFatal(error: unknown): boolean {
  return error instanceof UpstreamError && (error.failure === 'network' || error.failure === 'auth' || error.failure === 'rate-limited');
}
