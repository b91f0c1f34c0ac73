// berth migrate --to CONFIG (issue 14): an embedded registry (SQLite + filesystem) with a
// multi-arch index, moved tags, a docker-format image and a user is copied into a real
// PostgreSQL plus a real S3 (Ceph radosgw); a first run is SIGKILLed mid-copy and a second run
// resumes it; then `berth serve` on the target config serves every image with the same digests
// and bytes, the accounts are there and new rows get fresh ids (the sequences moved). Also: a
// served source is refused, a foreign or non-empty target is refused, a damaged blob in the
// target is found and named, and a blob the target does not give back intact after writing is
// an error.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteBucketCommand, DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { parse as parseYaml, stringify } from 'yaml';
import { parseConfig } from '../../src/core/config.ts';
import { migrate } from '../../src/migrate/run.ts';
import { MigrateError } from '../../src/migrate/source.ts';
import { COPIED } from '../../src/migrate/tables.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { s3TestOptions } from '../helpers/s3.ts';
import { call, expectImageIntact, expectManifest, expectStatus, MediaType, pushImage, type PushedImage, type Server } from './helpers.ts';

const MiB = 1024 * 1024;
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'berth.mjs');
const digestOf = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobKey = (prefix: string, digest: string) => `${prefix}blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}`;

interface Target { file: string; db: TestDatabase; bucket: string; prefix: string }

describe('berth migrate --to: embedded registry into PostgreSQL + S3', { timeout: 600_000 }, () => {
  let s3: Awaited<ReturnType<typeof s3TestOptions>>;
  let client: S3Client;
  let sourceDir: string;
  let work: string;
  let source: BerthProcess | undefined;
  let served: BerthProcess | undefined;
  const targets: Target[] = [];
  const images: PushedImage[] = [];
  let index: { bytes: Buffer; digest: string };

  async function makeTarget(name: string, db?: TestDatabase): Promise<Target> {
    const t: Target = { file: join(work, `${name}.yaml`), db: db ?? (await createTestDatabase('berth_migrate')), bucket: `berth-migrate-${randomBytes(4).toString('hex')}`, prefix: 'reg/' };
    await writeFile(t.file, stringify({
      storage: { driver: 's3', dataDir: join(work, `${name}-data`), s3: { endpoint: s3.endpoint, region: s3.region, bucket: t.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true, prefix: t.prefix } },
      database: { dialect: 'postgres', url: t.db.url },
      scan: { enabled: false },
    }));
    targets.push(t);
    return t;
  }

  async function keys(t: Target, under = 'blobs/'): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(new ListObjectsV2Command({ Bucket: t.bucket, Prefix: `${t.prefix}${under}`, ContinuationToken: token }));
      for (const o of r.Contents ?? []) out.push(o.Key!);
      token = r.NextContinuationToken;
    } while (token);
    return out;
  }

  async function pgCount(t: Target, table: string): Promise<number> {
    const c = new pg.Client({ connectionString: t.db.url });
    await c.connect();
    try {
      return Number((await c.query(`select count(*) as n from "${table}"`)).rows[0].n);
    } finally {
      await c.end();
    }
  }

  /** Every row as a sorted list of JSON strings of its values (the source's columns), text-normalised. */
  const normalise = (rows: Record<string, unknown>[], columns: string[]) => rows
    .map((r) => JSON.stringify(columns.map((c) => (r[c] === null || r[c] === undefined ? null : Buffer.isBuffer(r[c]) ? (r[c] as Buffer).toString('hex') : String(r[c])))))
    .sort();

  function sourceRows(table: string): string[] {
    const db = new Sqlite(join(sourceDir, 'berth.db'), { readonly: true });
    try {
      const columns = (db.prepare('select name from pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name);
      return normalise(db.prepare(`select * from "${table}"`).all() as Record<string, unknown>[], columns);
    } finally {
      db.close();
    }
  }

  async function pgRows(t: Target, table: string): Promise<string[]> {
    const db = new Sqlite(join(sourceDir, 'berth.db'), { readonly: true });
    const columns = (db.prepare('select name from pragma_table_info(?)').all(table) as { name: string }[]).map((c) => c.name);
    db.close();
    const c = new pg.Client({ connectionString: t.db.url });
    await c.connect();
    try {
      return normalise((await c.query(`select * from "${table}"`)).rows as Record<string, unknown>[], columns);
    } finally {
      await c.end();
    }
  }

  function sourceCounts(): Map<string, number> {
    const db = new Sqlite(join(sourceDir, 'berth.db'), { readonly: true });
    try {
      return new Map(COPIED.map((t) => [t, (db.prepare(`select count(*) as n from "${t}"`).get() as { n: number }).n]));
    } finally {
      db.close();
    }
  }

  const blobCount = () => {
    const db = new Sqlite(join(sourceDir, 'berth.db'), { readonly: true });
    try {
      return (db.prepare('select count(*) as n from (select digest from blobs union select digest from manifests)').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  before(async () => {
    s3 = await s3TestOptions();
    client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    work = await mkdtemp(join(tmpdir(), 'berth-migrate-it-'));
    sourceDir = join(work, 'source');
    source = await startBerth({ dataDir: sourceDir, auth: 'none', env: { BERTH_SCAN_ENABLED: 'false' } });
    const srv = source as unknown as Server;
    // A multi-arch image: two platform manifests (pushed by digest) under an index tagged "multi".
    const amd = await pushImage(srv, 'library/app', { layers: 3, layerSize: 6 * MiB });
    const arm = await pushImage(srv, 'library/app', { layers: 3, layerSize: 6 * MiB });
    images.push(amd, arm);
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [
        { mediaType: amd.mediaType, digest: amd.digest, size: amd.manifest.length, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: arm.mediaType, digest: arm.digest, size: arm.manifest.length, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    }));
    index = { bytes, digest: digestOf(bytes) };
    await expectStatus(await call(srv, 'PUT', '/v2/library/app/manifests/multi', { headers: { 'content-type': MediaType.OciIndex }, body: bytes }), 201, 'PUT index');
    // A tag moved twice (tag history), a docker-format image in another project, a large one.
    const first = await pushImage(srv, 'library/app', { tag: 'v1', layers: 1, layerSize: 4096 });
    delete first.tag; // v1 moves on: this one is checked by digest
    images.push(first);
    images.push(await pushImage(srv, 'library/app', { tag: 'v1', layers: 1, layerSize: 8192 }));
    images.push(await pushImage(srv, 'team/tool', { tag: 'latest', layers: 2, layerSize: 5 * MiB, format: 'docker' }));
    images.push(await pushImage(srv, 'library/big', { tag: '1.0', layers: 4, layerSize: 12 * MiB }));
    // A user (and their personal project), offline as an operator would.
    ok(await berth(['user', 'add', 'alice', '--data', sourceDir, '--password-stdin'], { stdin: 'alice-password-1234\n' }));
    ok(await berth(['robot', 'create', 'library', 'ci', '--permissions', 'pull', '--data', sourceDir]));
    ok(await berth(['token', 'create', 'laptop', '--user', 'alice', '--permissions', 'pull', '--data', sourceDir]));
    ok(await berth(['webhook', 'add', 'library', 'https://hooks.example.com/berth', '--data', sourceDir]));
    ok(await berth(['immutable', 'add', 'library', '--repos', '**', '--tags', 'release-*', '--data', sourceDir]));
  });

  after(async () => {
    await served?.kill();
    await source?.kill();
    for (const t of targets) {
      const all = [...(await keys(t, '').catch(() => []))];
      for (let i = 0; i < all.length; i += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket: t.bucket, Delete: { Objects: all.slice(i, i + 1000).map((Key) => ({ Key })) } })).catch(() => {});
      }
      await client.send(new DeleteBucketCommand({ Bucket: t.bucket })).catch(() => {});
      await t.db.drop();
    }
    client?.destroy();
    await rm(work, { recursive: true, force: true });
  });

  let main: Target;

  it('refuses to copy a registry that a running berth serve has open, and says to stop it', async () => {
    main = await makeTarget('main');
    const r = await berth(['migrate', '--data', sourceDir, '--to', main.file]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /is in use/);
    assert.match(r.stderr, /Stop the server/);
    assert.equal(await source!.stop(), 0);
    source = undefined;
  });

  it('a run SIGKILLed mid-copy leaves verified blobs and no rows; the next run resumes, skips them and finishes', async () => {
    const total = blobCount();
    assert.ok(total >= 20, `${total} blobs in the source`);
    const child = spawn(process.execPath, [BIN, 'migrate', '--data', sourceDir, '--to', main.file, '--concurrency', '1', '--progress-interval', '0.05'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const killed = new Promise<string | null>((res) => child.once('exit', (_code, signal) => res(signal)));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no progress within 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = [...stderr.matchAll(/migrate blobs (\d+)\/(\d+) blobs/g)].at(-1);
        if (m && Number(m[1]) >= 3) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          res();
        }
      });
      child.once('exit', () => { clearTimeout(timer); rej(new Error(`migrate ended before it was killed:\n${stderr}`)); });
    });
    assert.equal(await killed, 'SIGKILL');
    assert.match(stderr, /^migrate blobs \d+\/\d+ blobs, [\d.]+ [KMG]?i?B\/[\d.]+ MiB \(\d+%\), /m, 'plain progress lines off a terminal');
    const landed = (await keys(main)).length;
    assert.ok(landed >= 3 && landed < total, `${landed} of ${total} blobs in the bucket after the kill`);
    assert.equal(await pgCount(main, 'repositories'), 0, 'no rows before every blob is there');

    const started = Date.now();
    const r = ok(await berth(['migrate', '--data', sourceDir, '--to', main.file]));
    const seconds = (Date.now() - started) / 1000;
    assert.match(r.stdout, /\(resumed\)/);
    const m = /blobs: (\d+) copied \(([^,]+), ([\d.]+) MiB\/s\), (\d+) already there and verified/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[4]) >= 3, `skipped ${m[4]} (at least the ${landed} that landed, less any in flight)`);
    assert.equal(Number(m[1]) + Number(m[4]), total);
    process.stdout.write(`# migrate resume: ${m[1]} blobs copied (${m[2]}, ${m[3]} MiB/s), ${m[4]} verified and skipped, ${seconds.toFixed(1)} s in all\n`);
    assert.match(r.stdout, /id sequences advanced/);
    assert.match(r.stdout, /not copied: .*uploads/);
    assert.equal((await keys(main)).length, total, 'every blob in the bucket');

    // Every copied table has the source's rows on PostgreSQL, value for value.
    const counts = sourceCounts();
    for (const [table, n] of counts) {
      assert.equal(await pgCount(main, table), n, `rows of ${table}`);
      if (n > 0) assert.deepEqual(await pgRows(main, table), sourceRows(table), `the rows of ${table} are the source's`);
    }
    for (const t of ['repositories', 'manifests', 'tags', 'tag_history', 'blobs', 'repository_blobs', 'manifest_refs', 'users', 'projects', 'robots', 'robot_permissions', 'access_tokens', 'audit_log', 'webhooks', 'immutable_rules', 'gc_blob_reviews']) {
      assert.ok(counts.get(t)! > 0, `the source has rows in ${t}, so the check above means something`);
    }
  });

  it('a run on a finished target verifies every blob again and copies nothing', async () => {
    const r = ok(await berth(['migrate', '--data', sourceDir, '--to', main.file]));
    assert.match(r.stdout, /blobs: 0 copied .*, \d+ already there and verified/);
    assert.match(r.stdout, /rows: already copied by an earlier run/);
  });

  it('berth serve on the target config serves every image with the same digests and bytes', async () => {
    served = await startBerth({ auth: 'none', config: readYaml(main.file), env: { BERTH_SCAN_ENABLED: 'false' } });
    const srv = served as unknown as Server;
    for (const img of images) await expectImageIntact(srv, img, 'after migrate');
    await expectManifest(srv, 'library/app', 'multi', index.bytes, MediaType.OciIndex, 'index by tag');
    await expectManifest(srv, 'library/app', index.digest, index.bytes, MediaType.OciIndex, 'index by digest');
    const v1 = await call(srv, 'GET', '/v2/library/app/manifests/v1', { headers: { accept: MediaType.OciManifest } });
    assert.equal(v1.headers.get('docker-content-digest'), images[3]!.digest, 'the tag moved to its last digest');
    const catalog = (await (await call(srv, 'GET', '/v2/_catalog')).json()) as { repositories: string[] };
    assert.deepEqual(catalog.repositories, ['app', 'big', 'team/tool'], 'the catalog (library/ names short)');
    const tags = (await (await call(srv, 'GET', '/v2/library/app/tags/list')).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['multi', 'v1']);
  });

  it('the accounts came along, and rows the target adds get new ids (the sequences were advanced)', async () => {
    const users = JSON.parse(ok(await berth(['user', 'list', '--config', main.file, '--json'])).stdout) as { name: string }[];
    assert.ok(users.some((u) => u.name === 'alice'), JSON.stringify(users));
    ok(await berth(['user', 'add', 'bob', '--config', main.file, '--password-stdin'], { stdin: 'bob-password-12345\n' }));
    ok(await berth(['project', 'create', 'newproj', '--config', main.file]));
    const projects = JSON.parse(ok(await berth(['project', 'list', '--config', main.file, '--json'])).stdout) as { name: string }[];
    for (const p of ['alice', 'bob', 'newproj', 'library']) assert.ok(projects.some((x) => x.name === p), `project ${p}: ${JSON.stringify(projects)}`);
    await served!.stop();
    // With built-in auth, alice signs in on the target with the password she had.
    served = await startBerth({ auth: 'builtin', config: readYaml(main.file), env: { BERTH_SCAN_ENABLED: 'false' } });
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    assert.equal((await call(served as unknown as Server, 'GET', '/v2/', { headers: basic('alice', 'alice-password-1234') })).status, 200, 'alice signs in');
    assert.equal((await call(served as unknown as Server, 'GET', '/v2/', { headers: basic('alice', 'wrong-password-1234') })).status, 401, 'a wrong password does not');
    await served.stop();
    served = undefined;
    // The target has moved on (bob, newproj): a new run says so instead of mixing the two.
    const r = await berth(['migrate', '--data', sourceDir, '--to', main.file]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /differs from the source now \(.*in the source, .* in the target/);
    assert.match(r.stderr, /start with an empty database and bucket/);
  });

  it('a damaged blob in the target is found, named, and the message says what to do', async () => {
    const t = await makeTarget('damaged');
    ok(await berth(['migrate', '--data', sourceDir, '--to', t.file]));
    const layer = images.at(-1)!.layers[1]!.digest;
    await client.send(new PutObjectCommand({ Bucket: t.bucket, Key: blobKey(t.prefix, layer), Body: randomBytes(12 * MiB) }));
    const r = await berth(['migrate', '--data', sourceDir, '--to', t.file]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`blob ${layer} is already in the target at s3://${t.bucket}/${t.prefix}blobs/sha256/`));
    assert.match(r.stderr, /do not match/);
    assert.match(r.stderr, /Delete that object .* run the same berth migrate command again/);
    // Doing what it says repairs it.
    await client.send(new DeleteObjectsCommand({ Bucket: t.bucket, Delete: { Objects: [{ Key: blobKey(t.prefix, layer) }] } }));
    const again = ok(await berth(['migrate', '--data', sourceDir, '--to', t.file]));
    assert.match(again.stdout, /blobs: 1 copied/);
  });

  it('a blob the target does not give back intact after writing is an error, and is removed from the target', async () => {
    const t = await makeTarget('readback');
    const config = parseConfig(readYaml(t.file));
    let damaged: string | undefined;
    const run = migrate({
      source: parseConfig({ storage: { dataDir: sourceDir } }), target: config, concurrency: 1,
      progress: { update: () => {}, endPhase: () => {} },
      afterCommit: async (path) => {
        if (damaged || !path.startsWith('blobs/')) return;
        damaged = path;
        // The far side changes the bytes between the write and the read back.
        await client.send(new PutObjectCommand({ Bucket: t.bucket, Key: `${t.prefix}${path}`, Body: Buffer.from('not the blob') }));
      },
    });
    await assert.rejects(run, (e: unknown) => e instanceof MigrateError && /was written to the target at s3:\/\/.*but reading it back gave 12 bytes/.test(e.message) && /run the same berth migrate command again/.test(e.hint ?? ''));
    assert.ok(damaged);
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: t.bucket, Key: `${t.prefix}${damaged}` })), 'the bad object was removed');
    assert.equal(await pgCount(t, 'repositories'), 0, 'no rows were copied');
  });

  it('refuses a target that holds something else, or a migration of another registry', async () => {
    // The main target's database with a fresh, empty bucket: the database has rows and there is no marker.
    const doc = readYaml(main.file) as { storage: { s3: { bucket: string } } };
    doc.storage.s3.bucket = `berth-migrate-${randomBytes(4).toString('hex')}`;
    const t = { file: join(work, 'reused-db.yaml') };
    await writeFile(t.file, stringify(doc));
    const r = await berth(['migrate', '--data', sourceDir, '--to', t.file]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /the target is not empty: its database has rows/);
    assert.match(r.stderr, /Point --to at an empty database/);

    const other = join(work, 'other');
    const o = await startBerth({ dataDir: other, auth: 'none', env: { BERTH_SCAN_ENABLED: 'false' } });
    await pushImage(o as unknown as Server, 'library/other', { tag: 'x', layers: 1 });
    await o.stop();
    const r2 = await berth(['migrate', '--data', other, '--to', main.file]);
    assert.equal(r2.code, 1, r2.stdout);
    assert.match(r2.stderr, /holds a migration of another registry/);
  });
});

function readYaml(file: string): Record<string, unknown> {
  return parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
}
