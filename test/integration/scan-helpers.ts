// Helpers for the scan suites: layers made with the real tar and gzip from a folder of files,
// images pushed over /v2 with Basic credentials, the feed fixtures, and waiting for a scan.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { basic, call, expectStatus, type Creds } from './api-helpers.ts';

export const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'vulndb');
export const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A gzipped tar of these files (path -> content), made by the real tar. */
export function layerOf(files: Record<string, string | Buffer>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'berth-layer-'));
  try {
    mkdirSync(join(dir, 'root'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'root', path)), { recursive: true });
      writeFileSync(join(dir, 'root', path), content);
    }
    const r = spawnSync('tar', ['-C', join(dir, 'root'), '--sort=name', '--owner=0', '--group=0', '--mtime=2024-01-01', '-czf', join(dir, 'layer.tgz'), '.']);
    assert.equal(r.status, 0, `tar failed: ${r.stderr}`);
    return readFileSync(join(dir, 'layer.tgz'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function v2(server: BerthProcess, creds: Creds, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { authorization: basic(creds), ...headers }, ...(body ? { body } : {}) });
}

export async function uploadBlob(server: BerthProcess, creds: Creds, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const res = await v2(server, creds, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, data, { 'content-type': 'application/octet-stream' });
  assert.equal(res.status, 201, `upload to ${repo}: ${res.status} ${await res.text()}`);
  return digest;
}

export interface PushedImage { readonly digest: string; readonly manifest: Buffer; readonly layers: string[] }

/** Pushes an image of these layers (in order) as repo:tag; returns its digest. */
export async function pushLayers(server: BerthProcess, creds: Creds, repo: string, tag: string, layers: readonly Buffer[], platform = { os: 'linux', architecture: 'amd64' }): Promise<PushedImage> {
  const layerDigests: string[] = [];
  for (const l of layers) layerDigests.push(await uploadBlob(server, creds, repo, l));
  const config = Buffer.from(JSON.stringify({ ...platform, created: '2024-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: layerDigests }, config: {}, salt: randomBytes(4).toString('hex') }));
  const configDigest = await uploadBlob(server, creds, repo, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l, i) => ({ mediaType: GZIP_LAYER, digest: layerDigests[i], size: l.length })),
  }));
  const res = await v2(server, creds, 'PUT', `/v2/${repo}/manifests/${tag}`, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  assert.equal(res.status, 201, `push ${repo}:${tag}: ${res.status} ${await res.text()}`);
  return { digest: sha256(manifest), manifest, layers: layerDigests };
}

/** Pushes an index of these platform manifests (already pushed by digest). */
export async function pushIndex(server: BerthProcess, creds: Creds, repo: string, tag: string, children: readonly { image: PushedImage; os: string; architecture: string }[]): Promise<string> {
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: children.map((c) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: c.image.digest, size: c.image.manifest.length, platform: { os: c.os, architecture: c.architecture } })),
  }));
  const res = await v2(server, creds, 'PUT', `/v2/${repo}/manifests/${tag}`, index, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
  assert.equal(res.status, 201, `push index ${repo}:${tag}: ${res.status} ${await res.text()}`);
  return sha256(index);
}

export function getManifest(server: BerthProcess, creds: Creds | undefined, repo: string, ref: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Response> {
  return fetch(`${server.url}/v2/${repo}/manifests/${ref}`, {
    method,
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json', ...(creds ? { authorization: basic(creds) } : {}) },
  });
}

/** Uploads a feed file through the API (an administrator); returns the import's answer. */
export async function importFeed(server: BerthProcess, admin: Creds, body: Buffer, contentType = 'application/octet-stream'): Promise<{ feedId: number; digest: string; records: number; affected: number; rematchJob: number; source: string }> {
  const res = await fetch(`${server.url}/api/v1/vulndb/imports`, { method: 'POST', headers: { authorization: basic(admin), 'content-type': contentType }, body });
  const text = await res.text();
  assert.equal(res.status, 201, `import: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** The OSV fixtures as one JSON array. */
export function osvFixtures(ids?: readonly string[]): Buffer {
  const all = ['GHSA-35jh-r3h4-6jhm', 'GHSA-29mw-wpgm-hmr9', 'GHSA-h5c8-rqwp-cp95', 'GHSA-h75v-3vvj-5mfj'];
  return Buffer.from(JSON.stringify((ids ?? all).map((id) => JSON.parse(readFileSync(join(FIXTURES, 'osv', `${id}.json`), 'utf8')))));
}

export function trackerFixture(): Buffer {
  return readFileSync(join(FIXTURES, 'debian-tracker.json'));
}

/** Waits for a job to finish (GET /jobs/{id}); fails on a failed job. */
export async function waitJob(server: BerthProcess, creds: Creds, id: number, timeoutMs = 120_000): Promise<{ state: string; result: unknown }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = expectStatus(await call(server, 'GET', `/jobs/${id}`, { as: creds }), 200).body;
    if (job.state === 'done') return job;
    assert.notEqual(job.state, 'failed', `job ${id} failed: ${job.error}`);
    assert.ok(Date.now() < until, `job ${id} still ${job.state} after ${timeoutMs} ms: ${job.progress}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the image's report exists (scan on push) and returns it. */
export async function waitReport(server: BerthProcess, creds: Creds, repo: string, ref: string, until: (r: { status: string; feed: { id: number } | null }) => boolean = (r) => r.status !== 'not-scanned', timeoutMs = 120_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const deadline = Date.now() + timeoutMs;
  const slash = repo.indexOf('/');
  const path = `/repositories/${repo.slice(0, slash)}/${encodeURIComponent(repo.slice(slash + 1))}/reports/${ref}`;
  for (;;) {
    const r = expectStatus(await call(server, 'GET', path, { as: creds }), 200).body;
    if (until(r)) return r;
    assert.ok(Date.now() < deadline, `no report for ${repo}:${ref} within ${timeoutMs} ms: ${JSON.stringify(r).slice(0, 300)}`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

/** A dpkg status file with these packages (name, version, source?). */
export function dpkgStatus(packages: readonly { name: string; version: string; source?: string; arch?: string }[]): string {
  return packages.map((p) => [
    `Package: ${p.name}`, 'Status: install ok installed', 'Priority: optional', 'Section: misc', 'Installed-Size: 100', 'Maintainer: Debian <debian@example.org>',
    `Architecture: ${p.arch ?? 'amd64'}`, ...(p.source ? [`Source: ${p.source}`] : []), `Version: ${p.version}`, `Description: ${p.name}`, '',
  ].join('\n')).join('\n');
}

export const BOOKWORM_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
