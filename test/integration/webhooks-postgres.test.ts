// Two Berth instances on one PostgreSQL database: both take pushes and both run delivery
// workers, and the DB lease makes sure each event reaches each webhook exactly once, in order.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { Pusher, startReceiver, type Receiver } from './webhooks-helpers.ts';

const SERVER_URL = process.env.BERTH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PUSHES = 200;

describe('webhooks: two instances on PostgreSQL', () => {
  const database = `berth_webhooks_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  const servers: BerthProcess[] = [];
  const receivers: Receiver[] = [];
  let url = '';

  before(async () => {
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(`PostgreSQL is not reachable at ${SERVER_URL} (${(error as Error).message}). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`);
    }
    await admin.query(`create database ${database}`);
    const dbUrl = new URL(SERVER_URL);
    dbUrl.pathname = `/${database}`;
    url = dbUrl.toString();
  });
  after(async () => {
    for (const s of servers) await s.stop();
    for (const r of receivers) await r.close();
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
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
