// proxy-pull: Berth as a pull-through cache of the bench's Distribution (issue 15's benchmark).
//
// A Berth with auth builtin (proxy projects are made through /api/v1, which auth none does not
// have) gets a proxy project `hub` whose upstream is the Distribution target of this run. Each
// round writes a fresh random blob of --blob-mib MiB (a new digest, so the proxy misses), pushes
// it to Distribution, and pushes it to the Berth's own project `admin` too. Then, in an order
// that alternates round by round:
// - miss:   GET /v2/hub/proxybench/big/blobs/D from Berth, which fetches it from Distribution,
//           verifies it and stores it while it streams it to the client (tee);
// - direct: GET the same blob from Distribution itself;
// - hit:    the same GET through the proxy again, now served from Berth's cache;
// - normal: GET of the same blob from Berth's ordinary project (admin/big).
// Rows: miss against direct (the table's ratio: target >= 0.9x), and hit against normal, both
// measured on this Berth (its value is the ratio itself: target >= 0.95).
import { rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createBlobFile, MiB } from './blobfile.ts';
import { OciClient } from './oci.ts';
import { BerthApi, explain, SCAN_ADMIN_PASSWORD } from './scan.ts';
import { startBuiltinBerth, type BuiltinBerth } from './servers.ts';
import { newRow, type Row } from './table.ts';
import type { BenchEnv } from './workloads.ts';

const PROJECT = 'hub';
const UPSTREAM_REPO = 'proxybench/big';
const LOCAL_REPO = 'admin/big';

const HIT_PULLS = 3;

const best = (xs: readonly number[]): number => Math.max(...xs);

export async function proxyPullWorkload(env: BenchEnv, workDir: string): Promise<void> {
  const { cfg } = env;
  const size = cfg.blobMiB;
  const label = size % 1024 === 0 ? `${size / 1024} GiB` : `${size} MiB`;
  const miss = newRow('proxy-miss', `proxy: pull ${label} blob on a miss (Berth fetching from Distribution) vs direct from Distribution`, 'MiB/s', 'higher', { ratio: 0.9, text: '>= 0.9x' });
  const hit = newRow('proxy-hit', `proxy: pull ${label} blob on a hit, against Berth's normal pull (Berth only)`, 'x', 'higher', { absolute: 0.95, text: 'hit/normal >= 0.95' });
  env.rows.push(miss, hit);
  const fail = (rows: Row[], message: string): void => {
    for (const r of rows) r.errors.berth = message;
  };
  const dist = env.ctxs.find((c) => c.target === 'distribution');
  if (!dist || !env.ctxs.some((c) => c.target === 'berth')) {
    fail([miss, hit], 'needs both targets (Distribution is the upstream)');
    return;
  }

  let server: BuiltinBerth | undefined;
  let api: BerthApi | undefined;
  let client: OciClient | undefined;
  const rounds = Math.max(1, cfg.pullRuns - 1);
  const rates = { miss: [] as number[], direct: [] as number[], hit: [] as number[], normal: [] as number[] };
  try {
    server = await startBuiltinBerth(workDir, 'proxy-pull', SCAN_ADMIN_PASSWORD, cfg.berthArgs, env.log);
    api = new BerthApi(server, 600);
    client = new OciClient(server.origin, 2, { authorization: api.auth });
    await api.call('POST', '/proxy-projects', { project: PROJECT, upstream: dist.server.origin, tagTtl: '1h' }, [200, 201]);
    env.log(`  proxy project ${PROJECT} -> ${dist.server.origin}`);

    const timed = async (what: keyof typeof rates, c: OciClient, repo: string, digest: string): Promise<void> => {
      const t0 = performance.now();
      const n = await c.pullBlob(repo, digest);
      const secs = (performance.now() - t0) / 1000;
      if (n !== size * MiB) throw new Error(`${what}: pulled ${n} bytes, want ${size * MiB}`);
      rates[what].push(size / secs);
      env.log(`  ${what}: ${(size / secs).toFixed(1)} MiB/s`);
    };

    for (let r = 0; r < rounds; r++) {
      const file = join(workDir, `proxy-blob-${r}.bin`);
      try {
        const blob = await createBlobFile(file, size);
        await dist.client.pushBlob(UPSTREAM_REPO, blob.digest, blob.size, () => createReadStream(file, { highWaterMark: MiB }));
        await client.pushBlob(LOCAL_REPO, blob.digest, blob.size, () => createReadStream(file, { highWaterMark: MiB }));
        env.log(`  round ${r + 1}/${rounds}: ${blob.digest.slice(0, 19)} on Distribution and in ${LOCAL_REPO} (not timed)`);
        const steps: Array<() => Promise<void>> = [
          () => timed('miss', client!, `${PROJECT}/${UPSTREAM_REPO}`, blob.digest),
          () => timed('direct', dist.client, UPSTREAM_REPO, blob.digest),
        ];
        for (const step of r % 2 === 0 ? steps : [...steps].reverse()) await step();
        // Hits and normal pulls are cheap: three of each, alternating, so one slow moment of a
        // shared machine does not decide the ratio.
        for (let i = 0; i < HIT_PULLS; i++) {
          const again: Array<() => Promise<void>> = [
            () => timed('hit', client!, `${PROJECT}/${UPSTREAM_REPO}`, blob.digest),
            () => timed('normal', client!, LOCAL_REPO, blob.digest),
          ];
          for (const step of (r + i) % 2 === 0 ? again : [...again].reverse()) await step();
        }
      } finally {
        rmSync(file, { force: true });
      }
    }
    miss.values.berth = best(rates.miss);
    miss.values.distribution = best(rates.direct);
    miss.details.berth = { best: 'max', runs: rates.miss };
    miss.details.distribution = { best: 'max', runs: rates.direct };
    hit.values.berth = best(rates.hit) / best(rates.normal);
    hit.details.berth = { hitMiBps: rates.hit, normalMiBps: rates.normal };
    hit.notes.push(`best hit ${best(rates.hit).toFixed(0)} MiB/s, best normal pull ${best(rates.normal).toFixed(0)} MiB/s, ${HIT_PULLS} of each in each of ${rounds} round(s); a fresh blob each round, so every miss goes upstream`);
  } catch (error) {
    fail([miss, hit], explain(error, server));
  } finally {
    await client?.close();
    await api?.close();
    await server?.stop();
  }
}
