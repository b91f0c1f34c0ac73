// Names cannot be squatted or inherited (hardening issue, defect 3). Users and projects share one
// namespace: a project name cannot become a user (nor a user's name a project), so nobody co-owns
// somebody's "personal" project. A project or user removed and made again under the same name
// starts empty: no repositories, blobs, robots, webhooks or audit entries of the old one reach
// the new owner.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('one namespace for users and projects; a re-created name never sees old data', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let mallory: Creds;

  before(async () => {
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN[1] },
      // The webhook below is aimed at loopback, which needs the administrator's grant.
      config: { notifications: { allowLoopback: true } },
    });
    mallory = await addUser(server, 'mallory');
  });
  after(async () => {
    if (process.env.DEBUG_LOGS) console.log(server?.logs());
    await server?.stop();
  });

  /** Pushes a small image; returns the digest of its one layer. */
  async function push(repo: string, creds: Creds, secret = randomBytes(16)): Promise<string> {
    const auth = { authorization: basic(creds) };
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    for (const blob of [secret, config]) {
      const r = await fetch(`${server.url}/v2/${repo}/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', headers: auth, body: blob });
      assert.equal(r.status, 201, `push a blob to ${repo} as ${creds[0]}: ${await r.text()}`);
    }
    const manifest = JSON.stringify({
      schemaVersion: 2, mediaType: MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(secret), size: secret.length }],
    });
    const put = await fetch(`${server.url}/v2/${repo}/manifests/v1`, { method: 'PUT', headers: { ...auth, 'content-type': MANIFEST }, body: manifest });
    assert.equal(put.status, 201, await put.text());
    return digestOf(secret);
  }

  const v2 = async (path: string, creds: Creds) => {
    const res = await fetch(`${server.url}/v2/${path}`, { headers: { authorization: basic(creds), accept: MANIFEST } });
    await res.arrayBuffer();
    return res.status;
  };

  it('a project name cannot become a user, and a user name cannot become a project', async () => {
    expectStatus(await call(server, 'POST', '/projects', { as: mallory, body: { name: 'dave' } }), 201);
    const refused = expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'dave', password: 'dave-password' } }), 409, 'CONFLICT');
    assert.match(refused.body.errors[0].message, /taken by a project/);
    // Nothing half-made: no user dave exists, and mallory's project is as it was.
    expectStatus(await call(server, 'GET', '/users/dave', { as: ADMIN }), 404, 'NOT_FOUND');
    const members = expectStatus(await call(server, 'GET', '/projects/dave/members', { as: mallory }), 200).body.members;
    assert.deepEqual(members.map((m: { user: string }) => m.user), ['mallory']);
    // The other way round.
    await addUser(server, 'erin');
    expectStatus(await call(server, 'POST', '/projects', { as: mallory, body: { name: 'erin' } }), 409, 'CONFLICT');
    // And offline, through the CLI's services (same rule: they are the same services).
  });

  it("an owner cannot remove a user from the user's personal project, nor demote them", async () => {
    const frank = await addUser(server, 'frank');
    // Even an administrator made co-owner cannot take the personal project away.
    expectStatus(await call(server, 'PUT', '/projects/frank/members/mallory', { as: frank, body: { role: 'owner' } }), 200);
    expectStatus(await call(server, 'DELETE', '/projects/frank/members/frank', { as: mallory }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PUT', '/projects/frank/members/frank', { as: mallory, body: { role: 'guest' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'GET', '/me', { as: frank }), 200);
  });

  it('a removed project takes its repositories along (or the removal is refused); the new acme sees nothing of the old', async () => {
    const alice = await addUser(server, 'alice');
    const bob = await addUser(server, 'bob');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'acme' } }), 201);
    const layer = await push('acme/payroll', alice);
    expectStatus(await call(server, 'POST', '/projects/acme/robots', { as: alice, body: { name: 'ci', permissions: 'pull' } }), 201);
    expectStatus(await call(server, 'POST', '/projects/acme/webhooks', { as: alice, body: { url: 'http://127.0.0.1:9/hook', events: 'push' } }), 201);
    // Refused while it holds repositories, saying what to do; nothing is removed.
    const refused = expectStatus(await call(server, 'DELETE', '/projects/acme', { as: alice }), 409, 'CONFLICT');
    assert.match(refused.body.errors[0].message, /1 repository.*repositories=delete/);
    assert.equal(await v2('acme/payroll/manifests/v1', alice), 200);
    // With its repositories.
    expectStatus(await call(server, 'DELETE', '/projects/acme?repositories=delete', { as: alice }), 204);
    // The project is gone, so even an administrator is refused (403: no such project).
    assert.equal(await v2('acme/payroll/manifests/v1', ADMIN), 403, 'the repository went with its project');
    // bob makes acme again: he sees no repository, no blob, no robot, no webhook, no old audit entry.
    expectStatus(await call(server, 'POST', '/projects', { as: bob, body: { name: 'acme' } }), 201);
    assert.equal(await v2(`acme/payroll/blobs/${layer}`, bob), 404);
    assert.equal(await v2('acme/payroll/manifests/v1', bob), 404);
    assert.equal(await v2('acme/payroll/tags/list', bob), 404);
    const catalog = await (await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: basic(bob) } })).json() as { repositories: string[] };
    assert.ok(!catalog.repositories.some((r) => r.startsWith('acme/')), JSON.stringify(catalog));
    assert.deepEqual(expectStatus(await call(server, 'GET', '/projects/acme/robots', { as: bob }), 200).body.robots, []);
    assert.deepEqual(expectStatus(await call(server, 'GET', '/projects/acme/webhooks', { as: bob }), 200).body.webhooks, []);
    const repos = expectStatus(await call(server, 'GET', '/projects/acme/repositories', { as: bob }), 200).body;
    assert.equal(repos.total, 0);
    // The administrator still reads the old project's history (once the audit log has flushed)...
    const adminSees = async () => (expectStatus(await call(server, 'GET', '/audit?project=acme&limit=1000', { as: ADMIN }), 200).body.entries as { actor: string; action: string }[])
      .some((e) => e.actor === 'alice' && e.action === 'push');
    for (let i = 0; i < 50 && !(await adminSees()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await adminSees(), "the administrator reads the old acme's push");
    // ... but the new owner does not.
    const audit = expectStatus(await call(server, 'GET', '/audit?project=acme', { as: bob }), 200).body.entries;
    assert.ok(audit.every((e: { actor: string }) => e.actor !== 'alice'), `bob reads the old acme's entries: ${JSON.stringify(audit)}`);
    // The robot name of the old project is free for the new one.
    expectStatus(await call(server, 'POST', '/projects/acme/robots', { as: bob, body: { name: 'ci', permissions: 'pull' } }), 201);
    // bob can push to the new acme/payroll at once (no stale cache of the old repository).
    await push('acme/payroll', bob);
    assert.equal(await v2(`acme/payroll/blobs/${layer}`, bob), 404, 'the old layer is still not reachable through the new repository');
  });

  it('a removed user: their personal project goes (or is kept, on request); a new user of that name sees nothing', async () => {
    const gus = await addUser(server, 'gus');
    const layer = await push('gus/secret', gus);
    const refused = expectStatus(await call(server, 'DELETE', '/users/gus', { as: ADMIN }), 409, 'CONFLICT');
    assert.match(refused.body.errors[0].message, /personalProject=delete or keep/);
    const removed = expectStatus(await call(server, 'DELETE', '/users/gus?personalProject=delete', { as: ADMIN }), 200).body;
    assert.deepEqual(removed, { user: 'gus', personalProject: 'removed', repositories: ['gus/secret'] });
    const again = await addUser(server, 'gus', 'gus-second-life');
    assert.equal(await v2(`gus/secret/blobs/${layer}`, again), 404);
    assert.equal(await v2('gus/secret/manifests/v1', again), 404);
    // Wait until the old gus's push is in the audit log, so that the check below means something.
    const pushed = async () => (expectStatus(await call(server, 'GET', '/audit?project=gus&action=push', { as: ADMIN }), 200).body.entries as unknown[]).length > 0;
    for (let i = 0; i < 50 && !(await pushed()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await pushed());
    const audit = expectStatus(await call(server, 'GET', '/audit?project=gus', { as: again }), 200).body.entries;
    assert.ok(audit.every((e: { action: string; reference: string | null }) => e.action !== 'push'), `the new gus reads the old gus's pushes: ${JSON.stringify(audit)}`);

    // Kept: the project stays (owned by the admin), and the name cannot become a user again.
    const hal = await addUser(server, 'hal');
    await push('hal/work', hal);
    const kept = expectStatus(await call(server, 'DELETE', '/users/hal?personalProject=keep', { as: ADMIN }), 200).body;
    assert.deepEqual(kept, { user: 'hal', personalProject: 'kept', repositories: ['hal/work'] });
    assert.equal(await v2('hal/work/manifests/v1', ADMIN), 200);
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'hal', password: 'hal-password-2' } }), 409, 'CONFLICT');
    const members = expectStatus(await call(server, 'GET', '/projects/hal/members', { as: ADMIN }), 200).body.members;
    assert.deepEqual(members.map((m: { user: string; role: string }) => [m.user, m.role]), [['admin', 'owner']]);
  });
});
