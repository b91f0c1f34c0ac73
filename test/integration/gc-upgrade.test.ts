// An upgrade from a Berth without a collector: a data directory written by the 009 schema holds
// what deletes left behind (an untagged image, a deleted image's blobs, a blob row no repository
// links). Migration 010 queues it from the rows, and the first `berth gc` frees it, while the
// tagged image stays whole.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { BerthMigrations } from '../../src/metadata/migrations/index.ts';
import type { Database } from '../../src/metadata/schema.ts';
import { startBerth } from '../helpers/berth-process.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { storedDigests } from '../helpers/gc-checks.ts';
import { call, pushImage, type Server } from './helpers.ts';

test('what a collector-less Berth left behind is queued by migration 010 and freed by the first berth gc', { timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'berth-gc-upgrade-'));
  // Today's server writes the images; the GC queues it filled are then emptied, and the schema
  // is taken back to 009 (as an older Berth would have left the rows), before 010 runs again.
  const env = { BERTH_GC_INTERVAL_SECONDS: '3600', BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_SCAN_ENABLED: 'false' };
  const p = await startBerth({ auth: 'none', dataDir, env });
  const srv = p as unknown as Server;
  const kept = await pushImage(srv, 'library/up', { tag: 'keep', layers: 2 });
  const loose = await pushImage(srv, 'library/up', { layers: 1 });
  const gone = await pushImage(srv, 'library/up', { tag: 'gone', layers: 1 });
  const res = await call(srv, 'DELETE', `/v2/library/up/manifests/${gone.digest}`);
  assert.equal(res.status, 202);
  await p.stop();

  const sqlite = new Sqlite(join(dataDir, 'berth.db'));
  for (const t of ['gc_manifest_reviews', 'gc_blob_reviews', 'gc_byte_deletes', 'gc_runs', 'tag_history', 'immutable_rules', 'retention_runs', 'retention_policies']) sqlite.prepare(`drop table if exists ${t}`).run();
  sqlite.prepare('alter table projects drop column quota_bytes').run();
  sqlite.prepare('alter table projects drop column quota_warned_at').run();
  // And what later migrations added (011: package keys; 012: name trigrams), so they run again after 010.
  sqlite.prepare('drop table if exists scan_package_keys').run();
  sqlite.prepare('drop index if exists repository_manifests_digest').run();
  sqlite.prepare('alter table scan_inventories drop column package_ids').run();
  // (012: the trigram index of names.)
  for (const t of ['insert', 'delete', 'update']) sqlite.prepare(`drop trigger if exists repository_name_grams_${t}`).run();
  sqlite.prepare('drop table if exists repository_name_grams').run();
  // (013: the saved hash state and the writer lease of uploads.)
  for (const c of ['hash_state', 'writer', 'writer_until']) sqlite.prepare(`alter table uploads drop column ${c}`).run();
  // (014: proxy projects.)
  for (const t of ['proxy_blob_fetches', 'proxy_tag_checks', 'proxy_projects']) sqlite.prepare(`drop table if exists ${t}`).run();
  // (015: replication.)
  for (const t of ['replication_results', 'replication_runs', 'replication_rules']) sqlite.prepare(`drop table if exists ${t}`).run();
  // (016: identity providers.)
  for (const t of ['mapped_memberships', 'group_mappings', 'user_identities']) sqlite.prepare(`drop table if exists ${t}`).run();
  // (018: OIDC sign-ins in progress; its column of user_identities went with that table.)
  sqlite.prepare('drop table if exists oidc_logins').run();
  // (018: OIDC sign-ins in progress; its column of user_identities went with that table.)
  sqlite.prepare('drop table if exists oidc_logins').run();
  // (017: the short description, in the word index, which it made again with its triggers.)
  for (const t of ['insert', 'delete', 'update']) sqlite.prepare(`drop trigger if exists repository_fts_${t}`).run();
  sqlite.prepare('alter table repositories drop column short_description').run();
  sqlite.prepare("delete from kysely_migration where name >= '010'").run();
  sqlite.close();

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(join(dataDir, 'berth.db')) }) });
  const { error } = await new Migrator({ db, provider: new BerthMigrations({ dialect: 'sqlite' }) }).migrateToLatest();
  assert.equal(error, undefined);
  const queued = await db.selectFrom('gc_manifest_reviews').select(['digest', 'reason']).execute();
  assert.ok(queued.some((r) => r.digest === loose.digest && r.reason === 'upgrade'), 'the untagged manifest is queued');
  await db.destroy();

  const r = ok(await berth(['gc', '--data', dataDir, '--json'], { env: { ...env, BERTH_GC_REVIEW_DELAY_SECONDS: '0' } }));
  const summary = JSON.parse(r.stdout) as { manifests: number; blobs: number };
  assert.ok(summary.manifests >= 2 && summary.blobs >= 4, `the loose and the deleted image go: ${r.stdout}`);
  const stored = await storedDigests(dataDir);
  for (const d of [loose.digest, gone.digest, loose.layers[0]!.digest, gone.layers[0]!.digest, gone.config.digest]) assert.ok(!stored.has(d), `${d} is freed`);
  for (const d of [kept.digest, kept.config.digest, ...kept.layers.map((l) => l.digest)]) assert.ok(stored.has(d), `${d} of the tagged image stays`);
});
