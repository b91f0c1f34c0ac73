// The same server on PostgreSQL: the scale-out dialect runs every migration (registry and
// identity) and serves a push, a pull, a tag list and a login, and keeps them across a restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

describe('berth serve on PostgreSQL', () => {
  let db: TestDatabase;
  let server: BerthProcess;
  const basic = `Basic ${Buffer.from('admin:pg-admin-password').toString('base64')}`;

  before(async () => {
    db = await createTestDatabase('berth_server');
    server = await startBerth({
      auth: 'builtin' as never,
      env: { BERTH_ADMIN_PASSWORD: 'pg-admin-password', BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url },
    });
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('pushes, pulls, lists tags and keeps them across a restart', async () => {
    const config = Buffer.from('{}');
    const layer = randomBytes(4096);
    for (const blob of [config, layer]) {
      const r = await fetch(`${server.url}/v2/admin/app/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', body: blob, headers: { authorization: basic, 'content-type': 'application/octet-stream' } });
      assert.equal(r.status, 201);
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
    });
    for (const tag of ['v2', 'v10', 'V1']) {
      const put = await fetch(`${server.url}/v2/admin/app/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { authorization: basic, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(put.status, 201, await put.text());
    }
    server = await server.restart();
    const tags = await fetch(`${server.url}/v2/admin/app/tags/list`, { headers: { authorization: basic } });
    assert.equal(tags.status, 200);
    // Bytewise order on PostgreSQL too (the C collation): uppercase before lowercase, "v10" before "v2".
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['V1', 'v10', 'v2']);
    const get = await fetch(`${server.url}/v2/admin/app/manifests/v2`, { headers: { authorization: basic } });
    assert.equal(get.status, 200);
    assert.equal(await get.text(), manifest);
    const blob = await fetch(`${server.url}/v2/admin/app/blobs/${digestOf(layer)}`, { headers: { authorization: basic } });
    assert.deepEqual(Buffer.from(await blob.arrayBuffer()), layer);
    const anon = await fetch(`${server.url}/v2/admin/app/manifests/v2`);
    assert.equal(anon.status, 401, 'the personal project is private on PostgreSQL too');
    const rows = await db.admin.query(`select count(*)::int as n from pg_database where datname = $1`, [db.name]);
    assert.equal(rows.rows[0].n, 1);
  });
});
