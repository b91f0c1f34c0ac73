// The GC workloads (Berth only: Distribution has no online GC; its garbage-collect needs a
// read-only window). Issue 13's targets: 10,000 candidates collected in under 10 s on the
// filesystem driver, among 100,000 blobs; and push p99 with GC running within 20% of idle.
//
// gc-10k: a data directory is seeded directly (the server's own migrations run first): one
// repository, --gc-blobs blob rows and files, all but --gc-candidates of them layers of tagged
// manifests (ten layers each), and --gc-candidates links that nothing references, old enough to
// be unprotected and queued for review, as deleting their manifests leaves them. Then the real
// `berth gc --json` runs on it (compiled, as `npm start` runs it): the pass's wall time, the
// candidates it reviewed per second, and a check that exactly the candidates' files went.
//
// gc-push: a Berth with its continuous collector every 0.5 s. Small images are pushed by
// --small-clients clients for --duration seconds while the collector has nothing to do (idle),
// then --gc-busy-candidates candidates are seeded into its database and the same pushes run
// while it collects them (busy). The row is busy p99 / idle p99.
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDigest } from '../../src/core/digest.ts';
import { openMetadata } from '../../src/metadata/db.ts';
import { ensureRepository } from '../../src/metadata/repositories.ts';
import { blobPath } from '../../src/storage/paths.ts';
import { makeSmallImage, OciClient, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, sha256 } from './oci.ts';
import { startBerth } from './servers.ts';
import { fmt, newRow, type Row } from './table.ts';
import type { BenchEnv } from './workloads.ts';

const REPO = 'library/gc-bench';
const BATCH = 5000;

function writeObject(storage: string, bytes: Buffer): string {
  const digest = sha256(bytes);
  const path = join(storage, blobPath(parseDigest(digest)));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return digest;
}

interface SeedResult { candidates: string[]; seconds: number }

/**
 * Seeds `blobs` blobs in `dataDir`: (blobs - candidates) referenced by tagged manifests of ten
 * layers, and `candidates` unreferenced, unprotected and queued. Works while a server runs on it
 * (SQLite serialises the writers).
 */
async function seed(dataDir: string, blobs: number, candidates: number, tagPrefix: string): Promise<SeedResult> {
  const storage = join(dataDir, 'storage');
  mkdirSync(storage, { recursive: true, mode: 0o700 });
  const started = performance.now();
  const meta = await openMetadata({ dialect: 'sqlite', location: join(dataDir, 'berth.db') });
  const { db } = meta;
  const old = Date.now() - 86_400_000;
  const out: string[] = [];
  try {
    const repo = await ensureRepository(db, REPO, 'library', old);
    const referenced = blobs - candidates;
    for (let start = 0; start < blobs; start += BATCH) {
      const end = Math.min(blobs, start + BATCH);
      const digests: { digest: string; size: number }[] = [];
      for (let i = start; i < end; i++) {
        const bytes = randomBytes(64);
        digests.push({ digest: writeObject(storage, bytes), size: bytes.length });
      }
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('blobs').values(digests.map((d) => ({ digest: d.digest, size: d.size, created_at: old }))).execute();
        await trx.insertInto('repository_blobs').values(digests.map((d) => ({ repository_id: repo.id, digest: d.digest, created_at: old }))).execute();
        const unreferenced = digests.filter((_, k) => start + k >= referenced);
        if (unreferenced.length) {
          await trx.insertInto('gc_blob_reviews').values(unreferenced.map((d) => ({ repository_id: repo.id, digest: d.digest, review_after: old, reason: 'manifest' }))).execute();
          out.push(...unreferenced.map((d) => d.digest));
        }
        const used = digests.filter((_, k) => start + k < referenced);
        for (let m = 0; m + 10 <= used.length; m += 10) {
          const layers = used.slice(m, m + 10);
          const config = layers[0]!;
          const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size }, layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })) }));
          const digest = writeObject(storage, manifest);
          await trx.insertInto('manifests').values({ digest, media_type: OCI_MANIFEST, artifact_type: null, subject_digest: null, config_digest: config.digest, size: manifest.length, annotations: null, created_at: old }).execute();
          await trx.insertInto('manifest_refs').values([
            { manifest_digest: digest, position: 0, kind: 'config', child_digest: config.digest, media_type: OCI_CONFIG, size: config.size, platform: null },
            ...layers.map((l, p) => ({ manifest_digest: digest, position: p + 1, kind: 'layer' as const, child_digest: l.digest, media_type: OCI_LAYER, size: l.size, platform: null })),
          ]).execute();
          await trx.insertInto('repository_manifests').values({ repository_id: repo.id, digest, subject_digest: null, pushed_at: old }).execute();
          await trx.insertInto('tags').values({ repository_id: repo.id, name: `${tagPrefix}${start + m}`, digest, updated_at: old }).execute();
        }
      });
    }
  } finally {
    await meta.close();
  }
  return { candidates: out, seconds: (performance.now() - started) / 1000 };
}

function countFiles(dir: string): number {
  let n = 0;
  for (const alg of readdirSync(dir)) for (const prefix of readdirSync(join(dir, alg))) n += readdirSync(join(dir, alg, prefix)).length;
  return n;
}

function runGc(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((res) => {
    const child = spawn(process.execPath, [resolve('dist/cli/main.js'), 'gc', '--data', dataDir, '--json'], {
      env: { ...process.env, BERTH_GC_BYTE_DELETE_DELAY_SECONDS: '0', BERTH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.once('exit', (code) => res({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

function addRow(env: BenchEnv, row: Row): Row {
  env.rows.push(row);
  return row;
}

export async function gcThroughputWorkload(env: BenchEnv, workDir: string): Promise<void> {
  const { cfg } = env;
  const rate = addRow(env, newRow('gc-10k', `GC: ${cfg.gcCandidates} candidates among ${cfg.gcBlobs} blobs, berth gc`, 'candidates/s', 'higher'));
  const wall = addRow(env, newRow('gc-10k.seconds', `GC: ${cfg.gcCandidates} candidates collected in`, 's', 'lower', { absolute: 10, text: '< 10 s' }));
  try {
    const dataDir = join(workDir, 'gc-throughput');
    // The server's migrations (and its SQLite settings) first, through a short-lived server.
    const s = await seed(dataDir, cfg.gcBlobs, cfg.gcCandidates, 'v');
    env.log(`   seeded ${cfg.gcBlobs} blobs (${cfg.gcCandidates} candidates) in ${s.seconds.toFixed(1)}s`);
    const before = countFiles(join(dataDir, 'storage', 'blobs'));
    const r = await runGc(dataDir);
    if (r.code !== 0) throw new Error(`berth gc exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const summary = JSON.parse(r.stdout) as { blobs: number; reviewed: number; durationMs: number; bytesRemoved: number; objectsRemoved: number };
    const after = countFiles(join(dataDir, 'storage', 'blobs'));
    if (summary.blobs !== cfg.gcCandidates || before - after !== cfg.gcCandidates) {
      throw new Error(`berth gc collected ${summary.blobs} blobs and removed ${before - after} files; want ${cfg.gcCandidates} of each`);
    }
    const seconds = summary.durationMs / 1000;
    rate.values.berth = cfg.gcCandidates / seconds;
    wall.values.berth = seconds;
    rate.notes.push(`the pass itself ${fmt(seconds)} s (${fmt(r.seconds)} s with the command's start); ${summary.objectsRemoved} files removed`);
    rate.details.berth = { seedSeconds: s.seconds, commandSeconds: r.seconds, summary };
  } catch (err) {
    const m = err instanceof Error ? err.message : String(err);
    rate.errors.berth = m;
    wall.errors.berth = m;
  }
}

function pendingCandidates(dataDir: string): number {
  const db = new Database(join(dataDir, 'berth.db'), { readonly: true });
  try {
    return Number((db.prepare('select count(*) as n from gc_blob_reviews where review_after <= ?').get(Date.now()) as { n: number }).n);
  } finally {
    db.close();
  }
}

/** p99 (ms) of whole small-image pushes by `clients` clients for `seconds`. */
async function pushP99(client: OciClient, clients: number, seconds: number, label: string): Promise<{ p99: number; count: number }> {
  const until = performance.now() + seconds * 1000;
  const times: number[] = [];
  await Promise.all(Array.from({ length: clients }, async (_, w) => {
    for (let i = 0; performance.now() < until; i++) {
      const img = makeSmallImage(`${label}-${w}-${i}-${Math.random()}`);
      const t0 = performance.now();
      await client.pushSmallImage(`bench/gc-push-${w}`, `${label}-${i}`, img);
      times.push(performance.now() - t0);
    }
  }));
  times.sort((a, b) => a - b);
  return { p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? 0, count: times.length };
}

export async function gcPushWorkload(env: BenchEnv, workDir: string): Promise<void> {
  const { cfg } = env;
  const row = addRow(env, newRow('gc-push', `GC: push p99 with GC collecting ${cfg.gcBusyCandidates} candidates / idle`, 'x', 'lower', { absolute: 1.2, text: '< 1.2x' }));
  const saved = { interval: process.env.BERTH_GC_INTERVAL_SECONDS, scan: process.env.BERTH_SCAN_ENABLED };
  process.env.BERTH_GC_INTERVAL_SECONDS = '0.5';
  // Scan-on-push would compete with both phases alike and blur the comparison.
  process.env.BERTH_SCAN_ENABLED = 'false';
  let server: Awaited<ReturnType<typeof startBerth>> | undefined;
  try {
    server = await startBerth(join(workDir, 'gc-push'), cfg.berthArgs, env.log);
    const client = new OciClient(server.origin, cfg.smallClients);
    try {
      await pushP99(client, cfg.smallClients, Math.max(1, cfg.warmup), 'warm');
      const idle1 = await pushP99(client, cfg.smallClients, cfg.duration, 'idle1');
      const s = await seed(server.dataDir, cfg.gcBusyCandidates, cfg.gcBusyCandidates, 'busy');
      const waiting = pendingCandidates(server.dataDir);
      const busy = await pushP99(client, cfg.smallClients, cfg.duration, 'busy');
      const collected = waiting - pendingCandidates(server.dataDir);
      // Idle again after the collector is done (the lower idle p99 is the fair one).
      for (let i = 0; i < 120 && pendingCandidates(server.dataDir) > 0; i++) await new Promise((r) => setTimeout(r, 500));
      const idle2 = await pushP99(client, cfg.smallClients, cfg.duration, 'idle2');
      const idle = Math.min(idle1.p99, idle2.p99);
      row.values.berth = busy.p99 / idle;
      row.notes.push(`p99 idle ${fmt(idle1.p99)} / ${fmt(idle2.p99)} ms (before / after), with GC ${fmt(busy.p99)} ms (${busy.count} images while it collected ${collected} blobs); ${cfg.gcBusyCandidates} candidates seeded in ${fmt(s.seconds)} s`);
      if (collected === 0) row.errors.berth = 'the collector collected nothing during the busy phase';
      row.details.berth = { idle1, idle2, busy, collected };
    } finally {
      await client.close();
    }
  } catch (err) {
    row.errors.berth = err instanceof Error ? err.message : String(err);
  } finally {
    await server?.stop();
    for (const [k, v] of [['BERTH_GC_INTERVAL_SECONDS', saved.interval], ['BERTH_SCAN_ENABLED', saved.scan]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
