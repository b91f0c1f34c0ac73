// Scanning one image: its inventory (from an SBOM the user pushed as a referrer, or from its
// layers, each layer read once as a stream and indexed once per digest), then its findings
// against the active feed, then the report; and Berth's own CycloneDX SBOM attached to the image
// as an OCI 1.1 referrer. An index is scanned platform by platform. Used by the scan jobs of the
// server and by the offline CLI alike; nothing here touches HTTP.
import type { Kysely } from 'kysely';
import { digestOf, parseDigest } from '../../core/digest.ts';
import { parseManifest, type Descriptor, type ManifestFacts } from '../../core/manifest.ts';
import { layerMayBeAbsent, MediaType } from '../../core/mediatypes.ts';
import type { Database } from '../../metadata/schema.ts';
import { SYSTEM_CONTEXT, type RequestContext } from '../../registry/context.ts';
import type { PushActivity } from '../../registry/activity.ts';
import type { ManifestInfo } from '../../registry/manifests.ts';
import type { Registry } from '../../registry/registry.ts';
import type { StorageDriver } from '../../storage/driver.ts';
import { blobPath } from '../../storage/paths.ts';
import type { Finding } from './advisories/types.ts';
import type { FeedStore } from './feed/store.ts';
import { foldLayers, indexLayer } from './inventory/layer.ts';
import type { Inventory, LayerIndex } from './inventory/types.ts';
import type { InventoryStore } from './inventory-store.ts';
import { matchInventory } from './matching.ts';
import type { ReportStore } from './report-store.ts';
import { CYCLONEDX_MEDIA_TYPE, GENERATOR_ANNOTATION, cyclonedx } from './sbom/generate.ts';
import { readSbom, SbomFormatError } from './sbom/read.ts';

export const SBOM_ARTIFACT_TYPES: ReadonlySet<string> = new Set([CYCLONEDX_MEDIA_TYPE, 'application/spdx+json', 'application/vnd.syft+json']);
const IMAGE_CONFIGS: ReadonlySet<string> = new Set([MediaType.OciConfig, MediaType.DockerConfig]);
/** An SBOM a user pushed is read into memory: it must be small enough. */
const MAX_SBOM_BYTES = 64 * 1024 * 1024;

export interface ScanEngineDeps {
  readonly db: Kysely<Database>;
  readonly storage: StorageDriver;
  readonly registry: Registry;
  readonly feeds: FeedStore;
  readonly inventories: InventoryStore;
  readonly reports: ReportStore;
  readonly tool: { readonly name: string; readonly version: string };
  readonly now?: () => number;
}

export interface ScanOptions {
  readonly signal?: AbortSignal;
  readonly progress?: (text: string) => void;
  /** Index the layers again even when their index is stored (a forced rescan). */
  readonly reindex?: boolean;
}

export interface PlatformOutcome {
  readonly digest: string;
  readonly platform?: string;
  readonly status: 'done' | 'failed' | 'skipped';
  readonly error?: string;
  readonly findings?: readonly Finding[];
  readonly inventorySource?: 'layers' | 'sbom';
  readonly packages?: number;
}

export interface ScanOutcome {
  readonly digest: string;
  readonly repository: string;
  readonly index: boolean;
  readonly platforms: readonly PlatformOutcome[];
}

export function isImageManifest(facts: ManifestFacts): boolean {
  return !facts.isIndex && facts.config !== undefined && IMAGE_CONFIGS.has(facts.config.mediaType)
    && (facts.artifactType === undefined || IMAGE_CONFIGS.has(facts.artifactType));
}

/** Platform of an index child, as "os/arch[/variant]"; attestation manifests are not images. */
export function platformOf(d: Descriptor): string | undefined {
  if (!d.platform || d.platform.os === 'unknown') return undefined;
  return [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/');
}

export class ScanEngine {
  private readonly now: () => number;

  constructor(private readonly deps: ScanEngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A tag or digest of the repository (MANIFEST_UNKNOWN when it is not there). */
  resolve(repository: string, reference: string): Promise<ManifestInfo> {
    return this.deps.registry.manifests.resolve(repository, reference);
  }

  /** The manifest's facts from its stored bytes. */
  async facts(digest: string): Promise<ManifestFacts> {
    const bytes = await this.deps.registry.manifests.bytes(digest);
    return parseManifest(bytes, undefined);
  }

  /** Scans the manifest (each platform of an index) and stores the reports. */
  async scan(repository: string, digest: string, options: ScanOptions = {}): Promise<ScanOutcome> {
    const facts = await this.facts(digest);
    if (!facts.isIndex) return { digest, repository, index: false, platforms: [await this.scanImage(repository, digest, facts, undefined, options)] };
    const platforms: PlatformOutcome[] = [];
    for (const child of facts.manifests) {
      const platform = platformOf(child);
      if (!platform) continue; // attestations and other non-image children
      options.signal?.throwIfAborted();
      options.progress?.(`scanning ${platform} (${child.digest.slice(0, 19)})`);
      let childFacts: ManifestFacts;
      try {
        childFacts = await this.facts(child.digest);
      } catch (error) {
        platforms.push({ digest: child.digest, platform, status: 'failed', error: (error as Error).message });
        continue;
      }
      platforms.push(await this.scanImage(repository, child.digest, childFacts, platform, options));
    }
    return { digest, repository, index: true, platforms };
  }

  private async scanImage(repository: string, digest: string, facts: ManifestFacts, platform: string | undefined, options: ScanOptions): Promise<PlatformOutcome> {
    if (!isImageManifest(facts)) return { digest, ...(platform ? { platform } : {}), status: 'skipped' };
    const started = performance.now();
    const feed = await this.deps.feeds.active();
    // Between its steps a scan waits while uploads stream in (each step is main-thread work that
    // a push's hashing would share the core with), for PHASE_WAIT_MAX_MS at most per step.
    const giveWay = () => this.deps.registry.uploads.activity.settle(PHASE_QUIET_MS, PHASE_WAIT_MAX_MS, options.signal);
    try {
      await giveWay();
      const { inventory, source, sbomDigest } = await this.inventoryOf(repository, digest, facts, options);
      await giveWay();
      await this.deps.inventories.save(digest, inventory, source, sbomDigest, this.now());
      await giveWay();
      const findings = feed ? await matchInventory(this.deps.feeds, feed, inventory) : [];
      await giveWay();
      // Before the report: whoever sees the report can find the SBOM referrer too.
      if (source === 'layers') await this.attachSbom(repository, digest, inventory, platform);
      await this.deps.reports.save({
        digest, status: 'done', scannedAt: this.now(), durationMs: performance.now() - started,
        ...(feed ? { feed: { id: feed.id, digest: feed.digest, dataTime: feed.dataTime } } : {}),
      }, findings);
      return { digest, ...(platform ? { platform } : {}), status: 'done', findings, inventorySource: source, packages: inventory.packages.length };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const message = (error as Error).message;
      await this.deps.reports.save({ digest, status: 'failed', error: message.slice(0, 1000), scannedAt: this.now(), durationMs: performance.now() - started }, []);
      return { digest, ...(platform ? { platform } : {}), status: 'failed', error: message };
    }
  }

  /** The image's inventory: a user's SBOM referrer when there is one, else its layers. */
  private async inventoryOf(repository: string, digest: string, facts: ManifestFacts, options: ScanOptions): Promise<{ inventory: Inventory; source: 'layers' | 'sbom'; sbomDigest?: string }> {
    const sbom = await this.userSbom(repository, digest);
    if (sbom) {
      options.progress?.(`reading the SBOM ${sbom.digest.slice(0, 19)} pushed for the image`);
      return { inventory: sbom.inventory, source: 'sbom', sbomDigest: sbom.digest };
    }
    const layers: LayerIndex[] = [];
    let n = 0;
    for (const layer of facts.layers) {
      options.signal?.throwIfAborted();
      n++;
      let index = options.reindex ? undefined : await this.deps.inventories.layer(layer.digest);
      if (!index) {
        options.progress?.(`reading layer ${n}/${facts.layers.length} (${layer.digest.slice(0, 19)}, ${Math.round(layer.size / 1048576)} MiB)`);
        const path = blobPath(parseDigest(layer.digest));
        if (!(await this.deps.storage.stat(path))) {
          // A layer that lives elsewhere (non-distributable, or with urls) and was not pushed here
          // cannot be read: it is left out of the inventory, as the registry let it be left out.
          if (layerMayBeAbsent(layer)) continue;
          throw new Error(`layer ${layer.digest} is not in storage`);
        }
        index = await indexLayer(stepAside(await this.deps.storage.read(path), this.deps.registry.uploads.activity, options.signal), layer.mediaType);
        await this.deps.inventories.saveLayer(layer.digest, index, this.now());
      }
      layers.push(index);
    }
    return { inventory: foldLayers(layers), source: 'layers' };
  }

  /** An SBOM referrer of the image that Berth did not make, read into an inventory. */
  private async userSbom(repository: string, digest: string): Promise<{ digest: string; inventory: Inventory } | undefined> {
    let referrers;
    try {
      referrers = await this.deps.registry.discovery.referrers(repository, digest);
    } catch {
      return undefined;
    }
    for (const r of referrers.manifests) {
      if (!r.artifactType || !SBOM_ARTIFACT_TYPES.has(r.artifactType) || r.annotations?.[GENERATOR_ANNOTATION]) continue;
      const facts = await this.facts(r.digest).catch(() => undefined);
      const layer = facts?.layers.find((l) => l.size <= MAX_SBOM_BYTES);
      if (!layer) continue;
      const chunks: Buffer[] = [];
      for await (const c of await this.deps.storage.read(blobPath(parseDigest(layer.digest)))) chunks.push(c as Buffer);
      try {
        return { digest: r.digest, inventory: readSbom(Buffer.concat(chunks).toString('utf8')) };
      } catch (error) {
        if (error instanceof SbomFormatError) continue; // not a document we can read: scan the layers instead
        throw error;
      }
    }
    return undefined;
  }

  /**
   * Attaches Berth's CycloneDX SBOM to the image as a referrer (artifactType
   * application/vnd.cyclonedx+json, subject the image), unless one Berth made is there already.
   */
  private async attachSbom(repository: string, digest: string, inventory: Inventory, platform: string | undefined): Promise<void> {
    const existing = await this.deps.registry.discovery.referrers(repository, digest, CYCLONEDX_MEDIA_TYPE).catch(() => undefined);
    if (existing?.manifests.some((m) => m.annotations?.[GENERATOR_ANNOTATION])) return;
    const subject = await this.deps.registry.manifests.resolve(repository, digest);
    const document = Buffer.from(await cyclonedx({ repository, digest, ...(platform ? { platform } : {}) }, inventory, { tool: this.deps.tool, created: new Date(this.now()) }));
    const ctx: RequestContext = SYSTEM_CONTEXT;
    await this.deps.registry.uploads.putMonolithic(ctx, repository, digestOf(document), toSource(document));
    const empty = Buffer.from('{}');
    await this.deps.registry.uploads.putMonolithic(ctx, repository, digestOf(empty), toSource(empty));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: CYCLONEDX_MEDIA_TYPE,
      config: { mediaType: MediaType.OciEmpty, digest: digestOf(empty), size: empty.length },
      layers: [{ mediaType: CYCLONEDX_MEDIA_TYPE, digest: digestOf(document), size: document.length, annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' } }],
      subject: { mediaType: subject.mediaType, digest, size: subject.size },
      annotations: { [GENERATOR_ANNOTATION]: `${this.deps.tool.name} ${this.deps.tool.version}`, 'org.opencontainers.image.created': new Date(this.now()).toISOString() },
    }));
    await this.deps.registry.manifests.put(ctx, repository, digestOf(manifest), manifest, MediaType.OciManifest);
  }

  /** The stored SBOM document Berth made for the image, if any (the referrer's layer bytes). */
  async generatedSbom(repository: string, digest: string): Promise<Buffer | undefined> {
    const refs = await this.deps.registry.discovery.referrers(repository, digest, CYCLONEDX_MEDIA_TYPE).catch(() => undefined);
    const mine = refs?.manifests.find((m) => m.annotations?.[GENERATOR_ANNOTATION]);
    if (!mine) return undefined;
    const facts = await this.facts(mine.digest);
    const layer = facts.layers[0];
    if (!layer) return undefined;
    const chunks: Buffer[] = [];
    for await (const c of await this.deps.storage.read(blobPath(parseDigest(layer.digest)))) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}

/**
 * A layer read that steps aside while uploads stream in, so scanning does not slow a push: it
 * waits between chunks while any upload runs, but moves on at least every half second, so a
 * registry that is never idle still gets its images scanned.
 */
const STEP_ASIDE_MS = 20;
/** Between the steps of a scan: a pause in uploads of this long lets it go on, or this wait at most. */
const PHASE_QUIET_MS = 100;
const PHASE_WAIT_MAX_MS = 10_000;
const STEP_ASIDE_MAX_MS = 500;
async function* stepAside(source: AsyncIterable<Uint8Array>, activity: PushActivity, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (let waited = 0; activity.busy && waited < STEP_ASIDE_MAX_MS && !signal?.aborted; waited += STEP_ASIDE_MS) {
      await new Promise((r) => setTimeout(r, STEP_ASIDE_MS));
    }
    yield chunk;
  }
}

function toSource(bytes: Buffer): AsyncIterable<Uint8Array> {
  return { async *[Symbol.asyncIterator]() { yield bytes; } };
}
