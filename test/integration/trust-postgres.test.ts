// Trust policies with two instances on one PostgreSQL database and one store: a policy set
// through one instance is enforced by the other within its one-second cache, and a signature
// pushed through one instance (or deleted through it) changes the other's verdict at the very
// next pull, because a stored verdict holds only while the signatures it saw are the same.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { cosignKey, cosignSigTag, signCosign } from '../helpers/cosign-signer.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { ADMIN, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { getManifest, layerOf, pushLayers, type PushedImage } from './scan-helpers.ts';

describe('trust policies on PostgreSQL with two instances', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let one: BerthProcess;
  let two: BerthProcess;
  let alice: Creds;
  let gina: Creds;
  let image: PushedImage;
  const key = cosignKey('p256');

  /** Polls until `check` holds (the policy cache is one second), failing after `ms`. */
  async function eventually(what: string, check: () => Promise<boolean>, ms = 5000): Promise<number> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) assert.fail(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - started;
  }
  const pullStatus = async (server: BerthProcess) => (await getManifest(server, gina, 'team/app', '1')).status;

  before(async () => {
    db = await createTestDatabase('berth_trust');
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-trust-pg-'));
    const env = { BERTH_ADMIN_PASSWORD: ADMIN[1], BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url };
    one = await startBerth({ auth: 'builtin', dataDir, env });
    two = await startBerth({ auth: 'builtin', dataDir, env });
    alice = await addUser(one, 'alice');
    gina = await addUser(one, 'gina');
    expectStatus(await call(one, 'POST', '/projects', { as: alice, body: { name: 'team' } }), 201);
    expectStatus(await call(one, 'PUT', '/projects/team/members/gina', { as: alice, body: { role: 'guest' } }), 200);
    image = await pushLayers(one, alice, 'team/app', '1', [layerOf({ 'app.txt': 'trust on postgres' })]);
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await db?.drop();
  });

  it('a key and enforce mode set through one instance are enforced by the other', async () => {
    assert.equal(await pullStatus(two), 200, 'off: pulls go through');
    expectStatus(await call(two, 'POST', '/projects/team/trust-keys', { as: alice, body: { name: 'release', key: key.publicPem } }), 201);
    expectStatus(await call(two, 'PATCH', '/projects/team/trust-policy', { as: alice, body: { mode: 'enforce' } }), 200);
    const waited = await eventually('instance one refuses the unsigned image', async () => (await pullStatus(one)) === 403);
    assert.ok(waited <= 2500, `seen after ${waited} ms`);
    const refusal = await getManifest(one, gina, 'team/app', '1');
    const body = await refusal.json() as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'DENIED');
    assert.match(body.errors[0]!.message, /trust policy of project team.*not signed by a trusted signer \(release\)/);
    assert.equal((await getManifest(one, gina, 'team/app', '1', 'HEAD')).status, 200, 'HEAD is never refused');
  });

  it('a signature pushed through one instance lets the other serve the pull at once', async () => {
    assert.equal(await pullStatus(two), 403, 'two has a stored verdict: unsigned');
    await signCosign(one.url, alice, 'team/app', image.digest, key);
    // No waiting: the verdict two stored names the signatures it saw, and now there is one more.
    assert.equal(await pullStatus(two), 200);
    assert.equal(await pullStatus(one), 200);
    const verdict = expectStatus(await call(two, 'GET', '/repositories/team/app/trust/1', { as: gina }), 200).body;
    assert.deepEqual([verdict.signed, verdict.signers], [true, ['release']]);
  });

  it('deleting the signature through one instance makes the other refuse at once', async () => {
    const sig = await fetch(`${one.url}/v2/team/app/manifests/${cosignSigTag(image.digest)}`, { method: 'HEAD', headers: { authorization: basic(alice) } });
    assert.equal(sig.status, 200);
    const digest = sig.headers.get('docker-content-digest')!;
    assert.equal((await fetch(`${one.url}/v2/team/app/manifests/${digest}`, { method: 'DELETE', headers: { authorization: basic(alice) } })).status, 202);
    assert.equal(await pullStatus(two), 403);
    assert.equal(await pullStatus(one), 403);
  });

  it('one verdict row per image and policy, shared by both instances', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = (await client.query('select digest, policy_version, signed from trust_verdicts')).rows as { digest: string; policy_version: number; signed: number }[];
    await client.end();
    assert.deepEqual(rows.map((r) => [r.digest, Number(r.signed)]), [[image.digest, 0]]);
  });

  it('turning enforcement off through one instance is seen by the other within a second or so', async () => {
    expectStatus(await call(one, 'PATCH', '/projects/team/trust-policy', { as: alice, body: { mode: 'off' } }), 200);
    const waited = await eventually('instance two lets the pull through', async () => (await pullStatus(two)) === 200);
    assert.ok(waited <= 2500, `seen after ${waited} ms`);
  });
});
