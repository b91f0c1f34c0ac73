// Test images built locally, with no internet: OCI image layouts written by hand (the layer
// tarball comes from `tar`, everything else is written here), so every digest is known up front.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { run } from './run.ts';
import { BUSYBOX_STATIC, requireTools } from './tools.ts';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  config?: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; Labels?: Record<string, string> };
  rootfs: { type: 'layers'; diff_ids: string[] };
}

export interface ImageFixture {
  /** The OCI layout directory; `oci:${layout}:${ref}` names the image. */
  readonly layout: string;
  readonly ref: string;
  /** `oci:LAYOUT:REF`, ready for skopeo. */
  readonly source: string;
  readonly platform: Platform;
  readonly manifest: ImageManifest;
  readonly manifestDigest: string;
  readonly config: ImageConfig;
  readonly configDigest: string;
  /** Digests of the compressed layer blobs, in order. */
  readonly layerDigests: string[];
  /** Digests of the uncompressed layer tarballs (config.rootfs.diff_ids). */
  readonly diffIds: string[];
}

export interface IndexFixture {
  readonly layout: string;
  readonly ref: string;
  readonly source: string;
  readonly index: ImageIndex;
  readonly indexDigest: string;
  /** One image per platform, in index order; each is also tagged in the layout under its own ref. */
  readonly images: ImageFixture[];
}

export const sha256 = (data: string | Uint8Array): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** The platform this machine runs, in OCI terms (the busybox image is runnable on it). */
export function hostPlatform(): Platform {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (!arch) throw new Error(`e2e fixtures support amd64 and arm64 hosts, not ${process.arch}`);
  return { os: 'linux', architecture: arch };
}

/** The second platform of the two-platform index: arm64 on an amd64 host, and the other way round. */
function otherPlatform(): Platform {
  return hostPlatform().architecture === 'amd64'
    ? { os: 'linux', architecture: 'arm64', variant: 'v8' }
    : { os: 'linux', architecture: 'amd64' };
}

class Layout {
  private readonly refs: Descriptor[] = [];
  constructor(readonly dir: string) {}

  static async create(dir: string): Promise<Layout> {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    return new Layout(dir);
  }

  async blob(mediaType: string, data: string | Uint8Array): Promise<Descriptor> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256(bytes);
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.length };
  }

  tag(ref: string, descriptor: Descriptor): void {
    const { mediaType, digest, size } = descriptor;
    this.refs.push({ mediaType, digest, size, annotations: { 'org.opencontainers.image.ref.name': ref } });
  }

  async writeIndex(): Promise<void> {
    const index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: this.refs };
    await writeFile(join(this.dir, 'index.json'), JSON.stringify(index));
  }
}

/** A reproducible tarball of `root` (sorted names, owner 0, mtime 0). */
async function tarDir(root: string, entries: string[]): Promise<Buffer> {
  requireTools('tar');
  const out = join(root, '..', `layer-${Date.now()}-${Math.random().toString(16).slice(2)}.tar`);
  await run('tar', [
    '--format=gnu', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0',
    '-C', root, '-cf', out, ...entries,
  ]);
  const data = await readFile(out);
  await rm(out);
  return data;
}

async function addImage(
  layout: Layout,
  ref: string,
  platform: Platform,
  layerTar: Buffer,
  runtime: ImageConfig['config'],
): Promise<ImageFixture> {
  const diffId = sha256(layerTar);
  const layer = await layout.blob(MediaTypes.ociLayerGzip, gzipSync(layerTar, { level: 6 }));
  const config: ImageConfig & { created: string; history: unknown[] } = {
    created: '2026-01-01T00:00:00Z',
    ...platform,
    config: runtime,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '2026-01-01T00:00:00Z', created_by: `berth e2e fixture ${ref}` }],
  };
  const configDesc = await layout.blob(MediaTypes.ociConfig, JSON.stringify(config));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: configDesc,
    layers: [layer],
  };
  const manifestDesc = await layout.blob(MediaTypes.ociManifest, JSON.stringify(manifest));
  layout.tag(ref, manifestDesc);
  return {
    layout: layout.dir,
    ref,
    source: `oci:${layout.dir}:${ref}`,
    platform,
    manifest,
    manifestDigest: manifestDesc.digest,
    config,
    configDigest: configDesc.digest,
    layerDigests: [layer.digest],
    diffIds: [diffId],
  };
}

async function busyboxImage(layout: Layout, ref: string): Promise<ImageFixture> {
  requireTools('busybox');
  const root = await mkdtemp(join(tmpdir(), 'berth-e2e-rootfs-'));
  try {
    await mkdir(join(root, 'bin'));
    await copyFile(BUSYBOX_STATIC, join(root, 'bin', 'busybox'));
    for (const applet of ['sh', 'echo', 'cat', 'ls']) await symlink('busybox', join(root, 'bin', applet));
    const tar = await tarDir(root, ['bin']);
    return await addImage(layout, ref, hostPlatform(), tar, {
      Env: ['PATH=/bin'],
      Cmd: ['/bin/sh'],
      Labels: { 'org.opencontainers.image.title': 'berth-e2e-busybox' },
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function placeholderImage(layout: Layout, ref: string, platform: Platform): Promise<ImageFixture> {
  const root = await mkdtemp(join(tmpdir(), 'berth-e2e-rootfs-'));
  try {
    await mkdir(join(root, 'etc'));
    const name = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    await writeFile(join(root, 'etc', 'berth-e2e-platform'), `${name}\n`);
    const tar = await tarDir(root, ['etc']);
    return await addImage(layout, ref, platform, tar, { Cmd: ['/bin/sh'] });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * A single-layer image whose layer is the static busybox binary (plus sh/echo/cat/ls links),
 * for the host platform, so it runs. Tagged `ref` in a new OCI layout at `dir`.
 */
export async function buildBusyboxLayout(dir: string, ref = 'busybox'): Promise<ImageFixture> {
  const layout = await Layout.create(dir);
  const image = await busyboxImage(layout, ref);
  await layout.writeIndex();
  return image;
}

/**
 * A two-platform OCI index: the busybox image for the host platform, and a one-file
 * placeholder image for the other one (linux/amd64 + linux/arm64). The layout tags the index
 * as `ref`, and each image as `${ref}-${architecture}`.
 */
export async function buildMultiArchLayout(dir: string, ref = 'multi'): Promise<IndexFixture> {
  const layout = await Layout.create(dir);
  const native = await busyboxImage(layout, `${ref}-${hostPlatform().architecture}`);
  const other = await placeholderImage(layout, `${ref}-${otherPlatform().architecture}`, otherPlatform());
  // amd64 first, whatever the host, so the index reads the same everywhere.
  const images = [native, other].sort((a, b) => a.platform.architecture.localeCompare(b.platform.architecture));
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: images.map((img) => ({
      mediaType: MediaTypes.ociManifest,
      digest: img.manifestDigest,
      size: Buffer.byteLength(JSON.stringify(img.manifest)),
      platform: img.platform,
    })),
  };
  const indexDesc = await layout.blob(MediaTypes.ociIndex, JSON.stringify(index));
  layout.tag(ref, indexDesc);
  await layout.writeIndex();
  return { layout: dir, ref, source: `oci:${dir}:${ref}`, index, indexDigest: indexDesc.digest, images };
}

/** Reads a blob from an OCI layout (for comparing what came back from the registry). */
export async function readLayoutBlob(layoutDir: string, digest: string): Promise<Buffer> {
  const [alg, hex] = digest.split(':');
  return readFile(join(layoutDir, 'blobs', alg!, hex!));
}

/** The descriptor a layout's index.json gives for `ref`. */
export async function layoutRef(layoutDir: string, ref: string): Promise<Descriptor> {
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as ImageIndex;
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (!d) throw new Error(`${layoutDir} has no ref ${ref}: ${JSON.stringify(index)}`);
  return d;
}
