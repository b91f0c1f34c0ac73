// Helpers for the search suites: push a tiny image over /v2 (by tag, or by digest only so the
// repository has no tag), and set the discovery facts a push does not set (description, labels,
// pull and star counts) straight in the metadata DB, as the other discovery features would.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { digestOf } from '../../src/core/digest.ts';

export interface RepoFacts {
  readonly description?: string;
  readonly labels?: string;
  readonly pull_count?: number;
  readonly star_count?: number;
  readonly updated_at?: number;
}

export interface RepoEditor {
  set(name: string, facts: RepoFacts): Promise<void>;
  close(): Promise<void>;
}

function assignments(facts: RepoFacts): [string[], unknown[]] {
  const entries = Object.entries(facts).filter(([, v]) => v !== undefined);
  assert.ok(entries.length > 0, 'nothing to set');
  for (const [k] of entries) assert.match(k, /^[a-z_]+$/);
  return [entries.map(([k]) => k), entries.map(([, v]) => v)];
}

/** Edits the SQLite DB of a running `berth serve` (WAL mode: safe beside the server). */
export function sqliteRepoEditor(dataDir: string): RepoEditor {
  const db = new Sqlite(join(dataDir, 'berth.db'));
  db.pragma('busy_timeout = 5000');
  return {
    async set(name, facts) {
      const [cols, values] = assignments(facts);
      const r = db.prepare(`update repositories set ${cols.map((c) => `${c} = ?`).join(', ')} where name = ?`).run(...values, name);
      assert.equal(r.changes, 1, `no repository ${name}`);
    },
    async close() { db.close(); },
  };
}

export async function postgresRepoEditor(url: string): Promise<RepoEditor> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async set(name, facts) {
      const [cols, values] = assignments(facts);
      const r = await client.query(`update repositories set ${cols.map((c, i) => `${c} = $${i + 1}`).join(', ')} where name = $${cols.length + 1}`, [...values, name]);
      assert.equal(r.rowCount, 1, `no repository ${name}`);
    },
    async close() { await client.end(); },
  };
}

export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Pushes a tiny single-layer image to `repo`, tagged `tag`, or by digest only when tag is undefined. */
export async function pushTinyImage(baseUrl: string, repo: string, tag: string | undefined, authorization?: string): Promise<string> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex') }));
  const layer = randomBytes(64);
  for (const blob of [config, layer]) {
    const r = await fetch(`${baseUrl}/v2/${repo}/blobs/uploads/?digest=${digestOf(blob)}`, {
      method: 'POST', body: blob, headers: { ...headers, 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.status, 201, `blob upload to ${repo}: ${r.status} ${await r.text()}`);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
  });
  const digest = digestOf(Buffer.from(manifest));
  const put = await fetch(`${baseUrl}/v2/${repo}/manifests/${tag ?? digest}`, {
    method: 'PUT', body: manifest, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(put.status, 201, `manifest PUT to ${repo}: ${put.status} ${await put.text()}`);
  return digest;
}
