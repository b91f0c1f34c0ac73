// Migration 005 on a database that already has a delivery log: the bodies logged before it are
// cleared, the size columns appear, and new attempts record sizes only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { BerthMigrations } from '../../../../src/metadata/migrations/index.ts';
import type { Database } from '../../../../src/metadata/schema.ts';
import { attemptsOf, headDelivery, insertDeliveries, insertWebhook, recordAttempt } from '../../../../src/metadata/webhooks.ts';

describe('migration 005-webhook-safety', () => {
  it('clears logged answers and adds the size columns', async () => {
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(':memory:') }) });
    try {
      const migrator = new Migrator({ db, provider: new BerthMigrations({ dialect: 'sqlite' }) });
      assert.equal((await migrator.migrateTo('004-discovery')).error, undefined);
      const hook = await insertWebhook(db, { projectId: null, project: null, configName: 'x', url: 'http://192.0.2.1/', secret: '', events: 'push', filter: '', format: 'berth', options: '{}', createdBy: 't' }, 1);
      await insertDeliveries(db, [{ webhookId: hook.id, eventId: 'e1', eventType: 'push', repository: 'r', event: '{}' }], 1);
      const d = (await headDelivery(db, hook.id))!;
      // An attempt as 004 logged it: with the first KiB of the answer.
      await sql`insert into webhook_attempts (delivery_id, at, status_code, latency_ms, response, error) values (${d.id}, 2, 200, 3, ${'internal secret answer'}, null)`.execute(db);

      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const [old] = await attemptsOf(db, [d.id]);
      assert.equal(old!.response, null, 'the logged body is gone');
      assert.equal(old!.response_bytes, null, 'its size is unknown');
      assert.equal(old!.response_truncated, 0);

      await recordAttempt(db, d, { at: 5, statusCode: 200, latencyMs: 1, responseBytes: 65536, responseTruncated: true, error: null }, { status: 'delivered' });
      const [, fresh] = await attemptsOf(db, [d.id]);
      assert.deepEqual([fresh!.response, fresh!.response_bytes, fresh!.response_truncated], [null, 65536, 1]);
    } finally {
      await db.destroy();
    }
  });
});
