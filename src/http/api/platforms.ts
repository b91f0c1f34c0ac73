// Tag views for the repository page (docs/discovery.md, TagView): sizes and platforms for one
// page of tags. An index shows one platform per child manifest (from the index's own platform
// fields, sizes from the child's config and layers); a single image manifest shows one platform
// read from its config blob (os, architecture, variant), cached by digest since blobs never change.
import { MediaType, isIndexMediaType } from '../../core/mediatypes.ts';
import { manifestRefs, type RefRow, type TagPageRow } from '../../metadata/repository-pages.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { Registry } from '../../registry/registry.ts';
import { iso, type Platform, type TagView } from './discovery-schemas.ts';

type ConfigPlatform = { os: string; architecture: string; variant?: string } | null;

const IMAGE_CONFIGS: ReadonlySet<string> = new Set([MediaType.OciConfig, MediaType.DockerConfig]);
const CONFIG_MAX_BYTES = 1024 * 1024;
const CACHE_ENTRIES = 4096;

export class TagViews {
  /** Config digest -> its platform (null: not an image config). Insertion order is recency. */
  private readonly configs = new Map<string, ConfigPlatform>();

  constructor(private readonly db: Executor, private readonly registry: Registry) {}

  /** The views of these tags (one page), in the same order. */
  async views(repository: string, rows: readonly TagPageRow[]): Promise<TagView[]> {
    const refs = groupRefs(await manifestRefs(this.db, rows.map((r) => r.digest)));
    const children = rows.filter((r) => isIndexMediaType(r.media_type)).flatMap((r) => (refs.get(r.digest) ?? []).filter((x) => x.kind === 'manifest').map((x) => x.child_digest));
    const childRefs = groupRefs(await manifestRefs(this.db, children));
    const out: TagView[] = [];
    for (const row of rows) {
      const own = refs.get(row.digest) ?? [];
      let platforms: Platform[];
      let size: number;
      let artifactType = row.artifact_type ?? undefined;
      if (isIndexMediaType(row.media_type)) {
        platforms = [];
        for (const child of own.filter((x) => x.kind === 'manifest')) {
          const p = parsePlatform(child.platform);
          if (!p) continue;
          platforms.push({ ...p, digest: child.child_digest, size: imageSize(childRefs.get(child.child_digest) ?? []), mediaType: child.media_type });
        }
        size = platforms.reduce((sum, p) => sum + p.size, 0);
      } else {
        size = imageSize(own);
        const config = own.find((x) => x.kind === 'config');
        const p = config && IMAGE_CONFIGS.has(config.media_type) ? await this.configPlatform(repository, config.child_digest) : null;
        platforms = p ? [{ ...p, digest: row.digest, size, mediaType: row.media_type }] : [];
        // An artifact without artifactType is typed by its config (image-spec, guidance for artifacts).
        if (!artifactType && config && !IMAGE_CONFIGS.has(config.media_type) && config.media_type !== MediaType.OciEmpty) artifactType = config.media_type;
      }
      out.push({
        name: row.name,
        digest: row.digest,
        mediaType: row.media_type,
        size,
        pushedAt: iso(row.updated_at),
        lastPulledAt: iso(row.last_pulled_at),
        pullCount: row.pull_count,
        platforms,
        ...(artifactType ? { artifactType } : {}),
      });
    }
    return out;
  }

  private async configPlatform(repository: string, digest: string): Promise<ConfigPlatform> {
    if (this.configs.has(digest)) {
      const hit = this.configs.get(digest)!;
      this.configs.delete(digest);
      this.configs.set(digest, hit);
      return hit;
    }
    let found: ConfigPlatform;
    try {
      const { info, stream } = await this.registry.blobs.open(repository, digest);
      if (info.size > CONFIG_MAX_BYTES) {
        stream.destroy();
        found = null;
      } else {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        found = platformOf(Buffer.concat(chunks));
      }
    } catch {
      return null; // a missing blob is not remembered: it may be pushed again
    }
    this.configs.set(digest, found);
    if (this.configs.size > CACHE_ENTRIES) this.configs.delete(this.configs.keys().next().value!);
    return found;
  }
}

function groupRefs(rows: readonly RefRow[]): Map<string, RefRow[]> {
  const out = new Map<string, RefRow[]>();
  for (const r of rows) {
    const list = out.get(r.manifest_digest);
    if (list) list.push(r);
    else out.set(r.manifest_digest, [r]);
  }
  return out;
}

/** Compressed size of an image: its config plus its layers. */
function imageSize(refs: readonly RefRow[]): number {
  return refs.filter((r) => r.kind === 'config' || r.kind === 'layer').reduce((sum, r) => sum + r.size, 0);
}

function pick(value: unknown): ConfigPlatform {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.os !== 'string' || typeof v.architecture !== 'string' || !v.os || !v.architecture) return null;
  return { os: v.os, architecture: v.architecture, ...(typeof v.variant === 'string' && v.variant ? { variant: v.variant } : {}) };
}

/** An index child's platform; attestation manifests (unknown/unknown) are not platforms. */
function parsePlatform(json: string | null): ConfigPlatform {
  if (!json) return null;
  try {
    const p = pick(JSON.parse(json));
    return p && !(p.os === 'unknown' && p.architecture === 'unknown') ? p : null;
  } catch {
    return null;
  }
}

function platformOf(config: Buffer): ConfigPlatform {
  try {
    return pick(JSON.parse(config.toString('utf8')));
  } catch {
    return null;
  }
}
