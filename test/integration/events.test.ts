// Domain events on the in-process bus: a push, pull, tag move, mount, untag and delete each emit
// the typed event that later features (webhooks, audit, pull counts) subscribe to.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config.ts';
import type { RegistryEvent } from '../../src/core/events.ts';
import { digestOf } from '../../src/core/digest.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';

describe('registry events', () => {
  let dir: string;
  let server: RunningServer;
  let url: string;
  const events: RegistryEvent[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-events-'));
    server = await startServer(parseConfig({ server: { listen: '127.0.0.1:0', metrics: { listen: '' } }, storage: { dataDir: dir }, auth: { mode: 'none' }, log: { level: 'silent' } }));
    url = server.address;
    server.registry.bus.onAny((e) => events.push(e));
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function pushBlob(repo: string, data: Buffer): Promise<string> {
    const digest = digestOf(data);
    const r = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 201);
    return digest;
  }

  async function pushManifest(repo: string, ref: string, config: string, layer: string): Promise<{ digest: string; body: string }> {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: 5 }],
    });
    const r = await fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 201, await r.text());
    return { digest: r.headers.get('docker-content-digest')!, body };
  }

  it('emits blob.push, push and tag for a push; pull for a GET but not a HEAD', async () => {
    events.length = 0;
    const config = await pushBlob('team/app', Buffer.from('{}'));
    const layer = await pushBlob('team/app', Buffer.from('hello'));
    const m = await pushManifest('team/app', 'v1', config, layer);
    assert.deepEqual(events.map((e) => e.type), ['blob.push', 'blob.push', 'push', 'tag']);
    const push = events[2] as Extract<RegistryEvent, { type: 'push' }>;
    assert.equal(push.repository, 'team/app');
    assert.equal(push.digest, m.digest);
    assert.equal(push.tag, 'v1');
    assert.equal(push.size, Buffer.byteLength(m.body));

    events.length = 0;
    await (await fetch(`${url}/v2/team/app/manifests/v1`, { method: 'HEAD' })).arrayBuffer();
    assert.equal(events.length, 0, 'HEAD is not a pull');
    await (await fetch(`${url}/v2/team/app/manifests/v1`)).arrayBuffer();
    assert.deepEqual(events.map((e) => e.type), ['pull']);
    assert.equal((events[0] as Extract<RegistryEvent, { type: 'pull' }>).tag, 'v1');
  });

  it('emits tag with the previous digest when a tag moves, then untag and delete', async () => {
    const config = await pushBlob('team/app', Buffer.from('{}'));
    const other = await pushBlob('team/app', Buffer.from('world'));
    const first = await fetch(`${url}/v2/team/app/manifests/v1`, { method: 'HEAD' });
    const before = first.headers.get('docker-content-digest')!;
    events.length = 0;
    const m = await pushManifest('team/app', 'v1', config, other);
    const tag = events.find((e) => e.type === 'tag') as Extract<RegistryEvent, { type: 'tag' }>;
    assert.equal(tag.previous, before);
    assert.equal(tag.digest, m.digest);

    events.length = 0;
    const del = await fetch(`${url}/v2/team/app/manifests/${m.digest}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    assert.deepEqual(events.map((e) => e.type), ['untag', 'delete']);
    const d = events[1] as Extract<RegistryEvent, { type: 'delete' }>;
    assert.deepEqual(d.tags, ['v1']);
    assert.equal(d.target, 'manifest');
  });

  it('emits mount for a cross-repository mount', async () => {
    const layer = await pushBlob('team/app', Buffer.from('mount me'));
    events.length = 0;
    const r = await fetch(`${url}/v2/team/other/blobs/uploads/?mount=${layer}&from=team/app`, { method: 'POST' });
    assert.equal(r.status, 201);
    assert.deepEqual(events.map((e) => e.type), ['mount']);
    assert.equal((events[0] as Extract<RegistryEvent, { type: 'mount' }>).from, 'team/app');
  });
});
