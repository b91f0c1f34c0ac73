import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openMetadata, type MetadataDb } from '../../../../src/metadata/db.ts';
import { claimLease, dueWebhookIds, headDelivery, insertDeliveries, insertWebhook, pruneDeliveries, recordAttempt, releaseLease, releaseLeasesOf, renewLease } from '../../../../src/metadata/webhooks.ts';

describe('webhook delivery lease (compare-and-set)', () => {
  let m: MetadataDb;
  let id = 0;
  before(async () => {
    m = await openMetadata({ dialect: 'sqlite', location: ':memory:' });
    id = (await insertWebhook(m.db, { projectId: null, project: null, configName: 'x', url: 'http://127.0.0.1/', secret: '', events: 'push', filter: '', format: 'berth', options: '{}', createdBy: 't' }, 1)).id;
  });
  after(() => m.close());

  it('lets one owner at a time hold it, until it expires or is released', async () => {
    assert.equal(await claimLease(m.db, id, 'a', 1000, 2000), true);
    assert.equal(await claimLease(m.db, id, 'b', 1500, 2500), false, 'held by a');
    assert.equal(await renewLease(m.db, id, 'b', 3000), false, 'b cannot renew what it does not hold');
    assert.equal(await renewLease(m.db, id, 'a', 3000), true);
    assert.equal(await claimLease(m.db, id, 'b', 2500, 3500), false, 'renewed past 2500');
    assert.equal(await claimLease(m.db, id, 'b', 3001, 4000), true, 'expired: b takes over');
    assert.equal(await renewLease(m.db, id, 'a', 5000), false, 'a lost it');
    await releaseLease(m.db, id, 'a');
    assert.equal(await claimLease(m.db, id, 'c', 3500, 4500), false, 'a cannot release b\'s lease');
    await releaseLeasesOf(m.db, 'b');
    assert.equal(await claimLease(m.db, id, 'c', 3500, 4500), true);
  });

  it('serves a queue oldest first', async () => {
    await insertDeliveries(m.db, [1, 2, 3].map((n) => ({ webhookId: id, eventId: `e${n}`, eventType: 'push', repository: 'r', event: '{}' })), 10);
    assert.equal((await headDelivery(m.db, id))?.event_id, 'e1');
  });

  it('counts a webhook as due only when the head of its queue is due', async () => {
    await releaseLeasesOf(m.db, 'c');
    assert.deepEqual(await dueWebhookIds(m.db, 100, 10), [id]);
    const head = (await headDelivery(m.db, id))!;
    await recordAttempt(m.db, head, { at: 100, statusCode: 500, latencyMs: 1, responseBytes: 2, responseTruncated: false, error: null }, { status: 'pending', retryAt: 5000 });
    assert.deepEqual(await dueWebhookIds(m.db, 200, 10), [], 'e2 and e3 are due, but they wait behind e1');
    assert.deepEqual(await dueWebhookIds(m.db, 5000, 10), [id]);
  });

  it('prunes finished deliveries, never pending ones', async () => {
    const head = (await headDelivery(m.db, id))!;
    await recordAttempt(m.db, head, { at: 6000, statusCode: 200, latencyMs: 1, responseBytes: 2, responseTruncated: false, error: null }, { status: 'delivered' });
    assert.equal(await pruneDeliveries(m.db, 7000), 1);
    assert.equal((await headDelivery(m.db, id))?.event_id, 'e2');
    assert.equal(await pruneDeliveries(m.db, 1e15), 0);
  });
});
