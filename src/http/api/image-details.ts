// The image page (issue 17, section 1): everything about one manifest digest in one answer. For an
// image manifest: its platform, created time, config (entrypoint, cmd, env, working dir, user,
// exposed ports, labels), and its history with the layer each non-empty step made (size, digest);
// for an index: the same for each platform's image, each with its own compressed size (what a
// pull of that platform downloads). Both: the tags on the digest, its referrers grouped by
// artifactType, and who pushed it first (the audit log). Config blobs are read once, capped.
import { z } from 'zod';
import { MediaType, isIndexMediaType } from '../../core/mediatypes.ts';
import { RegistryError } from '../../core/errors.ts';
import type { Executor } from '../../metadata/executor.ts';
import { manifestRefs, type RefRow } from '../../metadata/repository-pages.ts';
import type { Registry } from '../../registry/registry.ts';
import { iso } from './discovery-schemas.ts';

const CONFIG_MAX_BYTES = 1024 * 1024;
const MAX_PLATFORMS = 32;
const MAX_HISTORY = 500;
const IMAGE_CONFIGS: ReadonlySet<string> = new Set([MediaType.OciConfig, MediaType.DockerConfig]);

const LayerSchema = z.object({ digest: z.string(), mediaType: z.string(), size: z.number().int() });
const HistoryStepSchema = z.object({
  created: z.string().optional(),
  createdBy: z.string().optional().describe('the command that made the step (config history created_by)'),
  comment: z.string().optional(),
  emptyLayer: z.boolean().describe('the step changed metadata only and made no layer'),
  layer: LayerSchema.optional().describe('the layer the step made'),
});
export const ImageSchema = z.object({
  digest: z.string(),
  mediaType: z.string(),
  os: z.string().optional(),
  architecture: z.string().optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  size: z.number().int().describe('compressed: config plus layers, what a pull of this image downloads'),
  config: z.object({
    entrypoint: z.array(z.string()).optional(),
    cmd: z.array(z.string()).optional(),
    env: z.array(z.string()).optional(),
    workingDir: z.string().optional(),
    user: z.string().optional(),
    exposedPorts: z.array(z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    stopSignal: z.string().optional(),
  }),
  layers: z.array(LayerSchema),
  history: z.array(HistoryStepSchema).describe('config history, each non-empty step with its layer; without history, one step per layer'),
  artifactType: z.string().optional(),
});
export const ImageDetailsSchema = z.object({
  repository: z.string(),
  digest: z.string(),
  mediaType: z.string(),
  kind: z.enum(['image', 'index']),
  size: z.number().int().describe('the manifest: compressed image size; an index: the sum over its platforms'),
  images: z.array(ImageSchema).describe('one for an image manifest; for an index, one per platform (attestation children left out)'),
  tags: z.array(z.object({ name: z.string(), pushedAt: z.string() })),
  referrers: z.array(z.object({
    artifactType: z.string(),
    manifests: z.array(z.object({ digest: z.string(), mediaType: z.string(), size: z.number().int(), annotations: z.record(z.string(), z.string()).optional() })),
  })),
  pushedBy: z.object({ actor: z.string(), at: z.string() }).nullable().describe('the first push of this digest in the audit log'),
  pullCommand: z.string(),
});
export type ImageDetails = z.infer<typeof ImageDetailsSchema>;
type Image = z.infer<typeof ImageSchema>;

export async function imageDetails(db: Executor, registry: Registry, repository: { id: number; name: string }, digest: string, host: string): Promise<ImageDetails> {
  if (!digest.includes(':')) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'give the manifest by digest (algorithm:hex)' });
  const info = await registry.manifests.resolve(repository.name, digest).catch((error: unknown) => {
    if (error instanceof RegistryError && (error.code === 'MANIFEST_UNKNOWN' || error.code === 'DIGEST_INVALID')) {
      throw new RegistryError('NOT_FOUND', undefined, { message: `no manifest ${digest.slice(0, 200)} in ${repository.name}` });
    }
    throw error;
  });
  const manifest = parse(await registry.manifests.bytes(info.digest));
  const index = isIndexMediaType(info.mediaType);
  const images: Image[] = [];
  if (index) {
    const children = (Array.isArray(manifest.manifests) ? manifest.manifests : []) as Record<string, unknown>[];
    const platformChildren = children.filter((c) => {
      const p = c.platform as Record<string, unknown> | undefined;
      return typeof c.digest === 'string' && !(p?.os === 'unknown' && p?.architecture === 'unknown');
    }).slice(0, MAX_PLATFORMS);
    for (const child of platformChildren) {
      const d = child.digest as string;
      let bytes: Buffer;
      try {
        bytes = await registry.manifests.bytes(d);
      } catch {
        continue;
      }
      const image = await imageOf(registry, repository.name, d, String(child.mediaType ?? ''), parse(bytes));
      const p = (child.platform ?? {}) as Record<string, unknown>;
      images.push({
        ...image,
        ...(typeof p.os === 'string' ? { os: p.os } : {}),
        ...(typeof p.architecture === 'string' ? { architecture: p.architecture } : {}),
        ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}),
      });
    }
  } else {
    images.push(await imageOf(registry, repository.name, info.digest, info.mediaType, manifest));
  }
  const [tags, referrers, pushedBy] = await Promise.all([
    db.selectFrom('tags').select(['name', 'updated_at']).where('repository_id', '=', repository.id).where('digest', '=', info.digest).orderBy('name').limit(1000).execute(),
    registry.discovery.referrers(repository.name, info.digest),
    firstPush(db, repository.name, info.digest),
  ]);
  const groups = new Map<string, ImageDetails['referrers'][number]['manifests']>();
  for (const r of referrers.manifests) {
    const type = r.artifactType ?? r.mediaType;
    const list = groups.get(type) ?? [];
    list.push({ digest: r.digest, mediaType: r.mediaType, size: r.size, ...(r.annotations ? { annotations: r.annotations } : {}) });
    groups.set(type, list);
  }
  return {
    repository: repository.name,
    digest: info.digest,
    mediaType: info.mediaType,
    kind: index ? 'index' : 'image',
    size: images.reduce((sum, i) => sum + i.size, 0),
    images,
    tags: tags.map((t) => ({ name: t.name, pushedAt: iso(t.updated_at)! })),
    referrers: [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([artifactType, manifests]) => ({ artifactType, manifests })),
    pushedBy,
    pullCommand: `docker pull ${host}/${repository.name}@${info.digest}`,
  };
}

async function imageOf(registry: Registry, repository: string, digest: string, mediaType: string, manifest: Record<string, unknown>): Promise<Image> {
  const refs: RefRow[] = await manifestRefs(registry.deps.db, [digest]);
  const layers = refs.filter((r) => r.kind === 'layer').map((r) => ({ digest: r.child_digest, mediaType: r.media_type, size: r.size }));
  const configRef = refs.find((r) => r.kind === 'config');
  const size = refs.filter((r) => r.kind === 'config' || r.kind === 'layer').reduce((sum, r) => sum + r.size, 0);
  const config = configRef && IMAGE_CONFIGS.has(configRef.media_type) ? await readConfig(registry, repository, configRef.child_digest) : undefined;
  const artifactType = typeof manifest.artifactType === 'string' ? manifest.artifactType
    : configRef && !IMAGE_CONFIGS.has(configRef.media_type) && configRef.media_type !== MediaType.OciEmpty ? configRef.media_type : undefined;
  const c = (config?.config ?? {}) as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v as string[] : undefined);
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const labels = c.Labels && typeof c.Labels === 'object' ? Object.fromEntries(Object.entries(c.Labels as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string> : undefined;
  const ports = c.ExposedPorts && typeof c.ExposedPorts === 'object' ? Object.keys(c.ExposedPorts as object) : undefined;
  const settings = {
    ...(strings(c.Entrypoint) ? { entrypoint: strings(c.Entrypoint) } : {}),
    ...(strings(c.Cmd) ? { cmd: strings(c.Cmd) } : {}),
    ...(strings(c.Env) ? { env: strings(c.Env) } : {}),
    ...(text(c.WorkingDir) ? { workingDir: text(c.WorkingDir) } : {}),
    ...(text(c.User) ? { user: text(c.User) } : {}),
    ...(ports?.length ? { exposedPorts: ports } : {}),
    ...(labels && Object.keys(labels).length ? { labels } : {}),
    ...(text(c.StopSignal) ? { stopSignal: text(c.StopSignal) } : {}),
  };
  return {
    digest,
    mediaType,
    ...(text(config?.os) ? { os: text(config?.os) } : {}),
    ...(text(config?.architecture) ? { architecture: text(config?.architecture) } : {}),
    ...(text(config?.variant) ? { variant: text(config?.variant) } : {}),
    ...(text(config?.created) ? { created: text(config?.created) } : {}),
    size,
    config: settings,
    layers,
    history: historyOf(config?.history, layers),
    ...(artifactType ? { artifactType } : {}),
  };
}

/** Pairs config history with the layers: each step not marked empty_layer made the next layer. */
export function historyOf(history: unknown, layers: readonly { digest: string; mediaType: string; size: number }[]): Image['history'] {
  const steps = Array.isArray(history) ? (history as Record<string, unknown>[]).slice(0, MAX_HISTORY) : [];
  if (steps.length === 0) return layers.map((layer) => ({ emptyLayer: false, layer }));
  let next = 0;
  const out: Image['history'] = steps.map((s) => {
    const empty = s.empty_layer === true;
    const layer = empty ? undefined : layers[next++];
    return {
      ...(typeof s.created === 'string' ? { created: s.created } : {}),
      ...(typeof s.created_by === 'string' ? { createdBy: s.created_by } : {}),
      ...(typeof s.comment === 'string' && s.comment ? { comment: s.comment } : {}),
      emptyLayer: empty,
      ...(layer ? { layer } : {}),
    };
  });
  // Layers the history does not account for (a hand-made manifest) still show.
  for (; next < layers.length; next++) out.push({ emptyLayer: false, layer: layers[next]! });
  return out;
}

async function readConfig(registry: Registry, repository: string, digest: string): Promise<Record<string, unknown> | undefined> {
  try {
    const { info, stream } = await registry.blobs.open(repository, digest);
    if (info.size > CONFIG_MAX_BYTES) {
      stream.destroy();
      return undefined;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return parse(Buffer.concat(chunks));
  } catch {
    return undefined;
  }
}

function parse(bytes: Buffer): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return v && typeof v === 'object' ? v as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

async function firstPush(db: Executor, repository: string, digest: string): Promise<{ actor: string; at: string } | null> {
  const row = await db.selectFrom('audit_log').select(['actor', 'at'])
    .where('repository', '=', repository).where('action', '=', 'push')
    .where((eb) => eb.or([eb('reference', '=', digest), eb('reference', 'like', `%@${digest}`)]))
    .orderBy('at').orderBy('id').limit(1).executeTakeFirst();
  return row ? { actor: row.actor, at: iso(row.at)! } : null;
}
