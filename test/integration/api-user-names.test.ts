// GET /api/v1/user-names?q= (issue 17, member autocomplete): names that start with q, at most
// 10, disabled accounts left out, LIKE's wildcards taken literally; signed-in users only, no robots.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer } from './api-helpers.ts';

describe('api: user name suggestions', () => {
  let server: BerthProcess;
  before(async () => {
    server = await startApiServer();
    for (const n of ['dana', 'dara', 'dave', 'd_x', 'erik']) await addUser(server, n);
    for (let i = 0; i < 12; i++) await addUser(server, `many${String(i).padStart(2, '0')}`);
    expectStatus(await call(server, 'PATCH', '/users/dave', { as: ADMIN, body: { disabled: true } }), 200);
  });
  after(async () => {
    await server?.stop();
  });

  it('answers names by prefix, for any signed-in user', async () => {
    const erik = ['erik', 'erik-password'] as const;
    assert.deepEqual(expectStatus(await call(server, 'GET', '/user-names?q=da', { as: erik }), 200).body.names, ['dana', 'dara']);
    assert.deepEqual(expectStatus(await call(server, 'GET', '/user-names?q=D', { as: erik }), 200).body.names, ['d_x', 'dana', 'dara']);
    assert.deepEqual(expectStatus(await call(server, 'GET', '/user-names?q=d_', { as: erik }), 200).body.names, ['d_x'], '_ is literal');
    assert.deepEqual(expectStatus(await call(server, 'GET', '/user-names?q=%25', { as: erik }), 200).body.names, [], '% is literal');
    assert.equal(expectStatus(await call(server, 'GET', '/user-names?q=many', { as: erik }), 200).body.names.length, 10);
    expectStatus(await call(server, 'GET', '/user-names?q=da'), 401);
    expectStatus(await call(server, 'GET', '/user-names', { as: erik }), 400);
  });

  it('refuses robots', async () => {
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'acme' } }), 201);
    const robot = expectStatus(await call(server, 'POST', '/projects/acme/robots', { as: ADMIN, body: { name: 'ci', permissions: ['pull'] } }), 201).body;
    expectStatus(await call(server, 'GET', '/user-names?q=da', { as: [robot.robot.name, robot.secret] }), 403);
  });
});
