// berth migrate --to copies every metadata table, or leaves it out for a stated reason: the
// tables of the real schema (every migration applied) are sorted into the two lists of
// src/migrate/tables.ts, and a table in neither (a future migration's) fails this test. Also the
// foreign-key order, the progress lines and the source's environment.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sourceEnvironment } from '../../src/cli/commands/migrate.ts';
import { parseConfig } from '../../src/core/config.ts';
import { openMetadata } from '../../src/metadata/db.ts';
import { describe as describeProgress, progressReporter } from '../../src/migrate/progress.ts';
import { batchSize } from '../../src/migrate/rows.ts';
import { MigrateError, openSource, type SourceRegistry } from '../../src/migrate/source.ts';
import { COPIED, EXCLUDED, parentsFirst, planTables } from '../../src/migrate/tables.ts';
import { redactUrl } from '../../src/migrate/target.ts';

describe('berth migrate: the table plan against the real schema', () => {
  let dir: string;
  let source: SourceRegistry;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-migrate-unit-'));
    const m = await openMetadata({ dialect: 'sqlite', location: join(dir, 'berth.db') });
    await m.close();
    source = await openSource(parseConfig({ storage: { dataDir: dir } }));
  });
  after(async () => {
    source?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('every table of the schema is copied or excluded with a reason; none is unknown, none listed is missing', () => {
    const tables = source.tables();
    assert.ok(tables.includes('repositories') && tables.includes('users') && tables.includes('tag_history'), `the schema was read: ${tables.join(', ')}`);
    const plan = planTables(tables, source.virtualTables(), source.references());
    assert.deepEqual(plan.unknown, [], `tables neither copied nor excluded (add each to COPIED or EXCLUDED in src/migrate/tables.ts): ${plan.unknown.join(', ')}`);
    assert.deepEqual(plan.missing, [], `listed in src/migrate/tables.ts but not in the schema: ${plan.missing.join(', ')}`);
    for (const e of plan.excluded) assert.ok(e.reason.length > 10, `${e.table} is excluded without a reason`);
    assert.equal(plan.copy.length + plan.excluded.length, tables.length);
    for (const t of ['uploads', 'kysely_migration', 'oidc_logins']) assert.ok(plan.excluded.some((e) => e.table === t), `${t} is excluded`);
    for (const t of ['repositories', 'manifests', 'tags', 'tag_history', 'blobs', 'repository_blobs', 'users', 'access_tokens', 'robots', 'projects', 'webhooks', 'scan_reports', 'image_signatures', 'signing_keys', 'user_identities', 'group_mappings', 'mapped_memberships']) {
      assert.ok(plan.copy.includes(t), `${t} is copied`);
    }
    // The lists do not overlap.
    for (const t of COPIED) assert.equal(EXCLUDED[t], undefined, `${t} is both copied and excluded`);
  });

  it('a table added by a future migration stops the plan', () => {
    const plan = planTables([...source.tables(), 'future_table_of_016'], source.virtualTables(), source.references());
    assert.deepEqual(plan.unknown, ['future_table_of_016']);
  });

  it('copies parents before children (every foreign key of the schema)', () => {
    const refs = source.references();
    const plan = planTables(source.tables(), source.virtualTables(), refs);
    const at = new Map(plan.copy.map((t, i) => [t, i]));
    let checked = 0;
    for (const t of plan.copy) {
      for (const parent of refs.get(t) ?? []) {
        if (!at.has(parent) || parent === t) continue;
        assert.ok(at.get(parent)! < at.get(t)!, `${parent} comes before ${t}`);
        checked++;
      }
    }
    assert.ok(checked >= 20, `foreign keys were checked (${checked})`);
    assert.throws(() => parentsFirst(['a', 'b'], new Map([['a', ['b']], ['b', ['a']]])), /cycle/);
  });

  it('a second open of the same source is refused while the first holds it (as a running server would be)', async () => {
    await assert.rejects(openSource(parseConfig({ storage: { dataDir: dir } })), (e: unknown) => e instanceof MigrateError && /in use/.test(e.message) && /Stop the server/.test(e.hint ?? ''));
  });

  it('refuses a source that is not embedded', async () => {
    await assert.rejects(openSource(parseConfig({ database: { dialect: 'postgres', url: 'postgres://x@127.0.0.1/x' } })), /must be an embedded registry/);
  });
});

describe('berth migrate: small pieces', () => {
  it('batches stay under PostgreSQL\'s parameter limit', () => {
    for (const cols of [1, 7, 40, 200]) assert.ok(batchSize(cols) * cols <= 65535 && batchSize(cols) >= 1);
  });

  it('progress: a bar on a terminal, plain lines at most once per interval otherwise', () => {
    let t = 0;
    const out: string[] = [];
    const p = progressReporter({ tty: false, intervalMs: 1000, write: (s) => out.push(s), now: () => t });
    const state = { phase: 'blobs' as const, blobsDone: 1, blobsTotal: 4, bytesDone: 1048576, bytesTotal: 4194304, rowsDone: 0, rowsTotal: 10 };
    p.update(state);
    t = 500;
    p.update({ ...state, blobsDone: 2 });
    t = 1600;
    p.update({ ...state, blobsDone: 3 });
    assert.equal(out.length, 2, out.join(''));
    assert.match(out[1]!, /^migrate blobs 3\/4 blobs, 1 MiB\/4 MiB \(25%\)/);
    p.endPhase({ ...state, blobsDone: 4, bytesDone: 4194304 });
    assert.match(out.at(-1)!, /4\/4 blobs, 4 MiB\/4 MiB \(100%\), 2\.5 MiB\/s\n$/);
    assert.match(describeProgress({ ...state, phase: 'rows', rowsDone: 5, table: 'tags' }, 1000, true), /^migrate rows {2}\[#{14}\.{14}\] 5\/10 rows \(tags\)$/);
    const tty: string[] = [];
    const bar = progressReporter({ tty: true, intervalMs: 1000, write: (s) => tty.push(s), now: () => 0 });
    bar.update(state);
    assert.match(tty[0]!, /^\rmigrate blobs \[#{7}\.{21}\] 1\/4 blobs/);
  });

  it('the source ignores the BERTH_* variables that place a database or a bucket (they are the target\'s)', () => {
    const env = sourceEnvironment({ BERTH_DATABASE_URL: 'postgres://x', BERTH_DATABASE_DIALECT: 'postgres', BERTH_STORAGE_DRIVER: 's3', BERTH_STORAGE_S3_BUCKET: 'b', BERTH_STORAGE_DATA_DIR: '/d', BERTH_AUTH_MODE: 'builtin' });
    assert.deepEqual(env, { BERTH_STORAGE_DATA_DIR: '/d', BERTH_AUTH_MODE: 'builtin' });
  });

  it('the target database is named without its password in messages and the summary', () => {
    assert.equal(redactUrl('postgres://berth:s3cret-pw@db.internal:5432/berth'), 'postgres://berth:***@db.internal:5432/berth');
    assert.equal(redactUrl('postgres://berth@db.internal/berth'), 'postgres://berth@db.internal/berth');
    assert.doesNotMatch(redactUrl('not a url s3cret'), /s3cret/);
  });
});
