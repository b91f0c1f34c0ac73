// `npm run bench`: Berth and Distribution side by side, in the same run, on loopback, each
// with filesystem storage in a fresh temp dir and no auth. Prints one table of
// workload / Distribution / Berth / ratio / target and writes it as JSON to
// bench/results/<timestamp>.json. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createBlobFile } from './lib/blobfile.ts';
import { CLUSTER_TARGETS, parseConfig } from './lib/config.ts';
import type { BenchConfig } from './lib/config.ts';
import { OciClient } from './lib/oci.ts';
import { startBerth, startCluster, startDistribution } from './lib/servers.ts';
import { openBenchS3 } from './lib/s3.ts';
import type { RunningServer } from './lib/servers.ts';
import { ratioOf, renderTable, targetMet } from './lib/table.ts';
import type { Row } from './lib/table.ts';
import { needsBlob, runWorkloads } from './lib/workloads.ts';
import type { BenchEnv, Ctx } from './lib/workloads.ts';

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

function maxClients(cfg: BenchConfig): number {
  return Math.max(cfg.manifestClients, cfg.headClients, cfg.smallClients, cfg.tagsListClients, cfg.scaleClients, cfg.seedConcurrency);
}

async function main(): Promise<number> {
  let cfg: BenchConfig;
  try {
    cfg = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const started = new Date();
  const base = cfg.tmpDir ? resolve(cfg.tmpDir) : tmpdir();
  mkdirSync(base, { recursive: true });
  const workDir = mkdtempSync(join(base, 'berth-bench-'));
  log(`berth bench${cfg.quick ? ' (quick)' : ''}: targets ${cfg.targets.join(', ')}; workloads ${[...cfg.only].join(', ')}; temp dir ${workDir}`);

  const servers: RunningServer[] = [];
  const ctxs: Ctx[] = [];
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(ctxs.map((c) => c.client.close().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    if (cfg.keep) log(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`\n${sig}: stopping the servers`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const s3 = cfg.s3 ? await openBenchS3(log) : undefined;
  try {
    // Berth first: when it cannot start there is no side-by-side run, and we fail before the
    // expensive parts.
    if (cfg.targets.includes('berth')) {
      try {
        const t0 = performance.now();
        servers.push(await startBerth(workDir, cfg.berthArgs, log, s3 ? { ...s3, bucket: await s3.bucket('berth') } : undefined));
        log(`Berth answered GET /v2/ after ${((performance.now() - t0) / 1000).toFixed(1)}s`);
      } catch (err) {
        const alone = cfg.targets.length > 1 ? '\nTo measure Distribution alone, run `npm run bench -- --target distribution`.' : '';
        console.error(`\nBerth could not be started, so the bench cannot run: ${(err as Error).message}${alone}`);
        return 1;
      }
    }
    if (cfg.targets.includes('distribution')) servers.unshift(await startDistribution(workDir, log, s3 ? { ...s3, bucket: await s3.bucket('distribution') } : undefined));
    const clusters = CLUSTER_TARGETS.filter((t) => cfg.targets.includes(t));
    if (clusters.length) {
      // cluster-up.sh runs bin/berth.mjs, which runs dist/ only when its build stamp is current.
      const built = spawnSync(process.execPath, ['scripts/build-if-stale.mjs', 'server'], { encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`building dist/ for the clusters failed:\n${built.stdout}${built.stderr}`);
      for (const t of clusters) servers.push(await startCluster(workDir, t, log));
    }
    for (const s of servers) {
      log(`${s.target}: ${s.version} at ${s.origin} (pid ${s.pid}, data ${s.dataDir})`);
      ctxs.push({ target: s.target, server: s, client: new OciClient(s.origin, maxClients(cfg)), catalogRepos: 0, scaleTags: 0 });
    }

    const env: BenchEnv = { cfg, ctxs, rows: [], log };
    if (needsBlob(cfg.only)) {
      const t0 = performance.now();
      env.blob = await createBlobFile(join(workDir, 'blob.bin'), cfg.blobMiB);
      log(`blob: ${cfg.blobMiB} MiB ${env.blob.digest} (generated in ${((performance.now() - t0) / 1000).toFixed(1)}s)`);
    }

    await runWorkloads(env);

    // The order: workloads 1-9, then the scaling runs.
    const rank = (r: Row): number => Number.parseInt(r.label, 10) || 100;
    env.rows.sort((a, b) => rank(a) - rank(b));
    const table = renderTable(env.rows, cfg.targets);
    console.log(`\nBerth vs Distribution${cfg.quick ? ' (quick run)' : ''}, ${started.toISOString()}\n`);
    console.log(table);

    mkdirSync(cfg.resultsDir, { recursive: true });
    const file = join(cfg.resultsDir, `${timestamp(started)}.json`);
    writeFileSync(file, `${JSON.stringify(report(cfg, started, servers, env.rows, table), null, 2)}\n`);
    console.log(`\nwritten to ${file}`);
    const broken = env.rows.some((r) => Object.keys(r.errors).length > 0);
    return broken ? 1 : 0;
  } catch (err) {
    console.error(`\nbench failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    await cleanup();
    s3?.stop();
  }
}

function report(cfg: BenchConfig, started: Date, servers: RunningServer[], rows: Row[], table: string): unknown {
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim() !== '';
  return {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: cfg.quick,
    git: { commit: git || undefined, srcDirty: dirty },
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memMiB: Math.round(totalmem() / 2 ** 20) },
    config: { ...cfg, only: [...cfg.only] },
    servers: servers.map((s) => ({ target: s.target, version: s.version })),
    rows: rows.map((r) => ({
      key: r.key,
      workload: r.label,
      unit: r.unit,
      better: r.better,
      distribution: r.values.distribution ?? null,
      berth: r.values.berth ?? null,
      ratio: ratioOf(r) ?? null,
      target: r.target?.text ?? null,
      targetMet: targetMet(r) ?? null,
      errors: r.errors,
      notes: r.notes,
      details: r.details,
    })),
    table,
  };
}

process.exitCode = await main();
