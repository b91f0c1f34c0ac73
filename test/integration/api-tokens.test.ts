// /api/v1/users/{name}/tokens over real HTTP: create (secret once), list (never secrets),
// revoke; a token works as the user's password, limited to its actions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';

describe('api: access tokens', () => {
  let server: BerthProcess;
  let alice: Creds;
  let bob: Creds;
  const secrets: string[] = [];
  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
  });
  after(async () => { await server?.stop(); });

  it('POST /users/{name}/tokens returns a bpat_ secret once; it signs in as the user, limited', async () => {
    const res = expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'ci', permissions: 'pull', expiresIn: '7d' } }), 201).body;
    assert.match(res.secret, /^bpat_\d+_/);
    assert.equal(res.token.name, 'ci');
    assert.deepEqual(res.token.actions, ['pull']);
    assert.ok(res.token.expiresAt);
    secrets.push(res.secret);
    const me = expectStatus(await call(server, 'GET', '/me', { as: ['alice', res.secret] }), 200).body;
    assert.equal(me.name, 'alice');
    assert.equal(me.via, 'token');
    assert.deepEqual(me.limit.actions, ['pull']);
    // A token cannot manage accounts or create more tokens.
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: ['alice', res.secret], body: { name: 'more', permissions: ['push'] } }), 403, 'DENIED');
    expectStatus(await call(server, 'POST', '/projects', { as: ['alice', res.secret], body: { name: 'fromtoken' } }), 403, 'DENIED');
    const scoped = expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'scoped', permissions: ['pull', 'push'], projects: ['alice'] } }), 201).body;
    assert.deepEqual(scoped.token.projects, ['alice']);
    secrets.push(scoped.secret);
  });

  it('refuses unknown permission names, naming the valid ones, and makes nothing', async () => {
    const before = expectStatus(await call(server, 'GET', '/users/alice/tokens', { as: alice }), 200).body.tokens.length;
    for (const permissions of ['pull,pushh', 'pull,', 'read', 'PULL', ' pull , push , x']) {
      const res = expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'typo', permissions } }), 400, 'INVALID_REQUEST');
      assert.match(res.body.errors[0].message, /unknown permission .*: permissions are a comma-separated list of pull, push, delete/, permissions);
    }
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'typo', permissions: ['pull', 'pushh'] } }), 400, 'INVALID_REQUEST');
    assert.equal(expectStatus(await call(server, 'GET', '/users/alice/tokens', { as: alice }), 200).body.tokens.length, before);
  });

  it('refuses other users (403), anonymous callers (401), unknown users (404) and bad bodies (400)', async () => {
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: bob, body: { name: 'steal', permissions: 'pull' } }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/users/alice/tokens', { as: bob }), 403, 'DENIED');
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { body: { name: 'anon', permissions: 'pull' } }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'POST', '/users/nobody/tokens', { as: ADMIN, body: { name: 'x', permissions: 'pull' } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'x' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'x', permissions: 'fly' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: '', permissions: 'pull' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'x', permissions: 'pull', expiresIn: 'later' } }), 400, 'INVALID_REQUEST');
  });

  it('GET /users/{name}/tokens lists tokens without secrets; admins see anyone\'s', async () => {
    const own = expectStatus(await call(server, 'GET', '/users/alice/tokens', { as: alice }), 200);
    assert.deepEqual(own.body.tokens.map((t: { name: string }) => t.name).sort(), ['ci', 'scoped']);
    const admin = expectStatus(await call(server, 'GET', '/users/alice/tokens', { as: ADMIN }), 200);
    for (const text of [own.text, admin.text]) {
      for (const s of secrets) assert.ok(!text.includes(s), 'a token secret leaked into a list');
      assert.doesNotMatch(text, /bpat_|secret/);
    }
    const ci = own.body.tokens.find((t: { name: string }) => t.name === 'ci');
    assert.ok(ci.lastUsedAt, 'the token was used to sign in');
  });

  it('DELETE /users/{name}/tokens/{id} revokes; the token stops working; again is 404', async () => {
    const list = expectStatus(await call(server, 'GET', '/users/alice/tokens', { as: alice }), 200).body.tokens;
    const id = list.find((t: { name: string }) => t.name === 'ci').id;
    expectStatus(await call(server, 'DELETE', `/users/alice/tokens/${id}`, { as: bob }), 403, 'DENIED');
    expectStatus(await call(server, 'DELETE', `/users/alice/tokens/${id}`), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'DELETE', `/users/alice/tokens/${id}`, { as: alice }), 204);
    expectStatus(await call(server, 'GET', '/me', { as: ['alice', secrets[0]!] }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'DELETE', `/users/alice/tokens/${id}`, { as: alice }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'DELETE', '/users/alice/tokens/abc', { as: alice }), 404, 'NOT_FOUND');
  });

  it('token secrets never reach the logs', () => {
    for (const s of secrets) assert.ok(!server.logs().includes(s));
  });
});
