// The workloads from the issue. Each one runs against every started target in the same run;
// where a workload repeats (rounds, pull runs) the order of the targets alternates, so drift
// on a shared machine (page cache, noisy neighbours) does not always favour the same server.
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import type { BlobFile } from './blobfile.ts';
import { MiB } from './blobfile.ts';
import type { BenchConfig, Target, WorkloadName } from './config.ts';
import { parallel, runLoad, Sample } from './load.ts';
import type { LoadOptions } from './load.ts';
import { header, makeSmallImage, MANIFEST_ACCEPT, nextLink } from './oci.ts';
import type { OciClient, SmallImage } from './oci.ts';
import { measurePeakRss } from './proc.ts';
import { loginFloodWorkload } from './login-flood.ts';
import { rematchWorkload } from './rematch.ts';
import { gcPushWorkload, gcThroughputWorkload } from './gc.ts';
import { scanBigWorkload, scanDebootstrapWorkload, scanPushWorkload } from './scan.ts';
import { searchWorkload } from './search.ts';
import { proxyPullWorkload } from './proxy.ts';
import type { RssReport } from './proc.ts';
import type { RunningServer } from './servers.ts';
import { dirname } from 'node:path';
import { newRow } from './table.ts';
import type { Row } from './table.ts';

export interface Ctx {
  target: Target;
  server: RunningServer;
  client: OciClient;
  seed?: SmallImage;
  /** cat/rNNNNNN repositories seeded so far */
  catalogRepos: number;
  /** tags seeded so far in scale/tags */
  scaleTags: number;
}

export interface BenchEnv {
  cfg: BenchConfig;
  ctxs: Ctx[];
  blob?: BlobFile;
  rows: Row[];
  log: (s: string) => void;
}

const SEED_REPO = 'bench/seed';
const MONO_REPO = 'bench/mono';
const CHUNKED_REPO = 'bench/chunked';
const TAGS_REPO = 'bench/tags';
const SCALE_REPO = 'scale/tags';

const pad = (i: number): string => String(i).padStart(6, '0');
const catRepo = (i: number): string => `cat/r${pad(i)}`;
const tagName = (i: number): string => `t${pad(i)}`;
const sizeLabel = (mib: number): string => (mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`);
const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Targets in round `r`: as given on even rounds, reversed on odd ones. */
function order<T>(items: T[], r: number): T[] {
  return r % 2 === 0 ? items : [...items].reverse();
}

function flushDisks(): void {
  // Written-back pages from the previous push should not land in the next measurement.
  spawnSync('sync', { timeout: 120_000 });
}

function addRow(env: BenchEnv, row: Row): Row {
  env.rows.push(row);
  return row;
}

async function ensureSeed(ctx: Ctx): Promise<SmallImage> {
  if (ctx.seed) return ctx.seed;
  const img = makeSmallImage('bench-seed');
  await ctx.client.pushSmallImage(SEED_REPO, 'latest', img);
  ctx.seed = img;
  return img;
}

/** Make the seed image's blobs present in `repo` and tag the seed manifest there. */
async function ensureImageIn(ctx: Ctx, repo: string): Promise<SmallImage> {
  const seed = await ensureSeed(ctx);
  await ctx.client.mountOrPush(repo, SEED_REPO, seed.configDigest, seed.config);
  await ctx.client.mountOrPush(repo, SEED_REPO, seed.layerDigest, seed.layer);
  return seed;
}

async function seedTags(env: BenchEnv, ctx: Ctx, repo: string, from: number, to: number): Promise<void> {
  if (to <= from) return;
  const seed = from === 0 ? await ensureImageIn(ctx, repo) : await ensureSeed(ctx);
  const t0 = performance.now();
  await parallel(from, to, env.cfg.seedConcurrency, env.cfg.seedTimeout, `seeding ${repo} tags on ${ctx.target}`, (i) =>
    ctx.client.putManifest(repo, tagName(i), seed.manifest));
  env.log(`  seeded ${to - from} tags in ${repo} on ${ctx.target} in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
}

async function seedRepos(env: BenchEnv, ctx: Ctx, count: number): Promise<void> {
  if (count <= ctx.catalogRepos) return;
  const seed = await ensureSeed(ctx);
  const t0 = performance.now();
  const from = ctx.catalogRepos;
  await parallel(from, count, env.cfg.seedConcurrency, env.cfg.seedTimeout, `seeding repositories on ${ctx.target}`, async (i) => {
    const repo = catRepo(i);
    await ctx.client.mountOrPush(repo, SEED_REPO, seed.configDigest, seed.config);
    await ctx.client.mountOrPush(repo, SEED_REPO, seed.layerDigest, seed.layer);
    await ctx.client.putManifest(repo, 'latest', seed.manifest);
  });
  ctx.catalogRepos = count;
  env.log(`  seeded ${count - from} repositories on ${ctx.target} in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
}

/**
 * Runs a request loop against each target, `rounds` times, alternating the order, after a
 * warm-up; returns the merged sample per target (or the error that stopped it).
 */
async function interleavedLoad(
  env: BenchEnv,
  what: string,
  opts: Omit<LoadOptions, 'op' | 'pid' | 'seconds'> & { seconds?: number; warmup?: boolean },
  makeOp: (ctx: Ctx, round: number) => LoadOptions['op'],
): Promise<Map<Target, Sample | Error>> {
  const { cfg } = env;
  const out = new Map<Target, Sample | Error>();
  const seconds = (opts.seconds ?? cfg.duration) / cfg.rounds;
  for (let r = 0; r < cfg.rounds; r++) {
    for (const ctx of order(env.ctxs, r)) {
      const prev = out.get(ctx.target);
      if (prev instanceof Error) continue;
      try {
        const op = makeOp(ctx, r);
        if (opts.warmup !== false && cfg.warmup > 0) {
          await runLoad({ ...opts, seconds: cfg.warmup, op, maxErrors: 1 });
        }
        const s = await runLoad({ ...opts, seconds, op, pid: ctx.server.pid });
        if (s.ops === 0) throw new Error(`no request succeeded: ${s.firstError ?? 'unknown'}`);
        const acc = prev ?? new Sample();
        acc.add(s);
        out.set(ctx.target, acc);
        env.log(`  ${what} [${ctx.target}] round ${r + 1}/${cfg.rounds}: ${s.rate.toFixed(1)}/s, p99 ${s.percentile(99).toFixed(2)} ms${s.errors ? `, ${s.errors} errors` : ''}`);
      } catch (err) {
        out.set(ctx.target, err instanceof Error ? err : new Error(String(err)));
        env.log(`  ${what} [${ctx.target}] failed: ${msg(err)}`);
      }
    }
  }
  return out;
}

/** Fills rows from per-target samples: each row takes one number out of a sample. */
function fill(results: Map<Target, Sample | Error>, rows: Array<[Row, (s: Sample) => number]>): void {
  for (const [target, res] of results) {
    const first = rows[0]?.[0];
    if (first && res instanceof Sample && res.seconds > 0 && res.clientCpu / res.seconds >= 0.85) {
      first.notes.push(`${target}: the load generator used ${(res.clientCpu / res.seconds).toFixed(2)} cores; the figure may be bounded by the client`);
    }
    for (const [row, pick] of rows) {
      if (res instanceof Error) {
        row.errors[target] = res.message;
        continue;
      }
      row.values[target] = pick(res);
      row.details[target] = res.summary();
      if (res.errors > 0) row.notes.push(`${target}: ${res.errors} failed requests (first: ${res.firstError ?? '?'})`);
    }
  }
}

async function guarded(env: BenchEnv, ctx: Ctx, rows: Row[], fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    for (const row of rows) row.errors[ctx.target] = msg(err);
    env.log(`  [${ctx.target}] failed: ${msg(err)}`);
    return false;
  }
}

/**
 * Runs an unmeasured step (seeding, checks) on every target at once; returns the targets it
 * succeeded on. Only set-up runs concurrently: every measurement runs one target at a time.
 */
async function eachTarget(env: BenchEnv, rows: Row[], fn: (ctx: Ctx) => Promise<void>): Promise<Ctx[]> {
  const ok = await Promise.all(env.ctxs.map((ctx) => guarded(env, ctx, rows, () => fn(ctx))));
  return env.ctxs.filter((_, i) => ok[i]);
}

function requireBlob(env: BenchEnv): BlobFile {
  if (!env.blob) throw new Error('internal: the blob file was not created');
  return env.blob;
}

// 1 and 9: monolithic push of the big blob, with the server's peak RSS during it.
async function pushMono(env: BenchEnv, wantPush: boolean, wantRss: boolean): Promise<void> {
  const { cfg } = env;
  const blob = requireBlob(env);
  const push = newRow('push-mono', `1 push ${sizeLabel(cfg.blobMiB)} blob, monolithic`, 'MiB/s', 'higher', { ratio: 3, text: '>= 3x' });
  const rss = newRow('rss', `9 peak RSS during workload 1`, 'MiB', 'lower', { absolute: 200, text: 'Berth < 200 MiB' });
  const rows = [...(wantPush ? [push] : []), ...(wantRss ? [rss] : [])];
  for (const r of rows) addRow(env, r);
  const failed = new Set<Target>();
  for (let round = 0; round < cfg.rounds; round++) {
    for (const ctx of order(env.ctxs, round)) {
      if (failed.has(ctx.target)) continue;
      flushDisks();
      const ok = await guarded(env, ctx, rows, async () => {
        const { result: secs, rss: rep } = await measurePeakRss(ctx.server.pid, async () => {
          const t0 = performance.now();
          await ctx.client.pushBlob(MONO_REPO, blob.digest, blob.size, () => createReadStream(blob.path, { highWaterMark: MiB }));
          return (performance.now() - t0) / 1000;
        });
        const size = await ctx.client.headBlob(MONO_REPO, blob.digest);
        if (size !== blob.size) throw new Error(`after the push, HEAD reports size ${size}, want ${blob.size}`);
        const rate = blob.size / MiB / secs;
        env.log(`  push mono [${ctx.target}] round ${round + 1}: ${rate.toFixed(1)} MiB/s in ${secs.toFixed(2)}s, peak RSS ${rep.peakMiB.toFixed(1)} MiB`);
        push.values[ctx.target] = Math.max(push.values[ctx.target] ?? 0, rate);
        const runs = ((push.details[ctx.target] as { runs?: unknown[] } | undefined)?.runs ?? []);
        push.details[ctx.target] = { best: 'max MiB/s over rounds', runs: [...runs, { seconds: secs, mibPerSec: rate }] };
        rss.values[ctx.target] = Math.max(rss.values[ctx.target] ?? 0, rep.peakMiB);
        const rssRuns = ((rss.details[ctx.target] as { runs?: RssReport[] } | undefined)?.runs ?? []);
        rss.details[ctx.target] = { worst: 'max over rounds', runs: [...rssRuns, rep] };
      });
      if (!ok) failed.add(ctx.target);
    }
  }
}

// 2: chunked push of the big blob.
async function pushChunked(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const blob = requireBlob(env);
  const row = addRow(env, newRow('push-chunked', `2 push ${sizeLabel(cfg.blobMiB)} blob, ${cfg.chunkMiB} MiB PATCH chunks`, 'MiB/s', 'higher', { ratio: 3, text: '>= 3x' }));
  const failed = new Set<Target>();
  for (let round = 0; round < cfg.rounds; round++) {
    for (const ctx of order(env.ctxs, round)) {
      if (failed.has(ctx.target)) continue;
      flushDisks();
      const ok = await guarded(env, ctx, [row], async () => {
        const t0 = performance.now();
        const chunks = await ctx.client.pushBlobChunked(CHUNKED_REPO, blob.path, blob.digest, blob.size, cfg.chunkMiB * MiB);
        const secs = (performance.now() - t0) / 1000;
        const size = await ctx.client.headBlob(CHUNKED_REPO, blob.digest);
        if (size !== blob.size) throw new Error(`after the push, HEAD reports size ${size}, want ${blob.size}`);
        const rate = blob.size / MiB / secs;
        env.log(`  push chunked [${ctx.target}] round ${round + 1}: ${rate.toFixed(1)} MiB/s (${chunks} chunks) in ${secs.toFixed(2)}s`);
        row.values[ctx.target] = Math.max(row.values[ctx.target] ?? 0, rate);
        const runs = ((row.details[ctx.target] as { runs?: unknown[] } | undefined)?.runs ?? []);
        row.details[ctx.target] = { best: 'max MiB/s over rounds', chunks, runs: [...runs, { seconds: secs, mibPerSec: rate }] };
      });
      if (!ok) failed.add(ctx.target);
    }
  }
}

// 3: pull of the big blob, best of N, targets alternating run by run.
async function pull(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const blob = requireBlob(env);
  const row = addRow(env, newRow('pull', `3 pull ${sizeLabel(cfg.blobMiB)} blob, best of ${cfg.pullRuns}`, 'MiB/s', 'higher', { ratio: 1, absolute: 1024, text: '>= 1.0x and >= 1024 MiB/s' }));
  const failed = new Set<Target>();
  for (const ctx of env.ctxs) {
    const ok = await guarded(env, ctx, [row], async () => {
      if ((await ctx.client.headBlob(MONO_REPO, blob.digest)) === undefined) {
        env.log(`  pull [${ctx.target}]: pushing the blob first (not timed)`);
        await ctx.client.pushBlob(MONO_REPO, blob.digest, blob.size, () => createReadStream(blob.path, { highWaterMark: MiB }));
      }
    });
    if (!ok) failed.add(ctx.target);
  }
  flushDisks();
  for (let run = 0; run < cfg.pullRuns; run++) {
    for (const ctx of order(env.ctxs, run)) {
      if (failed.has(ctx.target)) continue;
      const ok = await guarded(env, ctx, [row], async () => {
        const t0 = performance.now();
        const n = await ctx.client.pullBlob(MONO_REPO, blob.digest);
        const secs = (performance.now() - t0) / 1000;
        if (n !== blob.size) throw new Error(`pulled ${n} bytes, want ${blob.size}`);
        const rate = blob.size / MiB / secs;
        env.log(`  pull [${ctx.target}] run ${run + 1}: ${rate.toFixed(1)} MiB/s`);
        row.values[ctx.target] = Math.max(row.values[ctx.target] ?? 0, rate);
        const runs = ((row.details[ctx.target] as { runs?: unknown[] } | undefined)?.runs ?? []);
        row.details[ctx.target] = { best: 'max', runs: [...runs, { seconds: secs, mibPerSec: rate }] };
      });
      if (!ok) failed.add(ctx.target);
    }
  }
}

// 4: small image pushes (two blobs, POST + PUT each, then the manifest) from N clients.
async function smallPush(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const row = addRow(env, newRow('small-push', `4 push small images, ${cfg.smallClients} clients`, 'images/s', 'higher', { ratio: 2, text: '>= 2x' }));
  const p99 = addRow(env, newRow('small-push.p99', `4 push small images, p99 per image`, 'ms', 'lower'));
  const res = await interleavedLoad(env, 'small images', {
    concurrency: cfg.smallClients,
    maxOps: cfg.smallMaxPerClient * cfg.smallClients,
  }, (ctx, round) => (w, seq) =>
    ctx.client.pushSmallImage(`bench/small-c${w}`, `r${round}-${seq}`, makeSmallImage(`${ctx.target}-${round}-${w}-${seq}-${Math.random()}`)));
  fill(res, [[row, (s) => s.rate], [p99, (s) => s.percentile(99)]]);
}

// 5: GET manifest by tag.
async function manifestGet(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const rps = addRow(env, newRow('manifest-get', `5 GET manifest by tag, ${cfg.manifestClients} clients`, 'req/s', 'higher', { ratio: 2, text: '>= 2x' }));
  const p99 = addRow(env, newRow('manifest-get.p99', `5 GET manifest by tag, p99`, 'ms', 'lower', { ratio: 1, text: '< 1.0x (lower)' }));
  for (const ctx of env.ctxs) {
    await guarded(env, ctx, [rps, p99], async () => {
      const seed = await ensureSeed(ctx);
      const res = await ctx.client.request('GET', `/v2/${SEED_REPO}/manifests/latest`, { accept: MANIFEST_ACCEPT });
      await ctx.client.expect(res, 200, 'GET manifest');
      const body = Buffer.from(await res.body.arrayBuffer());
      if (!body.equals(seed.manifest)) throw new Error('GET manifest returned different bytes than were pushed');
      const dcd = header(res, 'docker-content-digest');
      if (dcd !== seed.manifestDigest) throw new Error(`Docker-Content-Digest is ${dcd}, want ${seed.manifestDigest}`);
    });
  }
  const live = env.ctxs.filter((c) => !rps.errors[c.target]);
  const res = await interleavedLoad({ ...env, ctxs: live }, 'manifest GET', {
    concurrency: cfg.manifestClients,
    maxOps: cfg.maxRequests,
  }, (ctx) => async () => {
    await ctx.client.hitOk('GET', `/v2/${SEED_REPO}/manifests/latest`, 200, { accept: MANIFEST_ACCEPT });
  });
  fill(res, [[rps, (s) => s.rate], [p99, (s) => s.percentile(99)]]);
}

// 6: HEAD blob.
async function headBlob(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const rps = addRow(env, newRow('head-blob', `6 HEAD blob, ${cfg.headClients} clients`, 'req/s', 'higher', { ratio: 2, text: '>= 2x' }));
  const p99 = addRow(env, newRow('head-blob.p99', `6 HEAD blob, p99`, 'ms', 'lower', { ratio: 1, text: '< 1.0x (lower)' }));
  const digests = new Map<Target, string>();
  for (const ctx of env.ctxs) {
    await guarded(env, ctx, [rps, p99], async () => {
      const seed = await ensureSeed(ctx);
      const size = await ctx.client.headBlob(SEED_REPO, seed.layerDigest);
      if (size !== seed.layer.length) throw new Error(`HEAD blob reports Content-Length ${size}, want ${seed.layer.length}`);
      digests.set(ctx.target, seed.layerDigest);
    });
  }
  const live = env.ctxs.filter((c) => digests.has(c.target));
  const res = await interleavedLoad({ ...env, ctxs: live }, 'HEAD blob', {
    concurrency: cfg.headClients,
    maxOps: cfg.maxRequests,
  }, (ctx) => {
    const path = `/v2/${SEED_REPO}/blobs/${digests.get(ctx.target) ?? ''}`;
    return async () => {
      await ctx.client.hitOk('HEAD', path, 200);
    };
  });
  fill(res, [[rps, (s) => s.rate], [p99, (s) => s.percentile(99)]]);
}

// 7: tags/list of a repository with many tags.
async function tagsList(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const rps = addRow(env, newRow('tags-list', `7 GET tags/list, ${cfg.tags} tags, ${cfg.tagsListClients} clients`, 'req/s', 'higher', { ratio: 3, text: '>= 3x' }));
  const p99 = addRow(env, newRow('tags-list.p99', `7 GET tags/list, p99`, 'ms', 'lower'));
  const live = await eachTarget(env, [rps, p99], async (ctx) => {
    await seedTags(env, ctx, TAGS_REPO, 0, cfg.tags);
    const res = await ctx.client.request('GET', `/v2/${TAGS_REPO}/tags/list`);
    await ctx.client.expect(res, 200, 'GET tags/list');
    const body = (await res.body.json()) as { tags?: unknown };
    const n = Array.isArray(body.tags) ? body.tags.length : 0;
    if (n !== cfg.tags) {
      const more = nextLink(res) ? ' and a Link to a next page' : '';
      rps.notes.push(`${ctx.target} answers tags/list without ?n= with ${n} of ${cfg.tags} tags${more}; the rate is for that response`);
    }
  });
  const res = await interleavedLoad({ ...env, ctxs: live }, 'tags/list', {
    concurrency: cfg.tagsListClients,
    maxOps: cfg.maxRequests,
  }, (ctx) => async () => {
    await ctx.client.hitOk('GET', `/v2/${TAGS_REPO}/tags/list`, 200);
  });
  fill(res, [[rps, (s) => s.rate], [p99, (s) => s.percentile(99)]]);
}

/** GET one catalog page; returns the repository count and the next link. */
async function catalogPage(ctx: Ctx, path: string): Promise<{ count: number; next: string | undefined }> {
  const r = await ctx.client.request('GET', path);
  await ctx.client.expect(r, 200, `GET ${path}`);
  const body = (await r.body.json()) as { repositories?: unknown };
  if (!Array.isArray(body.repositories)) throw new Error(`GET ${path}: no "repositories" array`);
  return { count: body.repositories.length, next: nextLink(r) };
}

// 8: walk the catalog in pages of n, following Link, one client.
async function catalog(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const first = `/v2/_catalog?n=${cfg.catalogPage}`;
  const row = addRow(env, newRow('catalog', `8 catalog pages (n=${cfg.catalogPage}), ${cfg.repos} repos, mean`, 'ms/page', 'lower'));
  const live = await eachTarget(env, [row], async (ctx) => {
    await seedRepos(env, ctx, cfg.repos);
    // One full walk, to check paging works and count what is there.
    let path: string | undefined = first;
    let pages = 0;
    let repos = 0;
    const maxPages = Math.ceil((cfg.repos + 1000) / cfg.catalogPage) + 10;
    while (path !== undefined && pages < maxPages) {
      const page = await catalogPage(ctx, path);
      pages++;
      repos += page.count;
      path = page.next;
    }
    if (repos < cfg.repos) throw new Error(`walking the catalog found ${repos} repositories, want at least ${cfg.repos}`);
    row.notes.push(`${ctx.target}: a walk is ${pages} pages over ${repos} repositories`);
  });
  const res = await interleavedLoad({ ...env, ctxs: live }, 'catalog', { concurrency: 1, maxOps: cfg.maxRequests }, (ctx) => {
    let next: string | undefined;
    return async () => {
      const page = await catalogPage(ctx, next ?? first);
      next = page.next;
    };
  });
  fill(res, [[row, (s) => s.meanMs]]);
}

// Scaling: manifest GET by a random tag as one repository grows.
async function scaleTags(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  for (const level of cfg.scaleTags) {
    const p50 = addRow(env, newRow(`scale-tags.${level}.p50`, `scale: GET manifest, ${level.toLocaleString('en-US')} tags, p50`, 'ms', 'lower'));
    const p99 = addRow(env, newRow(`scale-tags.${level}.p99`, `scale: GET manifest, ${level.toLocaleString('en-US')} tags, p99`, 'ms', 'lower'));
    const live = await eachTarget(env, [p50, p99], async (ctx) => {
      await seedTags(env, ctx, SCALE_REPO, ctx.scaleTags, level);
      ctx.scaleTags = Math.max(ctx.scaleTags, level);
    });
    const res = await interleavedLoad({ ...env, ctxs: live }, `manifest GET @${level} tags`, {
      concurrency: cfg.scaleClients,
      maxOps: cfg.maxRequests,
    }, (ctx) => async () => {
      const tag = tagName(Math.floor(Math.random() * level));
      await ctx.client.hitOk('GET', `/v2/${SCALE_REPO}/manifests/${tag}`, 200, { accept: MANIFEST_ACCEPT });
    });
    fill(res, [[p50, (s) => s.percentile(50)], [p99, (s) => s.percentile(99)]]);
  }
}

// Scaling: one catalog page at a random position in a catalog of many repositories.
async function scaleCatalog(env: BenchEnv): Promise<void> {
  const { cfg } = env;
  const count = cfg.scaleRepos;
  const row = addRow(env, newRow('scale-catalog', `scale: catalog page (n=${cfg.catalogPage}), ${count.toLocaleString('en-US')} repos, mean`, 'ms/page', 'lower'));
  const live = await eachTarget(env, [row], (ctx) => seedRepos(env, ctx, count));
  const res = await interleavedLoad({ ...env, ctxs: live }, `catalog page @${count} repos`, {
    concurrency: 1,
    maxOps: Math.max(1, Math.ceil(cfg.scalePages / cfg.rounds)),
    warmup: false,
  }, (ctx) => async (_w, seq) => {
    const last = seq === 0 ? '' : `&last=${encodeURIComponent(catRepo(Math.floor(Math.random() * count)))}`;
    const page = await catalogPage(ctx, `/v2/_catalog?n=${cfg.catalogPage}${last}`);
    if (page.count === 0) throw new Error('empty catalog page');
  });
  fill(res, [[row, (s) => s.meanMs]]);
}

/** The bench's temp folder (where the main Berth keeps its data). */
function workDirOf(env: BenchEnv): string {
  const berth = env.ctxs.find((c) => c.target === 'berth')!;
  return dirname(berth.server.dataDir);
}

export function needsBlob(only: Set<WorkloadName>): boolean {
  return ['push-mono', 'push-chunked', 'pull', 'rss', 'scan-push'].some((w) => only.has(w as WorkloadName));
}

export async function runWorkloads(env: BenchEnv): Promise<void> {
  const { only } = env.cfg;
  const steps: Array<[boolean, string, () => Promise<void>]> = [
    [only.has('push-mono') || only.has('rss'), 'push mono + RSS', () => pushMono(env, only.has('push-mono'), only.has('rss'))],
    [only.has('push-chunked'), 'push chunked', () => pushChunked(env)],
    [only.has('pull'), 'pull', () => pull(env)],
    [only.has('small-push'), 'small image pushes', () => smallPush(env)],
    [only.has('manifest-get'), 'manifest GET', () => manifestGet(env)],
    [only.has('head-blob'), 'HEAD blob', () => headBlob(env)],
    [only.has('tags-list'), 'tags/list', () => tagsList(env)],
    [only.has('catalog'), 'catalog', () => catalog(env)],
    [only.has('scale-tags'), 'scaling: manifest GET vs tags', () => scaleTags(env)],
    [only.has('scale-catalog'), 'scaling: catalog page', () => scaleCatalog(env)],
    [only.has('search'), 'search (Berth only)', () => searchWorkload(env, { repos: env.cfg.searchRepos, queries: env.cfg.searchQueries })],
    [only.has('login-flood'), 'failed-login flood (Berth only)', () => loginFloodWorkload(env, { requests: env.cfg.loginFloodRequests, clients: env.cfg.loginFloodClients })],
    [only.has('scan-debootstrap'), 'scan: the debootstrap bookworm image (Berth only)', () => scanDebootstrapWorkload(env)],
    [only.has('scan-1gib'), 'scan: the big image (Berth only)', () => scanBigWorkload(env)],
    [only.has('rematch-10k'), 'scan: re-match of the stored inventories (Berth only)', () => rematchWorkload(env)],
    [only.has('scan-push'), 'scan: pushes while scans run (Berth only)', () => scanPushWorkload(env)],
    [only.has('gc-10k') && env.ctxs.some((c) => c.target === 'berth'), 'GC: throughput (Berth only)', () => gcThroughputWorkload(env, workDirOf(env))],
    [only.has('gc-push') && env.ctxs.some((c) => c.target === 'berth'), 'GC: push p99 while collecting (Berth only)', () => gcPushWorkload(env, workDirOf(env))],
    [only.has('proxy-pull') && env.ctxs.some((c) => c.target === 'berth'), 'proxy: pulls through a proxy project of Distribution', () => proxyPullWorkload(env, workDirOf(env))],
  ];
  for (const [on, name, fn] of steps) {
    if (!on) continue;
    const t0 = performance.now();
    env.log(`== ${name}`);
    await fn();
    env.log(`   (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
  }
}

