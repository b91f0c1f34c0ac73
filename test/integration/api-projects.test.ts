// /api/v1/projects and /api/v1/projects/{name}/members over real HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';

describe('api: projects and members', () => {
  let server: BerthProcess;
  let alice: Creds;
  let bob: Creds;
  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
  });
  after(async () => { await server?.stop(); });

  it('POST /projects: the creator owns it; duplicates and user names are 409; bad names and bodies 400; anonymous 401', async () => {
    const p = expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'team', visibility: 'private', description: 'the team' } }), 201).body;
    assert.deepEqual({ name: p.name, visibility: p.visibility, role: p.role, description: p.description }, { name: 'team', visibility: 'private', role: 'owner', description: 'the team' });
    expectStatus(await call(server, 'POST', '/projects', { as: bob, body: { name: 'team' } }), 409, 'CONFLICT');
    expectStatus(await call(server, 'POST', '/projects', { as: bob, body: { name: 'alice' } }), 409, 'CONFLICT');
    expectStatus(await call(server, 'POST', '/projects', { as: bob, body: { name: 'Not OK' } }), 400, 'INVALID_REQUEST');
    const bad = expectStatus(await call(server, 'POST', '/projects', { as: bob, body: { name: 'x2', visibility: 'secret' } }), 400, 'INVALID_REQUEST');
    assert.match(bad.body.errors[0].message, /visibility/);
    expectStatus(await call(server, 'POST', '/projects', { body: { name: 'anon' } }), 401, 'UNAUTHORIZED');
    const pub = expectStatus(await call(server, 'POST', '/projects', { as: bob, body: { name: 'open', public: true } }), 201).body;
    assert.equal(pub.visibility, 'public');
  });

  it('GET /projects: anonymous callers see public projects only; members see theirs; admins all', async () => {
    const names = (r: { body: { projects: { name: string }[] } }) => r.body.projects.map((p) => p.name).sort();
    const anon = expectStatus(await call(server, 'GET', '/projects'), 200);
    assert.deepEqual(names(anon), ['library', 'open']);
    const asBob = expectStatus(await call(server, 'GET', '/projects', { as: bob }), 200);
    assert.deepEqual(names(asBob), ['bob', 'library', 'open']);
    const asAdmin = expectStatus(await call(server, 'GET', '/projects', { as: ADMIN }), 200);
    for (const n of ['admin', 'alice', 'bob', 'library', 'open', 'team']) assert.ok(names(asAdmin).includes(n), n);
  });

  it('GET /projects/{name}: private projects are 404 to outsiders and anonymous callers', async () => {
    expectStatus(await call(server, 'GET', '/projects/team', { as: alice }), 200);
    expectStatus(await call(server, 'GET', '/projects/team', { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/projects/team'), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/projects/open'), 200);
    expectStatus(await call(server, 'GET', '/projects/nothing'), 404, 'NOT_FOUND');
  });

  it('PATCH /projects/{name}: owners change visibility and description; others 403', async () => {
    const p = expectStatus(await call(server, 'PATCH', '/projects/team', { as: alice, body: { visibility: 'public', description: 'now open' } }), 200).body;
    assert.equal(p.visibility, 'public');
    assert.equal(p.description, 'now open');
    expectStatus(await call(server, 'GET', '/projects/team'), 200);
    expectStatus(await call(server, 'PATCH', '/projects/team', { as: bob, body: { visibility: 'private' } }), 403, 'DENIED');
    expectStatus(await call(server, 'PATCH', '/projects/team', { body: { visibility: 'private' } }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'PATCH', '/projects/team', { as: alice, body: { visibility: 1 } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PATCH', '/projects/nothing', { as: ADMIN, body: { description: 'x' } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'PATCH', '/projects/library', { as: ADMIN, body: { visibility: 'private' } }), 400, 'INVALID_REQUEST');
  });

  it('members: owners add, change and remove members; members list them; others are refused', async () => {
    expectStatus(await call(server, 'GET', '/projects/team/members', { as: bob }), 403, 'DENIED');
    const added = expectStatus(await call(server, 'PUT', '/projects/team/members/bob', { as: alice, body: { role: 'developer' } }), 200).body;
    assert.deepEqual(added, { user: 'bob', role: 'developer' });
    const list = expectStatus(await call(server, 'GET', '/projects/team/members', { as: bob }), 200).body.members;
    assert.deepEqual(list.map((m: { user: string; role: string }) => [m.user, m.role]).sort(), [['alice', 'owner'], ['bob', 'developer']]);
    // A developer is not an owner.
    expectStatus(await call(server, 'PUT', '/projects/team/members/admin', { as: bob, body: { role: 'guest' } }), 403, 'DENIED');
    expectStatus(await call(server, 'DELETE', '/projects/team/members/alice', { as: bob }), 403, 'DENIED');
    expectStatus(await call(server, 'PUT', '/projects/team/members/bob', { as: alice, body: { role: 'king' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PUT', '/projects/team/members/bob', { as: alice, body: {} }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'PUT', '/projects/team/members/nobody', { as: alice, body: { role: 'guest' } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'PUT', '/projects/nothing/members/bob', { as: ADMIN, body: { role: 'guest' } }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/projects/team/members'), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'PUT', '/projects/team/members/bob', { as: alice, body: { role: 'maintainer' } }), 200);
    expectStatus(await call(server, 'DELETE', '/projects/team/members/bob', { as: alice }), 204);
    expectStatus(await call(server, 'DELETE', '/projects/team/members/bob', { as: alice }), 404, 'NOT_FOUND');
  });

  it('DELETE /projects/{name}: owners remove organisation projects (members 403, outsiders 404); personal projects and library stay', async () => {
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'scratch' } }), 201);
    // scratch is private: to an outsider it does not exist.
    expectStatus(await call(server, 'DELETE', '/projects/scratch', { as: bob }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'PUT', '/projects/scratch/members/bob', { as: alice, body: { role: 'guest' } }), 200);
    expectStatus(await call(server, 'DELETE', '/projects/scratch', { as: bob }), 403, 'DENIED');
    expectStatus(await call(server, 'DELETE', '/projects/scratch/members/bob', { as: alice }), 204);
    expectStatus(await call(server, 'DELETE', '/projects/scratch'), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'DELETE', '/projects/scratch', { as: alice }), 204);
    expectStatus(await call(server, 'DELETE', '/projects/scratch', { as: alice }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'DELETE', '/projects/alice', { as: alice }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'DELETE', '/projects/library', { as: ADMIN }), 400, 'INVALID_REQUEST');
  });
});
