// Two Berth instances on one PostgreSQL database: both take pushes and both run delivery
// workers, and the DB lease makes sure each event reaches each webhook exactly once, in order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { Pusher, startReceiver, type Receiver } from './webhooks-helpers.ts';

const PUSHES = 200;

describe('webhooks: two instances on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  const servers: BerthProcess[] = [];
  const receivers: Receiver[] = [];
  let url = '';

  before(async () => {
    db = await createTestDatabase('berth_webhooks');
    url = db.url;
  });
  after(async () => {
    for (const s of servers) await s.stop();
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  it('delivers each event exactly once', { timeout: 120_000 }, async () => {
    const a = await startReceiver(() => ({ status: 200, delayMs: 2 }));
    const b = await startReceiver(() => ({ status: 200, delayMs: 2 }));
    receivers.push(a, b);
    const options = {
      auth: 'none' as const,
      env: { BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: url },
      config: {
        notifications: {
          pollIntervalMs: 50,
          allowLoopback: true, // the receivers run on loopback; the default refuses it
          endpoints: [
            { name: 'a', url: a.url, events: ['push' as const], format: 'distribution' as const },
            { name: 'b', url: b.url, events: ['push' as const], format: 'berth' as const },
          ],
        },
      },
    };
    // One at a time: both run the migrations and sync the same endpoints.
    servers.push(await startBerth(options));
    servers.push(await startBerth(options));
    const pushers = servers.map((s) => new Pusher(s.url));
    for (let i = 0; i < PUSHES; i++) await pushers[i % 2]!.push('library/shared', `t${String(i).padStart(4, '0')}`);

    const gotA = await a.waitFor(PUSHES, 60_000);
    const gotB = await b.waitFor(PUSHES, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // room for a duplicate to show up
    const idsA = a.received.map((g) => JSON.parse(g.body).events[0].id as string);
    const idsB = b.received.map((g) => JSON.parse(g.body).id as string);
    assert.equal(a.received.length, PUSHES, 'no duplicates at a');
    assert.equal(b.received.length, PUSHES, 'no duplicates at b');
    assert.equal(new Set(idsA).size, PUSHES);
    assert.deepEqual(new Set(idsA), new Set(idsB), 'both webhooks got the same events');
    const tagsB = gotB.map((g) => JSON.parse(g.body).tag as string);
    assert.deepEqual(tagsB, [...tagsB].sort(), 'in order');
    const tagsA = gotA.map((g) => JSON.parse(g.body).events[0].target.tag as string);
    assert.deepEqual(tagsA, [...tagsA].sort(), 'in order');
    // Both instances delivered (source.instanceID names the worker that sent it).
    const instances = new Set(a.received.map((g) => JSON.parse(g.body).events[0].source.instanceID as string));
    process.stdout.write(`# deliveries to a came from ${instances.size} instance(s)\n`);
  });
});
