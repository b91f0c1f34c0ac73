// A feed older than scan.maxFeedAgeHours is stale: status says so, and with scan.staleFeed block
// a project that has a policy refuses pulls until a newer feed is imported; a project without a
// policy is not affected. The OSV fixtures are dated 2024, so their feed is years old.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, getManifest, importFeed, layerOf, osvFixtures, pushLayers, waitReport } from './scan-helpers.ts';

describe('a stale feed', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  let bob: Creds;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] }, config: { scan: { maxFeedAgeHours: 24, staleFeed: 'block' } } });
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    await importFeed(server, ADMIN, osvFixtures(), 'application/json');
    for (const c of [alice, bob]) {
      await pushLayers(server, c, `${c[0]}/app`, '1', [layerOf({ 'etc/os-release': BOOKWORM_OS_RELEASE })]);
      await waitReport(server, c, `${c[0]}/app`, '1');
    }
  });
  after(async () => { await server?.stop(); });

  it('is reported stale, with its age', async () => {
    const status = expectStatus(await call(server, 'GET', '/vulndb', { as: alice }), 200).body;
    assert.equal(status.stale, true);
    assert.equal(status.maxFeedAgeHours, 24);
    assert.ok(status.active.ageSeconds > 365 * 86400, `data from 2024: ${status.active.dataTime}`);
  });

  it('blocks pulls in projects with a policy, naming the feed\'s age and what to do', async () => {
    expectStatus(await call(server, 'PATCH', '/projects/alice/scan-policy', { as: alice, body: { preventSeverity: 'critical' } }), 200);
    const res = await getManifest(server, alice, 'alice/app', '1');
    assert.equal(res.status, 403);
    assert.match(await res.text(), /vulnerability feed is \d+ days old.*berth vulndb import/);
    assert.equal((await getManifest(server, bob, 'bob/app', '1')).status, 200, 'no policy, no block');
    assert.equal((await getManifest(server, alice, 'alice/app', '1', 'HEAD')).status, 200);
  });
});
