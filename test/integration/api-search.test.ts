// /api/v1/search and /api/v1/projects/{project}/repositories on SQLite (FTS5), over real HTTP;
// plus the trusted-content flags of projects, which only administrators set.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { sqliteRepoEditor } from './search-helpers.ts';
import { describeSearch } from './search-suite.ts';

describeSearch('SQLite', async () => {
  const server = await startApiServer();
  const editor = sqliteRepoEditor(server.dataDir);
  return { server, editor, stop: async () => { await editor.close(); await server.stop(); } };
});

describe('api: project trusted-content flags', () => {
  let server: BerthProcess;
  let owner: Creds;
  before(async () => {
    server = await startApiServer();
    owner = await addUser(server, 'olga');
    expectStatus(await call(server, 'POST', '/projects', { as: owner, body: { name: 'flags', visibility: 'public' } }), 201);
  });
  after(async () => { await server?.stop(); });

  it('projects carry verified and sponsored (false by default)', async () => {
    const p = expectStatus(await call(server, 'GET', '/projects/flags'), 200).body;
    assert.deepEqual({ verified: p.verified, sponsored: p.sponsored }, { verified: false, sponsored: false });
    const list = expectStatus(await call(server, 'GET', '/projects'), 200).body.projects;
    assert.ok(list.every((x: { verified: unknown; sponsored: unknown }) => typeof x.verified === 'boolean' && typeof x.sponsored === 'boolean'));
  });

  it('only administrators set them; owners get 403 for those fields and keep the rest', async () => {
    expectStatus(await call(server, 'PATCH', '/projects/flags', { as: owner, body: { verified: true } }), 403, 'DENIED');
    expectStatus(await call(server, 'PATCH', '/projects/flags', { as: owner, body: { sponsored: false, description: 'x' } }), 403, 'DENIED');
    assert.equal(expectStatus(await call(server, 'GET', '/projects/flags'), 200).body.description, '', 'a refused PATCH changes nothing');
    expectStatus(await call(server, 'PATCH', '/projects/flags', { as: owner, body: { description: 'mine' } }), 200);
    const set = expectStatus(await call(server, 'PATCH', '/projects/flags', { as: ADMIN, body: { verified: true, sponsored: true } }), 200).body;
    assert.deepEqual({ verified: set.verified, sponsored: set.sponsored, description: set.description }, { verified: true, sponsored: true, description: 'mine' });
    const unset = expectStatus(await call(server, 'PATCH', '/projects/flags', { as: ADMIN, body: { sponsored: false } }), 200).body;
    assert.deepEqual({ verified: unset.verified, sponsored: unset.sponsored }, { verified: true, sponsored: false });
    expectStatus(await call(server, 'PATCH', '/projects/flags', { as: ADMIN, body: { verified: 'yes' } }), 400, 'INVALID_REQUEST');
  });

  it('the search routes are in the OpenAPI document', async () => {
    const doc = expectStatus(await call(server, 'GET', '/openapi.json'), 200).body;
    assert.ok(doc.paths['/search']?.get, 'GET /search');
    assert.ok(doc.paths['/projects/{project}/repositories']?.get, 'GET /projects/{project}/repositories');
    const params = (doc.paths['/search'].get.parameters as { name: string }[]).map((p) => p.name).sort();
    for (const p of ['q', 'official', 'verified', 'sponsored', 'project', 'label', 'sort', 'page', 'n']) assert.ok(params.includes(p), p);
  });
});
