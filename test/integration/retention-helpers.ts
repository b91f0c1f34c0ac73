// Helpers for the retention and tag history suites: an in-process Berth (auth builtin) on a
// loopback port with its database at hand (to age tags: push and pull times are DB columns),
// a JSON client, and image pushes over /v2 with Basic credentials.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { parseConfig } from '../../src/core/config.ts';
import { digestOf } from '../../src/core/digest.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import type { Database } from '../../src/metadata/schema.ts';

export const ADMIN_PASSWORD = 'retention-admin-pw';
export type Creds = readonly [string, string];
export const ADMIN: Creds = ['admin', ADMIN_PASSWORD];
export const DAY = 86_400_000;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface TestServer {
  readonly url: string;
  readonly host: string;
  readonly dataDir: string;
  /** The metrics listener's /metrics. */
  readonly metricsUrl: string;
  readonly server: RunningServer;
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

export async function startRetentionServer(config: Record<string, unknown> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-retention-'));
  process.env.BERTH_ADMIN_PASSWORD = ADMIN_PASSWORD;
  const server = await startServer(parseConfig({
    server: { listen: '127.0.0.1:0', metrics: { listen: '127.0.0.1:0' } }, storage: { dataDir }, auth: { mode: 'builtin' }, log: { level: 'silent' },
    // No continuous GC: it would collect the untagged manifests these tests age before retention sees them.
    scan: { enabled: false }, gc: { enabled: false }, notifications: { allowLoopback: true, pollIntervalMs: 100 }, ...config,
  }));
  const url = server.address.replace('localhost', '127.0.0.1');
  return {
    url, host: new URL(url).host, metricsUrl: `${server.metricsAddress}/metrics`, dataDir, server, db: server.registry.deps.db,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const basic = ([u, p]: Creds) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

export interface ApiAnswer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly text: string;
}

export async function api(s: { url: string }, method: string, path: string, options: { as?: Creds; body?: unknown; raw?: string; contentType?: string } = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (options.as) headers.authorization = basic(options.as);
  let body: string | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    if (options.contentType) headers['content-type'] = options.contentType;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${s.url}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, body: parsed, text };
}

export function expectOk(a: ApiAnswer, status = 200): ApiAnswer {
  assert.equal(a.status, status, `expected ${status}, got ${a.status}: ${a.text}`);
  return a;
}

export async function addUser(s: { url: string }, name: string): Promise<Creds> {
  expectOk(await api(s, 'POST', '/users', { as: ADMIN, body: { name, password: `${name}-password` } }), 201);
  return [name, `${name}-password`];
}

export async function createProject(s: { url: string }, owner: Creds, name: string, members: Record<string, string> = {}): Promise<void> {
  expectOk(await api(s, 'POST', '/projects', { as: owner, body: { name } }), 201);
  for (const [user, role] of Object.entries(members)) expectOk(await api(s, 'PUT', `/projects/${name}/members/${user}`, { as: owner, body: { role } }));
}

async function v2(s: { url: string }, creds: Creds, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.url}${path}`, { method, headers: { authorization: basic(creds), ...headers }, ...(body ? { body } : {}) });
}

export async function uploadBlob(s: { url: string }, creds: Creds, repo: string, data: Buffer): Promise<string> {
  const digest = digestOf(data);
  const res = await v2(s, creds, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, data, { 'content-type': 'application/octet-stream' });
  assert.equal(res.status, 201, `upload to ${repo}: ${res.status} ${await res.text()}`);
  return digest;
}

export interface Pushed {
  readonly digest: string;
  readonly manifest: Buffer;
  /** Manifest + config + layer. */
  readonly size: number;
  readonly layer: string;
}

/** Pushes a one-layer image (a fresh layer of `layerBytes` unless `layer` is given) as repo:tag, or by digest when tag is undefined. */
export async function pushImage(s: { url: string }, creds: Creds, repo: string, tag: string | undefined, options: { layerBytes?: number; layer?: Buffer } = {}): Promise<Pushed> {
  const layer = options.layer ?? randomBytes(options.layerBytes ?? 1024);
  const layerDigest = await uploadBlob(s, creds, repo, layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] }, salt: randomBytes(6).toString('hex') }));
  const configDigest = await uploadBlob(s, creds, repo, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
  }));
  const digest = digestOf(manifest);
  const res = await v2(s, creds, 'PUT', `/v2/${repo}/manifests/${tag ?? digest}`, manifest, { 'content-type': OCI_MANIFEST });
  assert.equal(res.status, 201, `push ${repo}:${tag}: ${res.status} ${await res.text()}`);
  return { digest, manifest, size: manifest.length + config.length + layer.length, layer: layerDigest };
}

/** Pushes an index of already pushed images as repo:tag (or by digest). */
export async function pushIndex(s: { url: string }, creds: Creds, repo: string, tag: string | undefined, children: readonly Pushed[]): Promise<string> {
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_INDEX,
    manifests: children.map((c, i) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: c.manifest.length, platform: { os: 'linux', architecture: ['amd64', 'arm64', 's390x'][i % 3] } })),
  }));
  const digest = digestOf(index);
  const res = await v2(s, creds, 'PUT', `/v2/${repo}/manifests/${tag ?? digest}`, index, { 'content-type': OCI_INDEX });
  assert.equal(res.status, 201, `push index ${repo}:${tag}: ${res.status} ${await res.text()}`);
  return digest;
}

/** Pushes a cosign-style signature of `subject` under its sha256-<hex>.sig tag. */
export async function pushCosignSig(s: { url: string }, creds: Creds, repo: string, subject: string): Promise<string> {
  const sig = await pushImage(s, creds, repo, `${subject.replace(':', '-')}.sig`, { layerBytes: 64 });
  return sig.digest;
}

/** Moves an existing manifest to a tag (a retag) through /v2. */
export async function retag(s: { url: string }, creds: Creds, repo: string, tag: string, manifest: Buffer): Promise<void> {
  const res = await v2(s, creds, 'PUT', `/v2/${repo}/manifests/${tag}`, manifest, { 'content-type': OCI_MANIFEST });
  assert.equal(res.status, 201, `retag ${repo}:${tag}: ${res.status} ${await res.text()}`);
}

export async function deleteTag(s: { url: string }, creds: Creds, repo: string, tag: string): Promise<Response> {
  return v2(s, creds, 'DELETE', `/v2/${repo}/manifests/${tag}`);
}

/** A manifest GET by tag (a pull, as Docker Hub counts them). */
export async function pull(s: { url: string }, creds: Creds, repo: string, ref: string): Promise<number> {
  const res = await v2(s, creds, 'GET', `/v2/${repo}/manifests/${ref}`, undefined, { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` });
  await res.arrayBuffer();
  return res.status;
}

export async function manifestStatus(s: { url: string }, creds: Creds, repo: string, ref: string): Promise<number> {
  const res = await v2(s, creds, 'HEAD', `/v2/${repo}/manifests/${ref}`, undefined, { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` });
  await res.arrayBuffer();
  return res.status;
}

export async function tagsOf(s: { url: string }, creds: Creds, repo: string): Promise<string[]> {
  const res = await v2(s, creds, 'GET', `/v2/${repo}/tags/list`);
  const body = await res.json() as { tags?: string[] | null };
  return [...(body.tags ?? [])].sort();
}

/** Sets a tag's push time (and pull time) to so many days ago: the columns retention reads. */
export async function age(db: Kysely<Database>, repo: string, tag: string, pushedDaysAgo: number, pulledDaysAgo?: number | null): Promise<void> {
  const r = await db.selectFrom('repositories').select('id').where('name', '=', repo).executeTakeFirstOrThrow();
  const now = Date.now();
  await db.updateTable('tags').set({
    updated_at: now - pushedDaysAgo * DAY,
    ...(pulledDaysAgo !== undefined ? { last_pulled_at: pulledDaysAgo === null ? null : now - pulledDaysAgo * DAY } : {}),
  }).where('repository_id', '=', r.id).where('name', '=', tag).execute();
}

/** Sets a manifest link's push time to so many days ago (untagged manifests' age), and lets GC's protection of it lapse as that much time would. */
export async function ageManifest(db: Kysely<Database>, repo: string, digest: string, daysAgo: number): Promise<void> {
  const r = await db.selectFrom('repositories').select('id').where('name', '=', repo).executeTakeFirstOrThrow();
  const at = Date.now() - daysAgo * DAY;
  await db.updateTable('repository_manifests').set({ pushed_at: at }).where('repository_id', '=', r.id).where('digest', '=', digest).execute();
  await db.updateTable('gc_manifest_reviews').set({ review_after: at }).where('repository_id', '=', r.id).where('digest', '=', digest).execute();
}

/** What a client's lookup by digest does: GC (and so retention) protects the manifest for a while. */
export async function protectManifest(db: Kysely<Database>, repo: string, digest: string, untilMs: number): Promise<void> {
  const r = await db.selectFrom('repositories').select('id').where('name', '=', repo).executeTakeFirstOrThrow();
  await db.insertInto('gc_manifest_reviews').values({ repository_id: r.id, digest, review_after: untilMs, reason: 'lookup' })
    .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ review_after: untilMs })).execute();
}

/** Waits (bounded) until `check` holds. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
