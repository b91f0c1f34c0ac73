// Retention and tag history on PostgreSQL with two instances (in process) on one database and one
// store: a policy set through one is previewed and dry-run by the other, whose plan the first's
// real run then deletes exactly; runs are listed from either; a scheduled occurrence runs once
// across both; a tag's history written through one is read and rolled back through the other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';
import { RETENTION_JOB } from '../../src/features/retention/schedule.ts';
import { startServer, type RunningServer } from '../../src/http/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { addUser, age, ageManifest, api, createProject, deleteTag, expectOk, pushImage, startRetentionServer, tagsOf, until, type Creds, type TestServer } from './retention-helpers.ts';

describe('retention and tag history on PostgreSQL, two instances', { timeout: 180_000 }, () => {
  let pg: TestDatabase;
  let one: TestServer;
  let twoServer: RunningServer;
  let two: { url: string };
  let alice: Creds;

  before(async () => {
    pg = await createTestDatabase('berth_retention');
    one = await startRetentionServer({ database: { dialect: 'postgres', url: pg.url } });
    twoServer = await startServer(parseConfig({ server: { listen: '127.0.0.1:0', metrics: { listen: '' } }, storage: { dataDir: one.dataDir }, auth: { mode: 'builtin' }, log: { level: 'silent' }, scan: { enabled: false }, database: { dialect: 'postgres', url: pg.url } }));
    two = { url: twoServer.address.replace('localhost', '127.0.0.1') };
    alice = await addUser(one, 'alice');
    await createProject(one, alice, 'pg');
  });
  after(async () => {
    await twoServer?.close();
    await one?.close();
    await pg?.drop();
  });

  it('a dry run on one instance is what the real run on the other deletes', async () => {
    for (const [i, t] of ['a', 'b', 'c', 'd'].entries()) {
      await pushImage(one, alice, 'pg/app', t);
      await age(one.db, 'pg/app', t, 40 - i);
    }
    const stray = await pushImage(one, alice, 'pg/app', undefined);
    await ageManifest(one.db, 'pg/app', stray.digest, 2);
    expectOk(await api(one, 'PUT', '/projects/pg/retention', { as: alice, raw: 'untagged: true\nrules:\n  - mostRecentlyPushed: 2\n', contentType: 'application/yaml' }));
    const preview = expectOk(await api(two, 'POST', '/projects/pg/retention/preview', { as: alice, body: {} })).body;
    assert.equal(preview.text.split(',')[0], 'would delete 2 tags and 1 untagged manifest');
    const dry = expectOk(await api(two, 'POST', '/projects/pg/retention/runs', { as: alice, body: { dryRun: true } })).body;
    const real = expectOk(await api(one, 'POST', '/projects/pg/retention/runs', { as: alice, body: { dryRun: false } })).body;
    assert.deepEqual(real.repositories, dry.repositories);
    assert.deepEqual(await tagsOf(one, alice, 'pg/app'), ['c', 'd']);
    const runs = expectOk(await api(two, 'GET', '/projects/pg/retention/runs', { as: alice })).body.runs;
    assert.deepEqual(runs.map((r: { dryRun: boolean; tags: number; text: string }) => [r.dryRun, r.tags, r.text]), [[false, 3, real.text], [true, 3, dry.text]]);
    const detail = expectOk(await api(two, 'GET', `/projects/pg/retention/runs/${real.id}`, { as: alice })).body;
    assert.deepEqual(detail.repositories, real.repositories);
  });

  it('a scheduled occurrence runs once across both instances', async () => {
    for (const t of ['e', 'f']) await pushImage(one, alice, 'pg/app', t);
    expectOk(await api(two, 'PUT', '/projects/pg/retention', { as: alice, body: { schedule: '*/5 * * * *', rules: [{ mostRecentlyPushed: 1 }] } }));
    const pending = await one.db.selectFrom('jobs').select(['id', 'run_after']).where('kind', '=', RETENTION_JOB).where('state', '=', 'pending').execute();
    assert.equal(pending.length, 1);
    assert.equal(Number(pending[0]!.run_after) % 300_000, 0, 'at a multiple of five minutes');
    await one.db.updateTable('jobs').set({ run_after: Date.now() }).where('id', '=', pending[0]!.id).execute();
    await until(async () => (await one.db.selectFrom('retention_runs').select('id').where('trigger', '=', 'schedule').execute()).length === 1, 'the scheduled run', 15_000);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await one.db.selectFrom('retention_runs').select('id').where('trigger', '=', 'schedule').execute()).length, 1);
    assert.equal((await one.db.selectFrom('jobs').select('id').where('kind', '=', RETENTION_JOB).where('state', '=', 'pending').execute()).length, 1, 'the next occurrence');
    assert.equal((await tagsOf(one, alice, 'pg/app')).length, 1);
  });

  it("history written through one instance, read and rolled back through the other", async () => {
    const first = await pushImage(one, alice, 'pg/web', 'latest');
    const second = await pushImage(one, alice, 'pg/web', 'latest');
    assert.equal((await deleteTag(one, alice, 'pg/web', 'latest')).status, 202);
    const h = expectOk(await api(two, 'GET', '/repositories/pg/web/tags/latest/history', { as: alice })).body;
    assert.deepEqual(h.entries.map((e: { action: string; from: string | null; to: string | null }) => [e.action, e.from, e.to]), [['deleted', second.digest, null], ['moved', first.digest, second.digest], ['created', null, first.digest]]);
    assert.equal(h.total, 3);
    const back = expectOk(await api(two, 'POST', '/repositories/pg/web/tags/latest/rollback', { as: alice, body: { steps: 2 } })).body;
    assert.deepEqual([back.from, back.to, back.moved], [null, first.digest, true]);
    assert.equal(expectOk(await api(one, 'GET', '/repositories/pg/web/tags/latest/history?n=1', { as: alice })).body.current, first.digest);
  });
});
