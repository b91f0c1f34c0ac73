// Bench options: flags (`--blob-mib 512`) override env (`BENCH_BLOB_MIB=512`) override the
// defaults below; `--quick` swaps in the quick defaults first. Every loop in the bench is
// bounded by a count and a time derived from these numbers.

/**
 * berth-lb1 and berth-lb3 (--cluster): Berth through haproxy with 1 and 3 instances, on S3 and
 * PostgreSQL (scripts/cluster-up.sh). They run the shared workloads 1-9; the ratio column stays
 * Berth against Distribution.
 */
export type Target = 'distribution' | 'berth' | 'berth-lb1' | 'berth-lb3';
export const CLUSTER_TARGETS = ['berth-lb1', 'berth-lb3'] as const;

export const WORKLOADS = [
  'push-mono',
  'push-chunked',
  'pull',
  'small-push',
  'manifest-get',
  'head-blob',
  'tags-list',
  'catalog',
  'rss',
  'scale-tags',
  'scale-catalog',
  'search',
  'login-flood',
  'scan-debootstrap',
  'scan-1gib',
  'rematch-10k',
  'scan-push',
  'gc-10k',
  'gc-push',
  'proxy-pull',
] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

// Numbers from the issue, so `--only 1,3,9` works as well as names.
const ALIASES: Record<string, WorkloadName[]> = {
  '1': ['push-mono'],
  '2': ['push-chunked'],
  '3': ['pull'],
  '4': ['small-push'],
  '5': ['manifest-get'],
  '6': ['head-blob'],
  '7': ['tags-list'],
  '8': ['catalog'],
  '9': ['rss'],
  scale: ['scale-tags', 'scale-catalog'],
  scan: ['scan-debootstrap', 'scan-1gib', 'rematch-10k', 'scan-push'],
  gc: ['gc-10k', 'gc-push'],
  proxy: ['proxy-pull'],
};

export interface BenchConfig {
  quick: boolean;
  /** Both registries on S3 (one Ceph radosgw, a bucket each) instead of the filesystem. */
  s3: boolean;
  targets: Target[];
  only: Set<WorkloadName>;
  blobMiB: number;
  chunkMiB: number;
  pullRuns: number;
  /** seconds of measurement per target for the time-bound workloads (split over `rounds`) */
  duration: number;
  /** seconds of warm-up per target before a measured request loop */
  warmup: number;
  /** measured rounds per target; targets alternate order each round (interleaving) */
  rounds: number;
  smallClients: number;
  /** upper bound on small images per client per round */
  smallMaxPerClient: number;
  manifestClients: number;
  headClients: number;
  tagsListClients: number;
  tags: number;
  repos: number;
  catalogPage: number;
  scaleTags: number[];
  scaleRepos: number;
  scaleClients: number;
  /** upper bound on catalog pages sampled per target in scale-catalog */
  scalePages: number;
  seedConcurrency: number;
  /** repositories seeded for the search workload (Berth only) */
  searchRepos: number;
  /** upper bound on measured queries per search endpoint */
  searchQueries: number;
  /** failed logins sent in the login-flood workload (Berth only) */
  loginFloodRequests: number;
  /** concurrent clients sending them */
  loginFloodClients: number;
  /** MiB of tar content in the generated image of scan-1gib (Berth only) */
  scanImageMiB: number;
  /** stored inventories (images) seeded for rematch-10k (Berth only) */
  rematchImages: number;
  /** advisories in the bench feed (the fixtures plus generated ones) the scan workloads import */
  feedAdvisories: number;
  /** measured requests per registry-wide query in rematch-10k */
  scanQueries: number;
  /** seconds allowed for one scan or re-match job (and for a feed import) */
  scanTimeout: number;
  /** seconds allowed for any one seeding step before the bench gives up */
  seedTimeout: number;
  /** upper bound on requests per target per measured loop */
  maxRequests: number;
  /** blobs seeded for gc-10k (Berth only) */
  gcBlobs: number;
  /** of them, unreferenced and queued: what berth gc collects */
  gcCandidates: number;
  /** candidates seeded into the running server in gc-push's busy phase */
  gcBusyCandidates: number;
  keep: boolean;
  tmpDir: string | undefined;
  resultsDir: string;
  berthArgs: string[];
}

type NumKey = {
  [K in keyof BenchConfig]: BenchConfig[K] extends number ? K : never;
}[keyof BenchConfig];

const FULL: Pick<BenchConfig, NumKey | 'scaleTags'> = {
  blobMiB: 1024,
  chunkMiB: 64,
  pullRuns: 3,
  duration: 10,
  warmup: 1,
  rounds: 2,
  smallClients: 8,
  smallMaxPerClient: 5000,
  manifestClients: 64,
  headClients: 64,
  tagsListClients: 8,
  tags: 2000,
  repos: 1000,
  catalogPage: 100,
  scaleTags: [100, 10_000, 100_000],
  scaleRepos: 10_000,
  scaleClients: 16,
  scalePages: 50,
  seedConcurrency: 16,
  searchRepos: 10_000,
  searchQueries: 1000,
  loginFloodRequests: 30_000,
  loginFloodClients: 16,
  scanImageMiB: 1024,
  rematchImages: 10_000,
  feedAdvisories: 3000,
  scanQueries: 20,
  scanTimeout: 1800,
  seedTimeout: 1800,
  maxRequests: 2_000_000,
  gcBlobs: 100_000,
  gcCandidates: 10_000,
  gcBusyCandidates: 20_000,
};

const QUICK: Pick<BenchConfig, NumKey | 'scaleTags'> = {
  ...FULL,
  blobMiB: 256,
  duration: 0.8,
  warmup: 0.2,
  rounds: 1,
  smallMaxPerClient: 500,
  tags: 200,
  repos: 150,
  scaleTags: [100, 500],
  scaleRepos: 500,
  scalePages: 10,
  searchRepos: 1000,
  searchQueries: 200,
  loginFloodRequests: 3000,
  scanImageMiB: 256,
  rematchImages: 1000,
  feedAdvisories: 1500,
  scanQueries: 5,
  seedTimeout: 120,
  gcBlobs: 20_000,
  gcCandidates: 2000,
  gcBusyCandidates: 5000,
};

// Each numeric option: its flag (and BENCH_<FLAG> env var) and what it means.
const NUMERIC_FLAGS: Record<NumKey, [string, string]> = {
  blobMiB: ['blob-mib', 'size of the big blob (workloads 1-3, 9)'],
  chunkMiB: ['chunk-mib', 'PATCH chunk size for workload 2'],
  pullRuns: ['pull-runs', 'pulls per target in workload 3 (best is reported)'],
  duration: ['duration', 'seconds of measurement per target per request-loop workload'],
  warmup: ['warmup', 'seconds of unmeasured warm-up before each measured loop'],
  rounds: ['rounds', 'rounds per target; the order of the targets alternates each round'],
  smallClients: ['small-clients', 'concurrent clients in workload 4'],
  smallMaxPerClient: ['small-max-per-client', 'upper bound on images per client per round'],
  manifestClients: ['manifest-clients', 'concurrent clients in workload 5'],
  headClients: ['head-clients', 'concurrent clients in workload 6'],
  tagsListClients: ['tags-list-clients', 'concurrent clients in workload 7'],
  tags: ['tags', 'tags in the repository of workload 7'],
  repos: ['repos', 'repositories in the catalog of workload 8'],
  catalogPage: ['catalog-page', 'n= for catalog pages'],
  scaleRepos: ['scale-repos', 'repositories for the catalog scaling run'],
  scaleClients: ['scale-clients', 'concurrent clients for the manifest-GET scaling run'],
  scalePages: ['scale-pages', 'upper bound on pages sampled per target in the catalog scaling run'],
  seedConcurrency: ['seed-concurrency', 'concurrent requests while seeding tags and repositories'],
  searchRepos: ['search-repos', 'repositories seeded for the search workload (Berth only)'],
  searchQueries: ['search-queries', 'measured queries per search endpoint'],
  loginFloodRequests: ['login-flood-requests', 'failed logins (8,000-character names) sent in the login-flood workload (Berth only)'],
  loginFloodClients: ['login-flood-clients', 'concurrent clients sending them'],
  scanImageMiB: ['scan-image-mib', 'MiB of tar content in the generated image of scan-1gib (Berth only)'],
  rematchImages: ['rematch-images', 'stored inventories seeded for rematch-10k (Berth only)'],
  feedAdvisories: ['feed-advisories', 'advisories in the feed the scan workloads import (fixtures plus generated)'],
  scanQueries: ['scan-queries', 'measured requests per registry-wide query in rematch-10k'],
  scanTimeout: ['scan-timeout', 'seconds allowed for one scan or re-match job'],
  seedTimeout: ['seed-timeout', 'seconds allowed for one seeding step'],
  maxRequests: ['max-requests', 'upper bound on requests per target per measured loop'],
  gcBlobs: ['gc-blobs', 'blobs seeded for gc-10k (Berth only)'],
  gcCandidates: ['gc-candidates', 'of them, unreferenced candidates berth gc collects'],
  gcBusyCandidates: ['gc-busy-candidates', 'candidates the collector works through during gc-push\'s measured pushes'],
};
const NUMERIC = Object.keys(NUMERIC_FLAGS) as NumKey[];
const flagOf = (k: NumKey): string => NUMERIC_FLAGS[k][0];
const envName = (k: NumKey): string => `BENCH_${flagOf(k).replace(/-/g, '_').toUpperCase()}`;

export const USAGE = `usage: npm run bench -- [options]

  --quick                     small sizes and short durations (a few minutes)
  --target both|distribution|berth   which servers to run (default both)
  --only a,b,...              workloads to run: ${WORKLOADS.join(', ')}
                              (or the issue's numbers 1-9, "scale", and "scan" for the four scan workloads)
  --keep                      keep the temp dir (server data, logs) after the run
  --s3                        both registries store blobs in one Ceph radosgw (a bucket each;
                              scripts/s3-start.sh starts it when none answers) [BENCH_S3=1]
  --cluster                   also Berth through haproxy with 1 and 3 instances on S3 and
                              PostgreSQL (scripts/cluster-up.sh), for workloads 1-9 [BENCH_CLUSTER=1]
  --tmp-dir DIR               where to create the temp dir (default: the OS temp dir)
  --results-dir DIR           where to write <timestamp>.json (default bench/results)
  --berth-arg ARG             extra argument for \`berth serve\` (repeatable)
  --scale-tags 100,10000,...  tag counts for the manifest-GET scaling run
                              [BENCH_SCALE_TAGS; default ${FULL.scaleTags.join(',')}, quick ${QUICK.scaleTags.join(',')}]
${NUMERIC.map((k) => `  --${flagOf(k).padEnd(24)}  ${NUMERIC_FLAGS[k][1]}\n  ${''.padEnd(26)}  [${envName(k)}; default ${FULL[k]}${QUICK[k] !== FULL[k] ? `, quick ${QUICK[k]}` : ''}]`).join('\n')}

Flags override env vars, which override the defaults (or the --quick defaults).
Also from the env: BENCH_TARGET, BENCH_ONLY, BENCH_SCALE_TAGS, BENCH_QUICK=1, BENCH_KEEP=1,
BENCH_TMP_DIR, BENCH_RESULTS_DIR, BENCH_BERTH_ARGS (space-separated).
`;

function positiveNumber(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

function numberList(name: string, raw: string): number[] {
  const list = raw.split(',').filter((s) => s.trim() !== '').map((s) => Math.floor(positiveNumber(name, s.trim())));
  if (list.length === 0) throw new Error(`${name} needs at least one number`);
  return [...new Set(list)].sort((a, b) => a - b);
}

const KNOWN = new Set(['target', 'only', 'tmp-dir', 'results-dir', 'berth-arg', 'scale-tags', ...NUMERIC.map(flagOf)]);

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): BenchConfig {
  const flags = new Map<string, string[]>();
  const bare = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"\n\n${USAGE}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (['quick', 'keep', 'help', 's3', 'cluster'].includes(name)) {
      bare.add(name);
      continue;
    }
    if (!KNOWN.has(name)) throw new Error(`unknown option --${name}\n\n${USAGE}`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  if (bare.has('help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = bare.has('quick') || env.BENCH_QUICK === '1';
  const base = { ...(quick ? QUICK : FULL) };
  const last = (name: string): string | undefined => flags.get(name)?.at(-1);

  const nums = {} as Record<NumKey, number>;
  for (const k of NUMERIC) {
    const raw = last(flagOf(k)) ?? env[envName(k)];
    nums[k] = raw === undefined ? base[k] : positiveNumber(`--${flagOf(k)}`, raw);
  }
  for (const k of NUMERIC) {
    if (!['duration', 'warmup', 'seedTimeout', 'scanTimeout'].includes(k)) nums[k] = Math.max(1, Math.floor(nums[k]));
  }
  const scaleRaw = last('scale-tags') ?? env.BENCH_SCALE_TAGS;
  const scaleTags = scaleRaw === undefined ? base.scaleTags : numberList('--scale-tags', scaleRaw);

  const targetRaw = last('target') ?? env.BENCH_TARGET ?? 'both';
  let targets: Target[];
  if (targetRaw === 'both') targets = ['distribution', 'berth'];
  else if (targetRaw === 'distribution' || targetRaw === 'berth') targets = [targetRaw];
  else throw new Error(`--target must be both, distribution or berth, got "${targetRaw}"`);
  if (bare.has('cluster') || env.BENCH_CLUSTER === '1') targets.push(...CLUSTER_TARGETS);

  const onlyRaw = last('only') ?? env.BENCH_ONLY;
  const only = new Set<WorkloadName>();
  if (onlyRaw === undefined || onlyRaw === '' || onlyRaw === 'all') {
    for (const w of WORKLOADS) only.add(w);
  } else {
    for (const part of onlyRaw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const names = ALIASES[part] ?? ((WORKLOADS as readonly string[]).includes(part) ? [part as WorkloadName] : undefined);
      if (!names) throw new Error(`--only: unknown workload "${part}"; known: ${WORKLOADS.join(', ')}, 1-9, scale, scan, gc, proxy`);
      for (const n of names) only.add(n);
    }
  }
  if (nums.chunkMiB > nums.blobMiB) nums.chunkMiB = nums.blobMiB;

  const berthArgs = flags.get('berth-arg') ?? (env.BENCH_BERTH_ARGS ? env.BENCH_BERTH_ARGS.split(' ').filter(Boolean) : []);
  return {
    quick,
    s3: bare.has('s3') || env.BENCH_S3 === '1',
    targets,
    only,
    ...nums,
    scaleTags,
    keep: bare.has('keep') || env.BENCH_KEEP === '1',
    tmpDir: last('tmp-dir') ?? env.BENCH_TMP_DIR,
    resultsDir: last('results-dir') ?? env.BENCH_RESULTS_DIR ?? 'bench/results',
    berthArgs,
  };
}
