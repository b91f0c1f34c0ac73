// Real content for the browser tests, pushed over HTTP like a client would: blobs with POST then
// PUT, image manifests with a config that names the platform, and OCI indexes over them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { digestOf } from '../../../src/core/digest.ts';
import { MediaType } from '../../../src/core/mediatypes.ts';

export type Creds = readonly [string, string];

export function basic([user, password]: Creds): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export class Seeder {
  constructor(readonly url: string, readonly as: Creds) {}

  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { authorization: basic(this.as), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} /api/v1${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async blob(repo: string, data: Buffer): Promise<string> {
    const digest = digestOf(data);
    const start = await fetch(`${this.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: basic(this.as), 'content-length': '0' } });
    await start.arrayBuffer();
    assert.equal(start.status, 202, `POST upload to ${repo}: ${start.status}`);
    const location = new URL(start.headers.get('location')!, this.url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', headers: { authorization: basic(this.as), 'content-type': 'application/octet-stream' }, body: data });
    const text = await put.text();
    assert.equal(put.status, 201, `PUT blob ${digest} to ${repo}: ${put.status} ${text}`);
    return digest;
  }

  async manifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await fetch(`${this.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { authorization: basic(this.as), 'content-type': mediaType }, body });
    const text = await res.text();
    assert.equal(res.status, 201, `PUT manifest ${repo}:${reference}: ${res.status} ${text}`);
    return digestOf(body);
  }

  /** An image for one platform (one random layer unless told; config and history as given); returns its digest, compressed size (config + layers) and layers. */
  async image(repo: string, platform: { os: string; architecture: string; variant?: string }, options: { tag?: string; layerSize?: number; layers?: number; config?: Record<string, unknown>; history?: Record<string, unknown>[] } = {}): Promise<{ digest: string; size: number; bytes: Buffer; layers: { digest: string; size: number }[] }> {
    const blobs = Array.from({ length: options.layers ?? 1 }, () => randomBytes(options.layerSize ?? 2048 + Math.floor(Math.random() * 4096)));
    const layers = [];
    for (const b of blobs) layers.push({ digest: await this.blob(repo, b), size: b.length });
    const config = Buffer.from(JSON.stringify({
      ...platform,
      created: new Date().toISOString(),
      config: options.config ?? { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: blobs.map((b) => digestOf(b)) },
      ...(options.history ? { history: options.history } : {}),
    }));
    const configDigest = await this.blob(repo, config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }));
    const digest = await this.manifest(repo, options.tag ?? digestOf(manifest), manifest, MediaType.OciManifest);
    return { digest, size: config.length + layers.reduce((s, l) => s + l.size, 0), bytes: manifest, layers };
  }

  /** A multi-arch index over one image per platform, pushed by tag. */
  async index(repo: string, tag: string, platforms: { os: string; architecture: string; variant?: string }[], imageOptions: (p: { os: string; architecture: string; variant?: string }) => Parameters<Seeder['image']>[2] = () => ({})): Promise<{ digest: string; children: { platform: string; digest: string; size: number }[] }> {
    const children = [];
    for (const p of platforms) {
      const img = await this.image(repo, p, imageOptions(p));
      children.push({ p, ...img });
    }
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: children.map((c) => ({ mediaType: MediaType.OciManifest, digest: c.digest, size: c.bytes.length, platform: c.p })),
    }));
    const digest = await this.manifest(repo, tag, index, MediaType.OciIndex);
    return { digest, children: children.map((c) => ({ platform: [c.p.os, c.p.architecture, c.p.variant].filter(Boolean).join('/'), digest: c.digest, size: c.size })) };
  }

  /** Points another tag at a manifest already in the repository. */
  async tag(repo: string, tag: string, bytes: Buffer, mediaType: string): Promise<void> {
    await this.manifest(repo, tag, bytes, mediaType);
  }

  /** GETs a manifest by tag (a pull, for the pull counters). */
  async pull(repo: string, reference: string): Promise<void> {
    const res = await fetch(`${this.url}/v2/${repo}/manifests/${reference}`, {
      headers: { authorization: basic(this.as), accept: [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ') },
    });
    await res.arrayBuffer();
    assert.equal(res.status, 200, `GET manifest ${repo}:${reference}: ${res.status}`);
  }
}

export const repoApi = (name: string) => {
  const i = name.indexOf('/');
  return `/repositories/${encodeURIComponent(name.slice(0, i))}/${encodeURIComponent(name.slice(i + 1))}`;
};
