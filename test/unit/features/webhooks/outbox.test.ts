// The outbox decides whether the delivery worker needs waking: only for committed changes whose
// transaction queued deliveries, and only for pulls that some webhook wants.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RegistryEvent } from '../../../../src/core/events.ts';
import { Outbox } from '../../../../src/features/webhooks/outbox.ts';
import { openMetadata, type MetadataDb } from '../../../../src/metadata/db.ts';
import { insertWebhook } from '../../../../src/metadata/webhooks.ts';

const push = (repository: string): RegistryEvent => ({
  type: 'push', repository, digest: `sha256:${'a'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, tag: 'v1', at: new Date(), actor: { name: 'alice' },
});
const pull = (repository: string): RegistryEvent => ({
  type: 'pull', repository, digest: `sha256:${'a'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', tag: 'v1', at: new Date(), actor: {},
});

describe('webhooks outbox', () => {
  let meta: MetadataDb;
  const errors: unknown[] = [];
  before(async () => {
    meta = await openMetadata({ dialect: 'sqlite', location: ':memory:' });
  });
  after(async () => meta.close());

  const deliveries = async () => (await meta.db.selectFrom('webhook_deliveries').select(['event_type', 'repository']).execute());

  it('with no webhooks a committed push queues nothing and asks for no wake-up; a pull writes nothing', async () => {
    const outbox = new Outbox(meta.db, (e) => errors.push(e));
    const e = push('library/app');
    await meta.db.transaction().execute((trx) => outbox.inTransaction(trx, [e]));
    assert.equal(outbox.queuedDeliveriesFor(e), false);
    assert.equal(await outbox.recordPull(pull('library/app')), 0);
    assert.equal(await outbox.recordPull(pull('library/app')), 0, 'answered from the cached (empty) webhook list');
    assert.deepEqual(await deliveries(), []);
  });

  it('a push some webhook wants is queued in its transaction and marked for a wake-up; one it does not want is not', async () => {
    await insertWebhook(meta.db, { projectId: null, project: null, url: 'http://127.0.0.1:9/hook', secret: '', events: 'push', filter: 'library/*', format: 'berth', options: '{}', createdBy: 'admin' }, Date.now());
    const outbox = new Outbox(meta.db, (e) => errors.push(e));
    const wanted = push('library/app');
    const other = push('acme/app');
    await meta.db.transaction().execute((trx) => outbox.inTransaction(trx, [wanted]));
    await meta.db.transaction().execute((trx) => outbox.inTransaction(trx, [other]));
    assert.equal(outbox.queuedDeliveriesFor(wanted), true);
    assert.equal(outbox.queuedDeliveriesFor(other), false, 'filtered out: nothing queued, no wake-up');
    assert.deepEqual(await deliveries(), [{ event_type: 'push', repository: 'library/app' }]);
    // Pulls are not among this webhook's events.
    assert.equal(await outbox.recordPull(pull('library/app')), 0);
    assert.deepEqual(errors, []);
  });
});
