// GC with several instances (issue 13, "each item is processed once"; DESIGN.md, Scale-out): two
// `berth serve` on one PostgreSQL database and one store, each with its continuous collector every
// 0.2 s. 8 clients spread over both push, retag, delete and pull for 20 s; the checks are the
// torture test's (test/helpers/gc-torture.ts): nothing a client needs is lost, storage holds
// exactly what the DB references, and no client saw "blob unknown".
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import type { DbFacts } from '../helpers/gc-checks.ts';
import { torture } from '../helpers/gc-torture.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import type { Server } from './helpers.ts';

async function pgFacts(client: pg.Client): Promise<DbFacts> {
  const rows = async (q: string) => (await client.query<{ digest: string }>(q)).rows.map((r) => r.digest);
  const blobs = await rows('select digest from blobs');
  const manifests = await rows('select digest from manifests');
  const pending = await rows('select digest from gc_byte_deletes where done_at is null');
  const unlinked = await rows('select b.digest from blobs b where not exists (select 1 from repository_blobs rb where rb.digest = b.digest)');
  const queued = Number((await client.query<{ n: string }>('select (select count(*) from gc_manifest_reviews) + (select count(*) from gc_blob_reviews) as n')).rows[0]!.n);
  return { referenced: new Set([...blobs, ...manifests]), pendingDeletes: new Set(pending), blobRows: blobs.length, manifestRows: manifests.length, unlinkedBlobs: unlinked, queued };
}

test('two instances on PostgreSQL collect continuously under 8 clients for 20 s; nothing a client needs is lost', { timeout: 180_000 }, async () => {
  const db = await createTestDatabase('berth_gc');
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-gc-pg-'));
  const env = {
    BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url,
    BERTH_GC_INTERVAL_SECONDS: '0.2', BERTH_GC_REVIEW_DELAY_SECONDS: '2', BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_GC_KEEP_TAG_HISTORY: '2',
    BERTH_LOG_LEVEL: 'warn', BERTH_SCAN_ENABLED: 'false',
  };
  const servers: BerthProcess[] = [];
  const client = new pg.Client({ connectionString: db.url });
  try {
    servers.push(await startBerth({ auth: 'none', dataDir, env }));
    servers.push(await startBerth({ auth: 'none', dataDir, env }));
    await client.connect();
    await torture({
      servers: servers as unknown as Server[],
      dataDir,
      clients: 8,
      runMs: Number(process.env.TORTURE_MS ?? 20_000),
      facts: () => pgFacts(client),
      explain: async (missing) => (await client.query('select b.digest, b.size, (select count(*) from repository_blobs rb where rb.digest = b.digest) as links, d.due_at, d.done_at from blobs b left join gc_byte_deletes d on d.digest = b.digest where b.digest = any($1)', [missing])).rows,
      logs: () => servers.map((s) => s.logs()).join('\n'),
    });
  } finally {
    await client.end().catch(() => {});
    for (const s of servers) await s.stop();
    await db.drop();
  }
});
