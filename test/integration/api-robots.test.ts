// /api/v1/robots over real HTTP: create (secret once), list (never secrets), rotate, disable,
// remove; robot names with "$" and "+" URL-encoded in paths; the secret works on /v2.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';

const enc = encodeURIComponent;

describe('api: robots', () => {
  let server: BerthProcess;
  let alice: Creds;
  let bob: Creds;
  const secrets: string[] = [];
  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'team' } }), 201);
  });
  after(async () => { await server?.stop(); });

  async function v2Status(creds: Creds, repo = 'team/app'): Promise<number> {
    const res = await fetch(`${server.url}/v2/${repo}/tags/list`, { headers: { authorization: basic(creds) } });
    await res.arrayBuffer();
    return res.status;
  }

  it('POST /projects/{name}/robots returns the full name and the secret once; the secret works as a Basic password', async () => {
    const res = expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'ci', permissions: 'pull,push', expiresIn: '30d' } }), 201);
    assert.equal(res.body.robot.name, 'robot$team+ci');
    assert.deepEqual(res.body.robot.permissions, [{ project: 'team', actions: ['pull', 'push'] }]);
    assert.ok(res.body.robot.expiresAt);
    assert.equal(typeof res.body.secret, 'string');
    secrets.push(res.body.secret);
    const me = expectStatus(await call(server, 'GET', '/me', { as: ['robot$team+ci', res.body.secret] }), 200).body;
    assert.equal(me.kind, 'robot');
    assert.deepEqual(me.permissions, [{ project: 'team', actions: ['pull', 'push'] }]);
    // /v2 accepts it: the repository does not exist yet, so 404 rather than 401/403.
    assert.equal(await v2Status(['robot$team+ci', res.body.secret]), 404);
    assert.equal(await v2Status(['robot$team+ci', 'not-the-secret']), 401);
  });

  it('refuses duplicates (409), outsiders (404, as for a missing project), anonymous callers (401), unknown projects (404) and bad bodies (400)', async () => {
    expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'ci', permissions: ['pull'] } }), 409, 'CONFLICT');
    expectStatus(await call(server, 'POST', '/projects/team/robots', { as: bob, body: { name: 'evil', permissions: ['pull'] } }), 404, 'NOT_FOUND');
    const typo = expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'x', permissions: 'pull,pushh' } }), 400, 'INVALID_REQUEST');
    assert.match(typo.body.errors[0].message, /unknown permission "pushh".*pull, push, delete/);
    expectStatus(await call(server, 'POST', '/projects/team/robots', { body: { name: 'evil', permissions: ['pull'] } }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'POST', '/projects/nothing/robots', { as: ADMIN, body: { name: 'x', permissions: ['pull'] } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'x', permissions: ['fly'] } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'x', permissions: 'fly' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'x' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'x', permissions: 'pull', expiresIn: 'soon' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'Bad Name', permissions: 'pull' } }), 400, 'INVALID_REQUEST');
  });

  it('POST /robots takes a permissions list; several projects need an administrator', async () => {
    const one = expectStatus(await call(server, 'POST', '/robots', { as: alice, body: { name: 'deploy', permissions: [{ project: 'team', actions: ['pull'] }] } }), 201).body;
    assert.equal(one.robot.name, 'robot$team+deploy');
    secrets.push(one.secret);
    const many = { name: 'mirror', permissions: [{ project: 'team', actions: 'pull' }, { project: 'alice', actions: ['pull', 'push'] }] };
    expectStatus(await call(server, 'POST', '/robots', { as: alice, body: many }), 403, 'DENIED');
    const made = expectStatus(await call(server, 'POST', '/robots', { as: ADMIN, body: many }), 201).body;
    assert.equal(made.robot.name, 'robot$mirror');
    secrets.push(made.secret);
    expectStatus(await call(server, 'POST', '/robots', { as: ADMIN, body: { name: 'empty', permissions: [] } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/robots', { as: ADMIN, body: { name: 'ghost', permissions: [{ project: 'nothing', actions: 'pull' }] } }), 404, 'NOT_FOUND');
  });

  it('lists never carry secrets; GET /robots is for administrators', async () => {
    const project = expectStatus(await call(server, 'GET', '/projects/team/robots', { as: alice }), 200);
    assert.deepEqual(project.body.robots.map((r: { name: string }) => r.name).sort(), ['robot$mirror', 'robot$team+ci', 'robot$team+deploy']);
    const all = expectStatus(await call(server, 'GET', '/robots', { as: ADMIN }), 200);
    assert.equal(all.body.robots.length, 3);
    for (const text of [project.text, all.text]) {
      for (const s of secrets) assert.ok(!text.includes(s), 'a secret leaked into a list');
      assert.doesNotMatch(text, /secret/i);
    }
    expectStatus(await call(server, 'GET', '/robots', { as: alice }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/robots'), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'GET', '/projects/team/robots', { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/projects/nothing/robots', { as: ADMIN }), 404, 'NOT_FOUND');
  });

  it('POST /robots/{name}/rotate (URL-encoded name) returns a new secret; the old one stops working', async () => {
    const path = `/robots/${enc('robot$team+ci')}/rotate`;
    expectStatus(await call(server, 'POST', path, { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'POST', path), 401, 'UNAUTHORIZED');
    const res = expectStatus(await call(server, 'POST', path, { as: alice }), 200).body;
    assert.notEqual(res.secret, secrets[0]);
    expectStatus(await call(server, 'GET', '/me', { as: ['robot$team+ci', secrets[0]!] }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'GET', '/me', { as: ['robot$team+ci', res.secret] }), 200);
    secrets[0] = res.secret;
    // The raw "$" and "+" work too.
    expectStatus(await call(server, 'POST', '/robots/robot$team+deploy/rotate', { as: alice }), 200);
    expectStatus(await call(server, 'POST', `/robots/${enc('robot$team+nothing')}/rotate`, { as: alice }), 404, 'NOT_FOUND');
  });

  it('PATCH /robots/{name} disables and enables a robot', async () => {
    const path = `/robots/${enc('robot$team+ci')}`;
    const off = expectStatus(await call(server, 'PATCH', path, { as: alice, body: { disabled: true } }), 200).body;
    assert.equal(off.disabled, true);
    assert.equal(await v2Status(['robot$team+ci', secrets[0]!]), 401);
    expectStatus(await call(server, 'PATCH', path, { as: alice, body: { disabled: false } }), 200);
    assert.equal(await v2Status(['robot$team+ci', secrets[0]!]), 404);
    expectStatus(await call(server, 'PATCH', path, { as: alice, body: { disabled: 'no' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PATCH', path, { as: bob, body: { disabled: true } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'PATCH', `/robots/${enc('robot$ghost')}`, { as: ADMIN, body: { disabled: true } }), 404, 'NOT_FOUND');
  });

  it('DELETE /robots/{name} removes it; again is 404', async () => {
    const path = `/robots/${enc('robot$team+deploy')}`;
    expectStatus(await call(server, 'DELETE', path, { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'DELETE', path, { as: alice }), 204);
    expectStatus(await call(server, 'DELETE', path, { as: alice }), 404, 'NOT_FOUND');
  });

  it('robot secrets never reach the logs', () => {
    for (const s of secrets) assert.ok(!server.logs().includes(s));
  });
});
