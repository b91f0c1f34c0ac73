// For the replication tests: a multi-arch image (an OCI index of two platforms, each with a
// config and a layer) and a signature referrer whose subject is the index, pushed to any
// registry (Berth or Distribution) with a given Authorization; and reads that check what a
// registry holds afterwards.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { berth, type CliResult } from '../helpers/berth-cli.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const SIGNATURE_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export interface Registry {
  readonly url: string;
  readonly authorization?: string;
}

const headers = (r: Registry, more: Record<string, string> = {}) => ({ ...(r.authorization ? { authorization: r.authorization } : {}), ...more });

export async function putBlob(r: Registry, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`${r.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers(r) });
  assert.equal(start.status, 202, `upload start on ${r.url}: ${await start.text()}`);
  const loc = new URL(start.headers.get('location')!, r.url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', headers: headers(r, { 'content-type': 'application/octet-stream' }), body: data });
  assert.equal(put.status, 201, `upload on ${r.url}: ${await put.text()}`);
  return digest;
}

export async function putManifest(r: Registry, repo: string, reference: string, body: string, mediaType: string): Promise<Response> {
  const res = await fetch(`${r.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: headers(r, { 'content-type': mediaType }), body });
  assert.equal(res.status, 201, `manifest ${repo}:${reference} on ${r.url}: ${await res.clone().text()}`);
  return res;
}

export interface MultiArch {
  readonly index: string;
  readonly indexBody: string;
  readonly children: string[];
  readonly blobs: string[];
  readonly signature: string;
  readonly signatureBody: string;
}

/**
 * Pushes an index of two platforms under `tag`, then a signature whose subject is the index (by
 * digest). To a registry without the referrers API (`fallback`), the signature is also listed in
 * the index tagged sha256-<hex>, as oras and cosign do against Distribution 2.8.
 */
export async function pushMultiArch(r: Registry, repo: string, tag: string, options: { fallback?: boolean } = {}): Promise<MultiArch> {
  const blobs: string[] = [];
  const children: { digest: string; size: number; platform: { architecture: string; os: string } }[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    const layer = randomBytes(2048 + Math.floor(Math.random() * 512));
    const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, config: {} }));
    blobs.push(await putBlob(r, repo, config), await putBlob(r, repo, layer));
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
    });
    await putManifest(r, repo, sha256(body), body, OCI_MANIFEST);
    children.push({ digest: sha256(body), size: body.length, platform: { architecture, os: 'linux' } });
  }
  const indexBody = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children.map((c) => ({ mediaType: OCI_MANIFEST, ...c })) });
  await putManifest(r, repo, tag, indexBody, OCI_INDEX);
  const index = sha256(indexBody);
  const empty = Buffer.from('{}');
  blobs.push(await putBlob(r, repo, empty));
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': repo }, image: { 'docker-manifest-digest': index }, type: 'cosign container image signature' }, optional: null }));
  blobs.push(await putBlob(r, repo, payload));
  const signatureBody = JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: SIGNATURE_TYPE,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: empty.length },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha256(payload), size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ-test' } }],
    subject: { mediaType: OCI_INDEX, digest: index, size: indexBody.length },
  });
  const signature = sha256(signatureBody);
  await putManifest(r, repo, signature, signatureBody, OCI_MANIFEST);
  if (options.fallback) {
    const list = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: signature, size: signatureBody.length, artifactType: SIGNATURE_TYPE }] });
    await putManifest(r, repo, index.replace(':', '-'), list, OCI_INDEX);
  }
  return { index, indexBody, children: children.map((c) => c.digest), blobs, signature, signatureBody };
}

/** The digest a reference resolves to on the registry (undefined: 404). */
export async function headManifest(r: Registry, repo: string, reference: string): Promise<string | undefined> {
  const res = await fetch(`${r.url}/v2/${repo}/manifests/${reference}`, { method: 'HEAD', headers: headers(r, { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` }) });
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200, `HEAD ${repo}:${reference} on ${r.url}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

export async function getJson<T>(r: Registry, path: string, accept = `${OCI_MANIFEST}, ${OCI_INDEX}`): Promise<{ status: number; body: T }> {
  const res = await fetch(`${r.url}${path}`, { headers: headers(r, { accept }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function hasBlob(r: Registry, repo: string, digest: string): Promise<boolean> {
  const res = await fetch(`${r.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: headers(r) });
  return res.status === 200;
}

/** Everything of `image` is on the registry under `repo` (tag, both platforms, their blobs, the signature). */
export async function assertWhole(r: Registry, repo: string, tag: string, image: MultiArch): Promise<void> {
  assert.equal(await headManifest(r, repo, tag), image.index, `${repo}:${tag} is the index on ${r.url}`);
  for (const c of image.children) assert.equal(await headManifest(r, repo, c), c, `platform ${c} is on ${r.url}`);
  for (const b of image.blobs) assert.ok(await hasBlob(r, repo, b), `blob ${b} is on ${r.url}`);
  assert.equal(await headManifest(r, repo, image.signature), image.signature, `the signature is on ${r.url}`);
}

export interface RunJson {
  id: number;
  state: string;
  error: string | null;
  summary: { copied: number; skipped: number; failed: number; deleted: number; bytes: number; blobsCopied: number; blobsMounted: number; blobsSkipped: number; items: number };
  results: { repository: string; reference: string; digest: string | null; kind: string; status: string; bytes: number; error: string | null }[];
}

/** berth replicate run NAME --json against a server, parsed. */
export async function runRule(server: string, name: string, password: string): Promise<RunJson> {
  const r: CliResult = await berth(['replicate', 'run', name, '--json', '--url', server, '--user', 'admin'], { env: { BERTH_PASSWORD: password } });
  assert.equal(r.code, 0, `berth replicate run ${name} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as RunJson;
}
