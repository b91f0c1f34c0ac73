// /api/v1/audit over real HTTP: administrators read everything, project owners their project;
// filters (project, actor, action, since) and paging (limit, before/next).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes a minimal OCI image (an empty config, no layers) with Basic credentials. */
async function push(server: BerthProcess, creds: Creds, repo: string, tag: string): Promise<void> {
  const auth = { authorization: basic(creds) };
  const config = Buffer.from('{}');
  const up = await fetch(`${server.url}/v2/${repo}/blobs/uploads/?digest=${sha(config)}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: config });
  assert.equal(up.status, 201, await up.text());
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
    layers: [],
  }));
  const put = await fetch(`${server.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
  assert.equal(put.status, 201, await put.text());
}

describe('api: audit log', () => {
  let server: BerthProcess;
  let alice: Creds;
  let bob: Creds;
  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'team' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/team/members/bob', { as: alice, body: { role: 'developer' } }), 200);
    await push(server, alice, 'team/app', 'v1');
    await push(server, bob, 'team/app', 'v2');
    await push(server, bob, 'bob/own', 'v1');
    const login = await fetch(`${server.url}/auth/token?service=berth`, { headers: { authorization: basic(alice) } });
    await login.arrayBuffer();
    expectStatus(await call(server, 'GET', '/me', { as: ['bob', 'not-bobs-password'] }), 401, 'UNAUTHORIZED');
    // The audit log writes in batches every 500 ms.
    // Wait until everything above is written.
    for (let i = 0; i < 80; i++) {
      const entries: { action: string; actor: string }[] = (await call(server, 'GET', '/audit', { as: ADMIN })).body?.entries ?? [];
      const has = (action: string, actor?: string) => entries.filter((e) => e.action === action && (!actor || e.actor === actor)).length;
      if (has('push') >= 3 && has('login', 'alice') && has('login_failed', 'bob')) break;
      await new Promise((res) => setTimeout(res, 250));
    }
  });
  after(async () => { await server?.stop(); });

  it('administrators read every entry, newest first', async () => {
    const res = expectStatus(await call(server, 'GET', '/audit', { as: ADMIN }), 200).body;
    // Users' pushes (the scanner's SBOM referrers are pushes by system, made when their scans end).
    const pushes = res.entries.filter((e: { action: string; actor: string }) => e.action === 'push' && e.actor !== 'system');
    assert.deepEqual(pushes.map((e: { repository: string }) => e.repository), ['bob/own', 'team/app', 'team/app']);
    assert.ok(res.entries.some((e: { action: string; actor: string }) => e.action === 'login' && e.actor === 'alice'));
    const ids = res.entries.map((e: { id: number }) => e.id);
    assert.deepEqual(ids, [...ids].sort((a: number, b: number) => b - a));
  });

  it('failed API logins are audited', async () => {
    let failed: { actor: string; outcome: string }[] = [];
    for (let i = 0; i < 20 && !failed.length; i++) {
      if (i) await new Promise((res) => setTimeout(res, 250));
      failed = expectStatus(await call(server, 'GET', '/audit?action=login_failed', { as: ADMIN }), 200).body.entries;
    }
    assert.ok(failed.some((e) => e.actor === 'bob' && e.outcome === 'failure'), JSON.stringify(failed));
    assert.ok(!JSON.stringify(failed).includes('not-bobs-password'));
  });

  it('filters by project, actor, action and since', async () => {
    const byProject = expectStatus(await call(server, 'GET', '/audit?project=team', { as: ADMIN }), 200).body.entries;
    assert.ok(byProject.length >= 2 && byProject.every((e: { project: string }) => e.project === 'team'));
    const byActor = expectStatus(await call(server, 'GET', '/audit?actor=bob&action=push', { as: ADMIN }), 200).body.entries;
    assert.equal(byActor.length, 2);
    const recent = expectStatus(await call(server, 'GET', '/audit?since=1h&action=push', { as: ADMIN }), 200).body.entries;
    assert.equal(recent.filter((e: { actor: string }) => e.actor !== 'system').length, 3);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = expectStatus(await call(server, 'GET', `/audit?since=${encodeURIComponent(future)}`, { as: ADMIN }), 200).body.entries;
    assert.equal(none.length, 0);
  });

  it('pages with limit and before/next', async () => {
    // bob's pushes: two (the scanner's own pushes come and go with its timing).
    const first = expectStatus(await call(server, 'GET', '/audit?action=push&actor=bob&limit=1', { as: ADMIN }), 200).body;
    assert.equal(first.entries.length, 1);
    assert.equal(typeof first.next, 'number');
    const second = expectStatus(await call(server, 'GET', `/audit?action=push&actor=bob&limit=1&before=${first.next}`, { as: ADMIN }), 200).body;
    assert.equal(second.entries.length, 1);
    assert.notEqual(second.entries[0].id, first.entries[0].id);
    const third = expectStatus(await call(server, 'GET', `/audit?action=push&actor=bob&limit=1&before=${second.entries[0].id}`, { as: ADMIN }), 200).body;
    assert.deepEqual(third.entries, []);
    assert.equal(third.next, undefined);
  });

  it('project owners read their project; other members and the whole log are 403, private projects of others 404', async () => {
    const own = expectStatus(await call(server, 'GET', '/audit?project=team', { as: alice }), 200).body.entries;
    assert.ok(own.length >= 2);
    expectStatus(await call(server, 'GET', '/audit?project=team', { as: bob }), 403, 'DENIED');
    // bob's personal project is private: to alice it does not exist.
    expectStatus(await call(server, 'GET', '/audit?project=bob', { as: alice }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/audit', { as: alice }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/audit?project=bob', { as: bob }), 200);
    expectStatus(await call(server, 'GET', '/audit?project=nothing', { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/audit'), 401, 'UNAUTHORIZED');
  });

  it('bad queries are 400', async () => {
    expectStatus(await call(server, 'GET', '/audit?since=yesterday-ish', { as: ADMIN }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'GET', '/audit?limit=0', { as: ADMIN }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'GET', '/audit?limit=5000', { as: ADMIN }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'GET', '/audit?before=x', { as: ADMIN }), 400, 'INVALID_REQUEST');
  });
});
