// Quotas and tag immutability with two instances on one PostgreSQL database and one store: an
// immutability rule added through one instance holds on the other at its very next change (the
// rules are read inside the change's transaction); a quota set through one is enforced by the
// other within its one-second cache, with the same usage (the rows are the truth); the 80%
// warning is sent once, whichever instance sees the crossing; the usage aggregates run on
// PostgreSQL (its sum() is numeric, read back as a number).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { ADMIN, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { layerOf, pushLayers } from './scan-helpers.ts';
import { startReceiver, type Receiver } from './webhooks-helpers.ts';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('quotas and immutability on PostgreSQL with two instances', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let one: BerthProcess;
  let two: BerthProcess;
  let alice: Creds;
  let receiver: Receiver;

  const monolithic = async (server: BerthProcess, repo: string, data: Buffer) => {
    const res = await fetch(`${server.url}/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, { method: 'POST', headers: { authorization: basic(alice), 'content-type': 'application/octet-stream' }, body: data });
    const text = await res.text();
    return { status: res.status, message: res.status >= 300 ? JSON.parse(text).errors[0].message as string : undefined };
  };
  const quotaOf = async (server: BerthProcess, project: string) => expectStatus(await call(server, 'GET', `/projects/${project}`, { as: alice }), 200).body.quota;

  before(async () => {
    receiver = await startReceiver();
    db = await createTestDatabase('berth_quota');
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-quota-pg-'));
    const env = { BERTH_ADMIN_PASSWORD: ADMIN[1], BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url };
    const config = { notifications: { allowLoopback: true } };
    one = await startBerth({ auth: 'builtin', dataDir, env, config });
    two = await startBerth({ auth: 'builtin', dataDir, env, config });
    alice = await addUser(one, 'alice');
    for (const name of ['team', 'pg']) expectStatus(await call(one, 'POST', '/projects', { as: alice, body: { name } }), 201);
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await db?.drop();
    await receiver?.close();
  });

  it('a rule added through one instance holds on the other at once', async () => {
    const v1 = await pushLayers(one, alice, 'team/app', 'v1', [layerOf({ 'a.txt': 'one' })]);
    const other = await pushLayers(two, alice, 'team/app', 'other', [layerOf({ 'a.txt': 'two' })]);
    const rule = expectStatus(await call(one, 'POST', '/projects/team/immutable-rules', { as: alice, body: { repos: '**', tags: 'v*' } }), 201).body;
    const res = await fetch(`${two.url}/v2/team/app/manifests/v1`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: other.manifest });
    const body = JSON.parse(await res.text());
    assert.equal(res.status, 409);
    assert.equal(body.errors[0].message, `tag v1 of team/app is immutable (rule ${rule.id}: repos ** tags v*): push it under a new tag`);
    const del = await fetch(`${two.url}/v2/team/app/manifests/${v1.digest}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    assert.equal(del.status, 409);
    await del.arrayBuffer();
    expectStatus(await call(two, 'DELETE', `/projects/team/immutable-rules/${rule.id}`, { as: alice }), 204);
    const moved = await fetch(`${one.url}/v2/team/app/manifests/v1`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: other.manifest });
    await moved.arrayBuffer();
    assert.equal(moved.status, 201, 'removed through the other instance: the move goes through');
  });

  it('a quota set through one instance is enforced by the other within a second, on the same usage; one warning in all', async () => {
    expectStatus(await call(one, 'POST', '/projects/pg/webhooks', { as: alice, body: { url: receiver.url, events: ['quota.warning'], format: 'berth' } }), 201);
    const seven = randomBytes(7 * MiB);
    assert.equal((await monolithic(one, 'pg/app', seven)).status, 201);
    // Known to instance two as "no quota" (cached for a second).
    assert.equal((await monolithic(two, 'pg/app', randomBytes(1024))).status, 201);
    expectStatus(await call(one, 'PATCH', '/projects/pg', { as: ADMIN, body: { quotaBytes: 8 * MiB } }), 200);
    const used = (await quotaOf(one, 'pg')).usedBytes;
    assert.equal(used, 7 * MiB + 1024);
    assert.deepEqual(await quotaOf(two, 'pg'), await quotaOf(one, 'pg'), 'both instances count the same rows');
    // Instance two's "no quota" lapses within a second (docs/quotas.md, Cost).
    await new Promise((r) => setTimeout(r, 1100));
    const refused = await monolithic(two, 'pg/web', randomBytes(2 * MiB));
    assert.equal(refused.message, 'quota of 8 MiB for project pg exceeded: 7 MiB used, push needs 2 MiB');

    // 87.5%: the lowered quota warned (instance one); pushes through either instance add no second warning.
    const [warning] = await receiver.waitFor(1, 10_000);
    assert.equal(JSON.parse(warning!.body).quota.limitBytes, 8 * MiB);
    assert.equal((await monolithic(two, 'pg/app', randomBytes(100 * 1024))).status, 201);
    assert.equal((await monolithic(one, 'pg/app', randomBytes(100 * 1024))).status, 201);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(receiver.received.length, 1, 'once, whichever instance saw usage above 80%');
    assert.ok((await quotaOf(two, 'pg')).warnedAt);
  });
});
