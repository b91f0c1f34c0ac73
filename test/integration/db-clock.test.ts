// Leases measured in the database's time (metadata/db-clock.ts, issue 14): instances whose own
// clocks disagree still agree on when a lease ends. Real PostgreSQL; the instances' clocks are
// skewed in-process (a process's clock cannot be moved from a test).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openMetadata, type MetadataDb } from '../../src/metadata/db.ts';
import { DatabaseClock } from '../../src/metadata/db-clock.ts';
import { ensureRepository } from '../../src/metadata/repositories.ts';
import { claimUpload, insertUpload } from '../../src/metadata/uploads.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

const LEASE_MS = 30_000;
const SKEW_MS = 45_000;

describe('the database clock', { timeout: 60_000 }, () => {
  let pg: TestDatabase;
  let m: MetadataDb;

  before(async () => {
    pg = await createTestDatabase('berth_clock');
    m = await openMetadata({ dialect: 'postgres', location: pg.url });
  });
  after(async () => {
    await m?.close();
    await pg?.drop();
  });

  it('corrects a local clock that is an hour off to the database\'s time', async () => {
    const ahead = new DatabaseClock(m.db, 'postgres', () => Date.now() + 3_600_000);
    const behind = new DatabaseClock(m.db, 'postgres', () => Date.now() - 3_600_000);
    assert.ok(Math.abs(ahead.now() - Date.now() - 3_600_000) < 1000, 'before a sync it is the local clock');
    await ahead.sync();
    await behind.sync();
    // The database runs on this machine, so its clock is the real one here.
    assert.ok(Math.abs(ahead.now() - Date.now()) < 1000, `ahead: off by ${ahead.now() - Date.now()} ms after the sync`);
    assert.ok(Math.abs(behind.now() - Date.now()) < 1000, `behind: off by ${behind.now() - Date.now()} ms`);
    assert.ok(Math.abs(ahead.offset + 3_600_000) < 1000 && Math.abs(behind.offset - 3_600_000) < 1000);
  });

  it('an upload lease taken by an instance whose clock is behind is not taken over by another at once', async () => {
    const repo = await ensureRepository(m.db, 'clock/app', 'clock', Date.now());
    const walk = async (id: string, slow: () => number, right: () => number): Promise<boolean> => {
      await insertUpload(m.db, id, repo.id, Date.now());
      const a = slow();
      assert.equal(await claimUpload(m.db, id, 0, 'upload:a', a, a + LEASE_MS), true, 'a takes the free lease');
      const b = right();
      // The lease is live for another 30 s of real time: b must be refused.
      return claimUpload(m.db, id, 0, 'upload:b', b, b + LEASE_MS);
    };
    // Raw local clocks: a's lease ends 15 s in the real past, so b takes it over while a writes.
    assert.equal(await walk('raw', () => Date.now() - SKEW_MS, Date.now), true, 'without the database clock, the skew breaks the lease');
    // Both through the database clock: they agree, and b waits.
    const slow = new DatabaseClock(m.db, 'postgres', () => Date.now() - SKEW_MS);
    const right = new DatabaseClock(m.db, 'postgres');
    await slow.sync();
    await right.sync();
    assert.equal(await walk('corrected', slow.now, right.now), false, 'the live lease holds');
  });

  it('on SQLite (one machine) it is the local clock, and start() asks nothing', async () => {
    const local = () => 1_000_000;
    const c = new DatabaseClock(m.db, 'sqlite', local);
    await c.start(() => assert.fail('no re-measurement on SQLite'));
    assert.equal(c.now(), 1_000_000);
    assert.equal(c.offset, 0);
    c.stop();
  });
});
