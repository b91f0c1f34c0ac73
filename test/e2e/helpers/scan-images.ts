// Images for the scan e2e suites, written by hand as OCI image layouts (skopeo pushes them):
// layers are gzipped tarballs (a cached debootstrap rootfs as is, or a folder tarred with the
// real tar), each blob addressed by its sha256, the config's diff_ids hashed from the
// decompressed stream. Also the trees those images hold: a distroless status.d folder made from
// a rootfs's own dpkg database, and an npm app installed with the real `npm ci`.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ensureDebianTool } from '../../helpers/rootfs.ts';
import { hostPlatform, MediaTypes, sha256, type Descriptor, type Platform } from './fixtures.ts';
import { run } from './run.ts';

export interface GzipLayer {
  /** The gzipped tarball on disk. */
  readonly file: string;
  readonly digest: string;
  readonly size: number;
  /** sha256 of the uncompressed tar. */
  readonly diffId: string;
}

async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of stream) hash.update(c as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

function gunzipped(file: string): Readable {
  const gunzip = createGunzip();
  const source = createReadStream(file);
  source.once('error', (error) => gunzip.destroy(error));
  return source.pipe(gunzip);
}

/** Describes a gzipped tarball as a layer: its digest, size and diff_id. */
export async function gzipLayer(file: string): Promise<GzipLayer> {
  const [digest, diffId, info] = await Promise.all([
    hashStream(createReadStream(file)),
    hashStream(gunzipped(file)),
    stat(file),
  ]);
  return { file, digest, size: info.size, diffId };
}

/** A reproducible gzipped tarball of the folder root (as ./..., owner 0, sorted, mtime 2024-01-01). */
export async function tarLayer(root: string, out: string): Promise<GzipLayer> {
  await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=2024-01-01', '-C', root, '-czf', out, '.']);
  return gzipLayer(out);
}

export interface LayoutImage {
  /** oci:DIR:REF, for skopeo. */
  readonly source: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
}

/**
 * Writes an OCI layout at dir with one image tagged ref, made of these layers (bottom first).
 * `label` goes into the config, so two images of the same layers get different digests.
 */
export async function writeImageLayout(dir: string, ref: string, layers: readonly GzipLayer[], options: { platform?: Platform; label?: string } = {}): Promise<LayoutImage> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const put = async (data: Buffer): Promise<string> => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest.slice(7)), data);
    return digest;
  };
  for (const l of layers) {
    const target = join(blobs, l.digest.slice(7));
    if (await stat(target).catch(() => undefined)) continue;
    await link(l.file, target).catch(() => copyFile(l.file, target));
  }
  const platform = options.platform ?? hostPlatform();
  const config = Buffer.from(JSON.stringify({
    created: '2024-01-01T00:00:00Z', ...platform,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Labels: { 'org.opencontainers.image.title': options.label ?? ref } },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: `berth scan e2e ${ref}` })),
  }));
  const configDigest = await put(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: MediaTypes.ociLayerGzip, digest: l.digest, size: l.size })),
  }));
  const manifestDigest = await put(manifest);
  const entry: Descriptor = { mediaType: MediaTypes.ociManifest, digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': ref } };
  const indexFile = join(dir, 'index.json');
  const index = await readFile(indexFile, 'utf8').then((t) => JSON.parse(t) as { manifests: Descriptor[] }).catch(() => ({ manifests: [] as Descriptor[] }));
  index.manifests = [...index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== ref), entry];
  await writeFile(indexFile, JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: index.manifests }));
  return { source: `oci:${dir}:${ref}`, manifestDigest, configDigest };
}

/**
 * A distroless-style dpkg database made from a rootfs's own one (admindir: its var/lib/dpkg):
 * for every installed package, var/lib/dpkg/status.d/<package> is its stanza as the package's
 * control file has it (the status file's stanza without the fields dpkg adds on install:
 * Status, Conffiles, Config-Version), and <package>.md5sums its md5sums; there is no status
 * file. Returns the package names.
 */
export async function distrolessStatusD(admindir: string, root: string): Promise<string[]> {
  const dir = join(root, 'var', 'lib', 'dpkg', 'status.d');
  await mkdir(dir, { recursive: true });
  const info = join(admindir, 'info');
  const infoFiles = new Set(await readdir(info));
  const names: string[] = [];
  for (const stanza of (await readFile(join(admindir, 'status'), 'utf8')).split(/\n\n+/).filter((s) => s.trim())) {
    const fields: string[] = [];
    for (const line of stanza.split('\n')) {
      if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += `\n${line}`;
      else fields.push(line);
    }
    const status = fields.find((f) => f.startsWith('Status: '));
    if (status !== 'Status: install ok installed') continue;
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    const arch = /^Architecture: (\S+)$/m.exec(stanza)?.[1];
    if (!name || !arch) throw new Error(`a stanza of ${admindir}/status has no Package or Architecture:\n${stanza}`);
    if (names.includes(name)) throw new Error(`${name} is installed for two architectures; status.d names files by package`);
    const control = fields.filter((f) => !/^(Status|Conffiles|Config-Version):/.test(f));
    await writeFile(join(dir, name), `${control.join('\n')}\n`);
    const md5sums = [`${name}:${arch}.md5sums`, `${name}.md5sums`].find((f) => infoFiles.has(f));
    if (md5sums) await copyFile(join(info, md5sums), join(dir, `${name}.md5sums`));
    names.push(name);
  }
  return names;
}

/**
 * An app installed by the real npm from its registry: package.json with these exact
 * dependencies, `npm install --package-lock-only`, then `npm ci`. The npm cache stays in dir.
 */
export async function npmCiApp(dir: string, dependencies: Record<string, string>): Promise<void> {
  ensureDebianTool('npm', 'npm');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'berth-e2e-app', version: '1.0.0', private: true, dependencies }, null, 2)}\n`);
  const env = { npm_config_cache: join(dir, '..', '.npm-cache'), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const options = { cwd: dir, env, timeoutMs: 300_000 };
  try {
    await run('npm', ['install', '--package-lock-only', '--save-exact'], options);
    await run('npm', ['ci'], options);
  } catch (error) {
    throw new Error(`npm could not install ${JSON.stringify(dependencies)} from its registry (the npm e2e image needs https://registry.npmjs.org):\n${(error as Error).message}`);
  }
}
