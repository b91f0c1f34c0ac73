// /api/v1/users and /api/v1/me over real HTTP against `berth serve --auth builtin`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';

describe('api: users', () => {
  let server: BerthProcess;
  let alice: Creds;
  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
  });
  after(async () => { await server?.stop(); });

  it('GET /me names the caller; anonymous and bad passwords get 401 with a Basic challenge', async () => {
    const me = expectStatus(await call(server, 'GET', '/me', { as: ADMIN }), 200).body;
    assert.equal(me.name, 'admin');
    assert.equal(me.admin, true);
    assert.equal(me.kind, 'user');
    const anon = expectStatus(await call(server, 'GET', '/me'), 401, 'UNAUTHORIZED');
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic /);
    expectStatus(await call(server, 'GET', '/me', { as: ['admin', 'wrong-password'] }), 401, 'UNAUTHORIZED');
    const res = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: 'Bearer abc' } });
    assert.equal(res.status, 401);
  });

  it('POST /users creates a user with a personal project; duplicates 409, bad bodies 400', async () => {
    const created = expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'bob', password: 'bob-password' } }), 201).body;
    assert.deepEqual({ name: created.name, admin: created.admin, disabled: created.disabled }, { name: 'bob', admin: false, disabled: false });
    const detail = expectStatus(await call(server, 'GET', '/users/bob', { as: ADMIN }), 200).body;
    assert.deepEqual(detail.projects, [{ name: 'bob', role: 'owner' }]);
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'bob', password: 'bob-password' } }), 409, 'CONFLICT');

    const missing = expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'carol' } }), 400, 'INVALID_REQUEST');
    assert.match(missing.body.errors[0].message, /password/);
    const extra = expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'carol', password: 'carol-password', colour: 'blue' } }), 400, 'INVALID_REQUEST');
    assert.match(extra.body.errors[0].message, /colour/);
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, raw: '{"name":', contentType: 'application/json' }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, raw: 'name=carol', contentType: 'text/plain' }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'Bad Name', password: 'carol-password' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'carol', password: 'short' } }), 400, 'INVALID_REQUEST');
    const big = 'x'.repeat(1024 * 1024 + 10);
    const tooBig = await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'carol', password: big } });
    assert.equal(tooBig.status, 413, tooBig.text);
  });

  it('non-admins cannot create, list, change or remove users (403 DENIED); anonymous gets 401', async () => {
    expectStatus(await call(server, 'POST', '/users', { as: alice, body: { name: 'eve', password: 'eve-password' } }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/users', { as: alice }), 403, 'DENIED');
    expectStatus(await call(server, 'PATCH', '/users/bob', { as: alice, body: { admin: true } }), 403, 'DENIED');
    expectStatus(await call(server, 'DELETE', '/users/bob', { as: alice }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/users/bob', { as: alice }), 403, 'DENIED');
    expectStatus(await call(server, 'PUT', '/users/bob/password', { as: alice, body: { password: 'hijacked-pw' } }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/users'), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'POST', '/users', { body: { name: 'eve', password: 'eve-password' } }), 401, 'UNAUTHORIZED');
  });

  it('GET /users lists accounts without password hashes', async () => {
    const res = expectStatus(await call(server, 'GET', '/users', { as: ADMIN }), 200);
    const names = res.body.users.map((u: { name: string }) => u.name);
    assert.ok(names.includes('admin') && names.includes('alice'), res.text);
    assert.doesNotMatch(res.text, /scrypt|password/i);
  });

  it('GET /users/{name}: a user reads themself; unknown users are 404', async () => {
    const self = expectStatus(await call(server, 'GET', '/users/alice', { as: alice }), 200).body;
    assert.equal(self.name, 'alice');
    expectStatus(await call(server, 'GET', '/users/nobody', { as: ADMIN }), 404, 'NOT_FOUND');
  });

  it('PATCH /users/{name} makes admins and disables accounts', async () => {
    await addUser(server, 'dave');
    const up = expectStatus(await call(server, 'PATCH', '/users/dave', { as: ADMIN, body: { admin: true } }), 200).body;
    assert.equal(up.admin, true);
    const off = expectStatus(await call(server, 'PATCH', '/users/dave', { as: ADMIN, body: { disabled: true } }), 200).body;
    assert.equal(off.disabled, true);
    expectStatus(await call(server, 'GET', '/me', { as: ['dave', 'dave-password'] }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'PATCH', '/users/dave', { as: ADMIN, body: { admin: 'yes' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PATCH', '/users/nobody', { as: ADMIN, body: { admin: true } }), 404, 'NOT_FOUND');
  });

  it('PUT /users/{name}/password: users change their own, admins anyone\'s', async () => {
    const frank = await addUser(server, 'frank');
    expectStatus(await call(server, 'PUT', '/users/frank/password', { as: frank, body: { password: 'frank-new-password' } }), 204);
    expectStatus(await call(server, 'GET', '/me', { as: frank }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'GET', '/me', { as: ['frank', 'frank-new-password'] }), 200);
    expectStatus(await call(server, 'PUT', '/users/frank/password', { as: ADMIN, body: { password: 'frank-third-password' } }), 204);
    expectStatus(await call(server, 'GET', '/me', { as: ['frank', 'frank-third-password'] }), 200);
    expectStatus(await call(server, 'PUT', '/users/frank/password', { as: ADMIN, body: {} }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PUT', '/users/nobody/password', { as: ADMIN, body: { password: 'whatever-pw' } }), 404, 'NOT_FOUND');
  });

  it('DELETE /users/{name} removes the account and its empty personal project; again is 404; admins cannot remove themselves', async () => {
    const gina = await addUser(server, 'gina');
    const removed = expectStatus(await call(server, 'DELETE', '/users/gina', { as: ADMIN }), 200).body;
    assert.deepEqual(removed, { user: 'gina', personalProject: 'removed', repositories: [] });
    expectStatus(await call(server, 'GET', '/projects/gina', { as: ADMIN }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/me', { as: gina }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'DELETE', '/users/gina', { as: ADMIN }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'DELETE', '/users/admin', { as: ADMIN }), 400, 'INVALID_REQUEST');
  });

  it('unknown API routes are 404 in the error form', async () => {
    expectStatus(await call(server, 'GET', '/nothing-here', { as: ADMIN }), 404, 'NOT_FOUND');
  });

  it('requests are counted under api_<resource>, refused bodies too', async () => {
    const metrics = await (await fetch(server.metricsUrl)).text();
    assert.match(metrics, /berth_http_requests_total\{route="api_users",method="POST",status="400"\} [1-9]/);
    assert.match(metrics, /berth_http_requests_total\{route="api_users",method="GET",status="200"\} [1-9]/);
    assert.match(metrics, /berth_http_requests_total\{route="api_me",method="GET",status="401"\} [1-9]/);
  });

  it('logs never carry passwords', async () => {
    assert.ok(!server.logs().includes('alice-password'));
    assert.ok(!server.logs().includes('frank-new-password'));
  });
});
