// Tag lists are cached per repository version. Every change must show at once, also on another
// instance that shares the database (two servers on one data directory here).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

describe('tag list freshness across instances', () => {
  let a: BerthProcess;
  let b: BerthProcess;
  let manifest: string;

  before(async () => {
    a = await startBerth();
    b = await startBerth({ dataDir: a.dataDir });
    const config = Buffer.from('{}');
    const layer = Buffer.from('fresh layer');
    for (const blob of [config, layer]) {
      const r = await fetch(`${a.url}/v2/team/app/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', body: blob });
      assert.equal(r.status, 201);
    }
    manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
    });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  const tagsOn = async (server: BerthProcess, query = ''): Promise<string[]> => {
    const r = await fetch(`${server.url}/v2/team/app/tags/list${query}`);
    assert.equal(r.status, 200);
    return ((await r.json()) as { tags: string[] }).tags;
  };
  const put = async (server: BerthProcess, tag: string) => {
    const r = await fetch(`${server.url}/v2/team/app/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 201);
  };

  it('shows a tag pushed through the other instance right after a cached read', async () => {
    await put(a, 'one');
    assert.deepEqual(await tagsOn(b), ['one']);
    assert.deepEqual(await tagsOn(b), ['one']); // served from the cache now
    await put(a, 'two');
    assert.deepEqual(await tagsOn(b), ['one', 'two']);
    assert.deepEqual(await tagsOn(b, '?n=1'), ['one']);
  });

  it('drops a tag deleted through the other instance, and keeps pages consistent', async () => {
    const del = await fetch(`${a.url}/v2/team/app/manifests/one`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    assert.deepEqual(await tagsOn(b), ['two']);
    assert.deepEqual(await tagsOn(b, '?n=1'), ['two']);
  });

  it('sees many quick changes in the same millisecond range', async () => {
    for (let i = 0; i < 20; i++) {
      await put(a, `t${String(i).padStart(2, '0')}`);
      const tags = await tagsOn(b);
      assert.ok(tags.includes(`t${String(i).padStart(2, '0')}`), `t${i} visible on the other instance`);
    }
  });
});
