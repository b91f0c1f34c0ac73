// Pushes for the discovery suites against a server with auth on: blobs and manifests with Basic
// credentials, single-platform images with a chosen config platform, and multi-arch indexes.
import { randomBytes } from 'node:crypto';
import { digestOf } from '../../src/core/digest.ts';
import { MediaType } from '../../src/core/mediatypes.ts';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { basic, type Creds } from './api-helpers.ts';

export interface Pushed {
  readonly digest: string;
  readonly manifest: Buffer;
  readonly mediaType: string;
  /** Compressed size: config plus layers. */
  readonly size: number;
}

export async function pushBlob(server: BerthProcess, as: Creds, repository: string, data: Buffer): Promise<string> {
  const digest = digestOf(data);
  const r = await fetch(`${server.url}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST', body: data, headers: { authorization: basic(as), 'content-type': 'application/octet-stream' },
  });
  if (r.status !== 201) throw new Error(`blob upload to ${repository}: ${r.status} ${await r.text()}`);
  return digest;
}

export async function putManifestAs(server: BerthProcess, as: Creds, repository: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
  const r = await fetch(`${server.url}/v2/${repository}/manifests/${reference}`, { method: 'PUT', body, headers: { authorization: basic(as), 'content-type': mediaType } });
  if (r.status !== 201) throw new Error(`manifest push ${repository}:${reference}: ${r.status} ${await r.text()}`);
  return r.headers.get('docker-content-digest')!;
}

/** An image whose config says os/architecture[/variant]; pushed under `tag`, or by digest. */
export async function pushImageAs(server: BerthProcess, as: Creds, repository: string, o: { tag?: string; os?: string; architecture?: string; variant?: string; layerSize?: number } = {}): Promise<Pushed> {
  const layer = randomBytes(o.layerSize ?? 1000);
  const config = Buffer.from(JSON.stringify({
    architecture: o.architecture ?? 'amd64', os: o.os ?? 'linux', ...(o.variant ? { variant: o.variant } : {}),
    rootfs: { type: 'layers', diff_ids: [digestOf(layer)] }, config: {}, salt: randomBytes(6).toString('hex'),
  }));
  await pushBlob(server, as, repository, layer);
  await pushBlob(server, as, repository, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(layer), size: layer.length }],
  }));
  const digest = await putManifestAs(server, as, repository, o.tag ?? digestOf(manifest), manifest, MediaType.OciManifest);
  return { digest, manifest, mediaType: MediaType.OciManifest, size: config.length + layer.length };
}

/** An OCI index over already pushed images, each with its platform. */
export async function pushIndexAs(server: BerthProcess, as: Creds, repository: string, tag: string, children: { image: Pushed; platform: { os: string; architecture: string; variant?: string } }[]): Promise<Pushed> {
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: children.map((c) => ({ mediaType: c.image.mediaType, digest: c.image.digest, size: c.image.manifest.length, platform: c.platform })),
  }));
  const digest = await putManifestAs(server, as, repository, tag, manifest, MediaType.OciIndex);
  return { digest, manifest, mediaType: MediaType.OciIndex, size: children.reduce((s, c) => s + c.image.size, 0) };
}
