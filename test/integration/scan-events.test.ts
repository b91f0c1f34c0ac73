// The scan feature's events through real webhooks: scan.completed when a pushed image is
// scanned (with its counts), and vulnerability.new when a feed update makes a new advisory
// affect a stored image (naming the advisories), delivered to a receiver on loopback; a project
// webhook that did not subscribe to them gets neither.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, type Creds } from './api-helpers.ts';
import { BOOKWORM_OS_RELEASE, dpkgStatus, importFeed, layerOf, osvFixtures, pushLayers, trackerFixture, waitJob } from './scan-helpers.ts';
import { startReceiver, type Receiver } from './webhooks-helpers.ts';

describe('scan.completed and vulnerability.new reach webhooks', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let receiver: Receiver;
  let pushOnly: Receiver;
  let alice: Creds;

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] }, config: { notifications: { allowLoopback: true } } });
    alice = await addUser(server, 'alice');
    receiver = await startReceiver();
    pushOnly = await startReceiver();
    expectStatus(await call(server, 'POST', '/projects/alice/webhooks', { as: alice, body: { url: receiver.url, events: ['scan.completed', 'vulnerability.new'], format: 'berth' } }), 201);
    expectStatus(await call(server, 'POST', '/projects/alice/webhooks', { as: alice, body: { url: pushOnly.url, events: ['push'], format: 'berth' } }), 201);
    await importFeed(server, ADMIN, trackerFixture(), 'application/json');
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
    await pushOnly?.close();
  });

  it('a scan on push sends scan.completed with the counts', async () => {
    const image = await pushLayers(server, alice, 'alice/app', '1.0', [layerOf({
      'etc/os-release': BOOKWORM_OS_RELEASE,
      'var/lib/dpkg/status': dpkgStatus([{ name: 'tar', version: '1.34+dfsg-1.2+deb12u1' }]),
      'app/node_modules/lodash/package.json': JSON.stringify({ name: 'lodash', version: '4.17.20' }),
    })]);
    const [got] = await receiver.waitFor(1, 30_000, (r) => r.body.includes('"scan.completed"'));
    const body = JSON.parse(got!.body);
    assert.equal(body.type, 'scan.completed');
    assert.equal(body.repository, 'alice/app');
    assert.equal(body.digest, image.digest);
    assert.equal(body.scan.status, 'done');
    assert.deepEqual(body.scan.summary, { critical: 0, high: 0, medium: 0, low: 1, unknown: 0 });
    assert.match(got!.headers['berth-event-id'] as string, /.+/);
  });

  it('a feed update that makes new advisories affect the image sends vulnerability.new naming them', async () => {
    const imported = await importFeed(server, ADMIN, osvFixtures(['GHSA-35jh-r3h4-6jhm']), 'application/json');
    await waitJob(server, ADMIN, imported.rematchJob);
    const [got] = await receiver.waitFor(1, 30_000, (r) => r.body.includes('"vulnerability.new"'));
    const body = JSON.parse(got!.body);
    assert.equal(body.repository, 'alice/app');
    assert.deepEqual(body.vulnerabilities, [{ id: 'GHSA-35jh-r3h4-6jhm', severity: 'high', package: 'lodash', installedVersion: '4.17.20', fixedVersion: '4.17.21' }]);
    // The same data again: nothing new, no second event.
    const again = await importFeed(server, ADMIN, osvFixtures(['GHSA-35jh-r3h4-6jhm']), 'application/json');
    await waitJob(server, ADMIN, again.rematchJob);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(receiver.received.filter((r) => r.body.includes('"vulnerability.new"')).length, 1);
  });

  it('a webhook that subscribed to pushes only gets neither', async () => {
    await pushOnly.waitFor(1, 10_000);
    assert.ok(pushOnly.received.every((r) => !r.body.includes('scan.completed') && !r.body.includes('vulnerability.new')), pushOnly.received.map((r) => r.body).join('\n'));
  });
});
