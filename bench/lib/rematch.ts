// The `rematch-10k` workload (Berth only: Distribution has no scanner). A feed import re-matches
// every stored inventory without reading a blob; the issue's target is <= 10 s for 10,000 of
// them. Also the registry-wide questions over those images (GET /api/v1/scan/packages?name= and
// GET /api/v1/scan/advisories/{id}), which the issue says answer in milliseconds.
//
// Seeding (direct, before the server starts): the DB is opened with openMetadata (the server's
// own migrations run), then --rematch-images images are written as a push would leave them, in
// transactions of 500: 10 projects, repositories of 20 images each tagged v1..v20, each image a
// distinct OCI manifest (its bytes stored under blobs/ as the storage layout says, its rows in
// manifests, manifest_refs, repository_manifests and tags) over one shared config and one small
// real layer; and its inventory, as InventoryStore.save stores it (the same saveInventory of
// toRecord'ed packages, but in the batch's transaction: one transaction per image took ~20 ms,
// minutes for 10,000), from lib/scan-data.ts (the bookworm base and extra debs, 105-150 in all, at versions by the image's
// age; npm packages for a quarter of the images, PyPI for a fifth: ~145 packages on average).
//
// Then Berth starts, and the bench imports the feed as the administrator: the OSV records first
// (every image gets its first report in that re-match), then the Debian tracker JSON (the
// measured re-match: the feed then holds both, and every report is replaced). For each: the
// job's own tookMs, the wall time from the import's answer to GET /jobs/{id} saying done (polled
// every 50 ms), and the server's peak RSS meanwhile. Then the queries, one at a time, each
// --scan-queries times after one unmeasured request.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseDigest } from '../../src/core/digest.ts';
import { toRecord } from '../../src/features/scan/inventory-store.ts';
import { insertBlob, linkBlob } from '../../src/metadata/blobs.ts';
import { openMetadata } from '../../src/metadata/db.ts';
import { insertProject } from '../../src/metadata/identity/projects.ts';
import { insertManifest, linkManifest } from '../../src/metadata/manifests.ts';
import { ensureRepository } from '../../src/metadata/repositories.ts';
import { saveInventory } from '../../src/metadata/scan.ts';
import { setTag } from '../../src/metadata/tags.ts';
import { blobPath } from '../../src/storage/paths.ts';
import { OCI_CONFIG, OCI_MANIFEST, sha256 } from './oci.ts';
import { measurePeakRss, rssMiB } from './proc.ts';
import { BOOKWORM_OS_RELEASE, syntheticFeed, syntheticImage } from './scan-data.ts';
import { GZIP_LAYER, TAR_END, tarFile } from './scan-image.ts';
import { BerthApi, explain, HealthProbe, SCAN_ADMIN_PASSWORD, type JobView } from './scan.ts';
import { startBuiltinBerth, type BuiltinBerth } from './servers.ts';
import { fmt, newRow, type Row } from './table.ts';
import type { BenchEnv } from './workloads.ts';

const PROJECTS = 10;
const PER_REPO = 20;
const BATCH = 500;
const projectOf = (r: number): string => `team${String(r % PROJECTS).padStart(2, '0')}`;
const repoOf = (r: number): string => `${projectOf(r)}/app-${String(r).padStart(4, '0')}`;

function writeBlob(storage: string, bytes: Buffer): string {
  const digest = sha256(bytes);
  const path = join(storage, blobPath(parseDigest(digest)));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return digest;
}

interface Seeded {
  images: number;
  repositories: number;
  packages: number;
  seconds: number;
}

/** Writes `count` images and their inventories into a fresh data dir (the server is not running). */
async function seed(dataDir: string, count: number, timeoutSec: number, log: (s: string) => void): Promise<Seeded> {
  const storage = join(dataDir, 'storage');
  mkdirSync(storage, { recursive: true, mode: 0o700 });
  const meta = await openMetadata({ dialect: 'sqlite', location: join(dataDir, 'berth.db') });
  const { db } = meta;
  const deadline = Date.now() + timeoutSec * 1000;
  const started = performance.now();
  try {
    const now = Date.now();
    const layer = gzipSync(Buffer.concat([...tarFile('etc/os-release', BOOKWORM_OS_RELEASE), TAR_END]));
    const layerDigest = writeBlob(storage, layer);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: {}, rootfs: { type: 'layers', diff_ids: [layerDigest] } }));
    const configDigest = writeBlob(storage, config);
    await db.transaction().execute(async (trx) => {
      await insertBlob(trx, layerDigest, layer.length, now);
      await insertBlob(trx, configDigest, config.length, now);
      for (let p = 0; p < PROJECTS; p++) await insertProject(trx, { name: projectOf(p), visibility: p % 3 === 2 ? 'private' : 'public' }, now);
    });
    const ids = new Map<number, number>();
    let packages = 0;
    for (let from = 0; from < count; from += BATCH) {
      if (Date.now() > deadline) throw new Error(`seeding: not done after ${timeoutSec}s (reached ${from} of ${count} images); raise --seed-timeout or lower --rematch-images`);
      const to = Math.min(count, from + BATCH);
      await db.transaction().execute(async (trx) => {
        for (let i = from; i < to; i++) {
          const r = Math.floor(i / PER_REPO);
          let id = ids.get(r);
          if (id === undefined) {
            id = (await ensureRepository(trx, repoOf(r), projectOf(r), now)).id;
            ids.set(r, id);
            await linkBlob(trx, id, layerDigest, now);
            await linkBlob(trx, id, configDigest, now);
          }
          const tag = `v${(i % PER_REPO) + 1}`;
          const annotations = { 'org.opencontainers.image.version': tag, 'org.opencontainers.image.source': `https://example.com/${repoOf(r)}`, 'bench.image': String(i) };
          const manifest = Buffer.from(JSON.stringify({
            schemaVersion: 2, mediaType: OCI_MANIFEST,
            config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
            layers: [{ mediaType: GZIP_LAYER, digest: layerDigest, size: layer.length }],
            annotations,
          }));
          const digest = writeBlob(storage, manifest);
          await insertManifest(trx, {
            digest, mediaType: OCI_MANIFEST, configDigest, size: manifest.length, annotations,
            refs: [{ kind: 'config', digest: configDigest, mediaType: OCI_CONFIG, size: config.length }, { kind: 'layer', digest: layerDigest, mediaType: GZIP_LAYER, size: layer.length }],
          }, now);
          await linkManifest(trx, id, digest, undefined, now);
          await setTag(trx, id, tag, digest, now);
          // What InventoryStore.save writes, in this transaction.
          const { inventory } = syntheticImage(i);
          packages += inventory.packages.length;
          await saveInventory(trx, {
            manifest_digest: digest, source: 'layers', sbom_digest: null,
            os_id: inventory.os?.id ?? null, os_version: inventory.os?.versionId ?? null, os_name: inventory.os?.prettyName ?? null, created_at: now,
          }, inventory.packages.map(toRecord));
        }
      });
      if (to % 2000 === 0 || to === count) log(`  seeded ${to.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} images (${packages.toLocaleString('en-US')} packages)`);
    }
    return { images: count, repositories: ids.size, packages, seconds: (performance.now() - started) / 1000 };
  } finally {
    await meta.close();
  }
}

interface RematchRun {
  importMs: number;
  wallMs: number;
  result: { images: number; changed: number; tookMs: number; queuedScans: number };
  rss: { peakMiB: number; startMiB: number; sampledPeakMiB: number; method: string };
  /** GET /healthz one after another during the re-match: the longest wait is how long Berth answered nothing. */
  health: { maxMs: number; p50Ms: number; samples: number; errors: number };
}

async function importAndRematch(api: BerthApi, body: Buffer, timeoutSec: number): Promise<RematchRun> {
  const t0 = performance.now();
  const imp = await api.importFeed(body);
  const t1 = performance.now();
  const probe = new HealthProbe(api.server.origin, timeoutSec);
  let health: RematchRun['health'] | undefined;
  let measured;
  try {
    measured = await measurePeakRss(api.server.pid, () => api.waitJob(imp.rematchJob, timeoutSec, 50), 50);
  } finally {
    health = await probe.stop();
  }
  const wallMs = performance.now() - t1;
  const { result: job, rss } = measured;
  const result = job.result as RematchRun['result'] | { skipped: true } | null;
  if (!result || 'skipped' in result) throw new Error(`re-match job ${(job as JobView).id} did not run: ${JSON.stringify(result)}`);
  return { importMs: t1 - t0, wallMs, result, rss, health };
}

interface QuerySpec {
  key: string;
  what: string;
  path: string;
  /** Fewest images the answer must name. */
  atLeast: number;
}

interface QueryAnswer {
  total: number;
  truncated: boolean;
  tookMs: number;
}

async function measureQuery(api: BerthApi, q: QuerySpec, runs: number): Promise<{ latencies: number[]; answer: QueryAnswer; serverMs: number[] }> {
  const first = await api.call<QueryAnswer>('GET', q.path);
  if (first.total < q.atLeast) throw new Error(`GET /api/v1${q.path} names ${first.total} images, want at least ${q.atLeast}`);
  const latencies: number[] = [];
  const serverMs: number[] = [];
  const deadline = Date.now() + 120_000; // a slow query gets fewer samples, not minutes
  for (let i = 0; i < runs && Date.now() < deadline; i++) {
    const t0 = performance.now();
    const a = await api.call<QueryAnswer>('GET', q.path);
    latencies.push(performance.now() - t0);
    serverMs.push(a.tookMs);
  }
  return { latencies, answer: first, serverMs };
}

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};

export async function rematchWorkload(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const n = cfg.rematchImages;
  const count = n.toLocaleString('en-US');
  const label = (what: string): string => `scan: ${what} (Berth only)`;
  const target = { absolute: 10, text: '<= 10 s' };
  const took = newRow('rematch-10k', label(`re-match ${count} inventories after a feed import, job tookMs`), 's', 'lower', target);
  const wall = newRow('rematch-10k.wall', label(`re-match ${count} inventories, import answered to job done`), 's', 'lower', target);
  const first = newRow('rematch-10k.first', label(`re-match ${count} inventories, first import (OSV part), job tookMs`), 's', 'lower', target);
  const rss = newRow('rematch-10k.rss', label(`re-match ${count} inventories, peak RSS`), 'MiB', 'lower');
  const stall = newRow('rematch-10k.healthz', label(`re-match ${count} inventories, longest wait for GET /healthz meanwhile`), 's', 'lower');
  const qtarget = { text: 'milliseconds' };
  const queries: QuerySpec[] = [
    { key: 'query-openssl', what: 'GET /api/v1/scan/packages?name=openssl', path: '/scan/packages?name=openssl', atLeast: n },
    { key: 'query-lodash', what: 'GET /api/v1/scan/packages?name=lodash&versions=<4.17.21', path: `/scan/packages?name=lodash&versions=${encodeURIComponent('<4.17.21')}`, atLeast: 1 },
    { key: 'query-cve-all', what: 'GET /api/v1/scan/advisories/CVE-2010-0928 (openssl, open)', path: '/scan/advisories/CVE-2010-0928', atLeast: n },
    { key: 'query-cve-few', what: 'GET /api/v1/scan/advisories/CVE-2021-23337 (lodash)', path: '/scan/advisories/CVE-2021-23337', atLeast: 1 },
  ];
  const qrows = queries.map((q) => newRow(`rematch-10k.${q.key}`, label(`${q.what}, ${count} images, p50`), 'ms', 'lower', qtarget));
  const all: Row[] = [took, wall, first, rss, stall, ...qrows];
  env.rows.push(...all);

  const main = env.ctxs.find((c) => c.target === 'berth');
  if (!main) {
    for (const r of all) r.notes.push('Berth is not among the targets (--target distribution): rematch-10k not measured');
    return;
  }
  const workDir = dirname(main.server.dataDir);
  let server: BuiltinBerth | undefined;
  let api: BerthApi | undefined;
  try {
    const t0 = performance.now();
    const seeded = await seed(join(workDir, 'rematch-berth-data'), n, cfg.seedTimeout, env.log);
    env.log(`  seeded ${count} images in ${seeded.repositories} repositories (${seeded.packages.toLocaleString('en-US')} packages) in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
    server = await startBuiltinBerth(workDir, 'rematch', SCAN_ADMIN_PASSWORD, cfg.berthArgs, env.log);
    api = new BerthApi(server, cfg.scanTimeout);
    const startMiB = rssMiB(server.pid);
    const feed = syntheticFeed(cfg.feedAdvisories);
    const osvRun = await importAndRematch(api, feed.osv, cfg.scanTimeout);
    env.log(`  OSV import (${feed.osvRecords} records): answered in ${(osvRun.importMs / 1000).toFixed(1)}s; re-match tookMs ${osvRun.result.tookMs}, ` +
      `${(osvRun.wallMs / 1000).toFixed(1)}s to done, ${osvRun.result.changed} images with new advisories, peak RSS ${osvRun.rss.peakMiB.toFixed(0)} MiB, longest /healthz wait ${(osvRun.health.maxMs / 1000).toFixed(1)}s`);
    const run = await importAndRematch(api, feed.tracker, cfg.scanTimeout);
    env.log(`  tracker import (${feed.trackerIssues} issues): answered in ${(run.importMs / 1000).toFixed(1)}s; re-match tookMs ${run.result.tookMs}, ` +
      `${(run.wallMs / 1000).toFixed(1)}s to done, ${run.result.changed} images with new advisories, peak RSS ${run.rss.peakMiB.toFixed(0)} MiB, longest /healthz wait ${(run.health.maxMs / 1000).toFixed(1)}s`);
    for (const r of [osvRun, run]) if (r.result.images !== n) throw new Error(`the re-match went over ${r.result.images} images, want ${n}`);
    took.values.berth = run.result.tookMs / 1000;
    wall.values.berth = run.wallMs / 1000;
    first.values.berth = osvRun.result.tookMs / 1000;
    rss.values.berth = Math.max(run.rss.peakMiB, osvRun.rss.peakMiB);
    stall.values.berth = Math.max(run.health.maxMs, osvRun.health.maxMs) / 1000;
    stall.details.berth = { trackerImport: run.health, osvImport: osvRun.health };
    stall.notes.push(`GET /healthz one after another during each re-match: the longest waits were ${fmt(osvRun.health.maxMs / 1000)} s and ${fmt(run.health.maxMs / 1000)} s ` +
      `(${osvRun.health.samples} and ${run.health.samples} requests; ${osvRun.health.errors + run.health.errors} failed): Berth answers nothing, /v2 included, while it re-matches`);
    took.details.berth = { seeded, feed: { advisories: feed.advisories, trackerIssues: feed.trackerIssues, osvRecords: feed.osvRecords }, trackerImport: run, osvImport: osvRun };
    took.notes.push(`${seeded.packages.toLocaleString('en-US')} stored packages in ${seeded.repositories} repositories; feed of ${feed.advisories.toLocaleString('en-US')} advisories ` +
      `(${feed.trackerIssues.toLocaleString('en-US')} tracker issues, then ${feed.osvRecords} OSV records); ${run.result.changed.toLocaleString('en-US')} images got new advisories, ` +
      `${run.result.queuedScans} scans queued; the import itself answered in ${fmt(run.importMs / 1000)} s`);
    first.notes.push(`every image got its first report; ${osvRun.result.changed.toLocaleString('en-US')} with findings; ${fmt(osvRun.wallMs / 1000)} s import answered to job done`);
    rss.notes.push(`RSS ${fmt(startMiB)} MiB after start; peak ${fmt(osvRun.rss.peakMiB)} MiB during the first re-match, ${fmt(run.rss.peakMiB)} MiB during the second`);

    // A spot check: one seeded image's report names the new feed and has findings.
    const report = await api.call<{ status: string; feed: { id: number } | null; vulnerabilities: unknown[] }>('GET', `/repositories/${projectOf(0)}/app-0000/reports/v1`);
    if (report.status !== 'done' || !report.feed || report.vulnerabilities.length === 0) throw new Error(`the report of ${repoOf(0)}:v1 after the re-match: ${JSON.stringify(report).slice(0, 300)}`);

    for (const [i, q] of queries.entries()) {
      const row = qrows[i]!;
      try {
        const m = await measureQuery(api, q, cfg.scanQueries);
        row.values.berth = pct(m.latencies, 50);
        row.details.berth = { latenciesMs: m.latencies, serverTookMs: m.serverMs, total: m.answer.total, truncated: m.answer.truncated };
        row.notes.push(`${m.answer.total.toLocaleString('en-US')} images${m.answer.truncated ? ' (1,000 returned)' : ''}; max ${fmt(Math.max(...m.latencies))} ms over ${m.latencies.length}; the answer's tookMs p50 ${fmt(pct(m.serverMs, 50))} ms`);
        env.log(`  ${q.what}: p50 ${fmt(pct(m.latencies, 50))} ms, max ${fmt(Math.max(...m.latencies))} ms, ${m.answer.total} images`);
      } catch (err) {
        row.errors.berth = explain(err, server);
        env.log(`  ${q.what} failed: ${explain(err, server)}`);
      }
    }
  } catch (err) {
    for (const r of all) if (r.values.berth === undefined && !r.errors.berth) r.errors.berth = explain(err, server);
    env.log(`  rematch-10k failed: ${explain(err, server)}`);
  } finally {
    await api?.close().catch(() => undefined);
    await server?.stop();
  }
}
