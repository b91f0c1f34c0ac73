// The GC torture test (issue 13) on the embedded store: 8 clients push, retag, delete and pull for
// 60 s against one `berth serve` whose continuous collector runs every 0.2 s with a 2 s review
// delay and no byte-deletion delay (test/helpers/gc-torture.ts says what is checked).
import { test } from 'node:test';
import { startBerth } from '../helpers/berth-process.ts';
import { dbFacts, withDb } from '../helpers/gc-checks.ts';
import { torture } from '../helpers/gc-torture.ts';
import type { Server } from './helpers.ts';

test('8 clients push, retag, delete and pull for 60 s while GC runs continuously; nothing a client needs is ever lost', { timeout: 240_000 }, async () => {
  const p = await startBerth({
    auth: 'none',
    env: { BERTH_GC_INTERVAL_SECONDS: '0.2', BERTH_GC_REVIEW_DELAY_SECONDS: '2', BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_GC_KEEP_TAG_HISTORY: '2', BERTH_LOG_LEVEL: 'warn', BERTH_SCAN_ENABLED: process.env.TORTURE_SCAN ?? 'false' },
  });
  try {
    await torture({
      servers: [p as unknown as Server],
      dataDir: p.dataDir,
      clients: 8,
      runMs: Number(process.env.TORTURE_MS ?? 60_000),
      facts: async () => dbFacts(p.dataDir),
      explain: async (missing) => withDb(p.dataDir, (db) => missing.map((d) => ({
        d,
        blob: db.prepare('select size, created_at from blobs where digest = ?').get(d),
        manifest: db.prepare('select media_type, artifact_type, created_at from manifests where digest = ?').get(d),
        links: db.prepare('select count(*) as n from repository_blobs where digest = ?').get(d),
        mlinks: db.prepare('select count(*) as n from repository_manifests where digest = ?').get(d),
        deletes: db.prepare('select * from gc_byte_deletes where digest = ?').get(d),
      }))),
      logs: () => p.logs(),
    });
  } finally {
    await p.stop();
  }
});
