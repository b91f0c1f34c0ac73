// The `search` workload (Berth only: Distribution has no search, so the table shows Berth's
// figure with no ratio). Target: p95 < 50 ms at 10,000 repositories.
//
// The bench's main Berth runs with auth none, where /api/v1 is not registered, so this workload
// starts its own Berth with auth builtin (the same dist/ build, its own data dir) and measures
// both GET /v1/search (what podman and docker call; anonymous) and GET /api/v1/search
// (anonymous, and as a user with an access token who is a member of private projects, so the
// visibility condition has member rows to read).
//
// Seeding (the direct path): one real image is pushed over /v2, then --search-repos
// repositories are written straight into the server's SQLite DB in one transaction, each
// linking that image's blobs and manifest and tagging it `latest`, with a description, labels,
// pull and star counts. That is what a cross-repository mount plus a manifest PUT would write
// (the DB points only at bytes that exist; the FTS triggers index each row in the same
// transaction), in a second instead of minutes. A spot check pulls a seeded manifest over /v2
// and asks search for a seeded name before anything is measured.
import { dirname, join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { runLoad, type Sample } from './load.ts';
import { makeSmallImage, MANIFEST_ACCEPT, OCI_MANIFEST, OciClient, sha256 } from './oci.ts';
import { startBuiltinBerth, type BuiltinBerth } from './servers.ts';
import { newRow, type Row } from './table.ts';
import type { BenchEnv } from './workloads.ts';

const ADMIN_PASSWORD = 'bench-admin-password';
const PROJECTS = 40;
/** Of the projects, every fourth is private. */
const isPrivate = (p: number): boolean => p % 4 === 3;
const projectName = (p: number): string => `proj${String(p).padStart(2, '0')}`;

// A fixed vocabulary, so queries hit realistic posting-list sizes (each word in ~1-5% of repos).
const WORDS = ('alpine apache api app backup base bench build cache cert chart cli cloud cluster collector config console controller ' +
  'cron dashboard data database debian deploy dev dns docs edge elastic engine etcd event exporter fluent frontend gateway git go grafana ' +
  'graph grpc helm http image index ingress java job kafka kernel key kube lambda ldap lint log mail manager mesh metric minio mongo monitor ' +
  'mysql nats net nginx node notebook oauth operator otel package php pipeline plugin postgres prometheus proxy python queue rabbit redis ' +
  'registry relay render report rest ruby runner rust scanner scheduler search secret server service shell sidecar sql ssh storage stream ' +
  'sync task tensor test tls tool trace ui vault video vpn watch web worker zookeeper').split(' ');

/** Deterministic pseudo-random numbers (mulberry32), so every run seeds the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function api(origin: string, method: string, path: string, auth: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${origin}/api/v1${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} /api/v1${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

interface Seeded {
  /** Credentials of a user who is a member of some private projects (an access token: no scrypt per request). */
  memberAuth: string;
  /** Names of seeded repositories without their project (for exact-name queries). */
  shortNames: string[];
}

async function seed(server: BuiltinBerth, count: number, log: (s: string) => void): Promise<Seeded> {
  const admin = basic('admin', ADMIN_PASSWORD);
  const t0 = performance.now();
  await api(server.origin, 'POST', '/users', admin, { name: 'searcher', password: 'searcher-password-1' });
  for (let p = 0; p < PROJECTS; p++) {
    await api(server.origin, 'POST', '/projects', admin, { name: projectName(p), visibility: isPrivate(p) ? 'private' : 'public' });
    if (isPrivate(p) && p < PROJECTS / 2) await api(server.origin, 'PUT', `/projects/${projectName(p)}/members/searcher`, admin, { role: 'guest' });
  }
  await api(server.origin, 'PATCH', `/projects/${projectName(0)}`, admin, { verified: true });
  const token = (await api(server.origin, 'POST', '/users/searcher/tokens', basic('searcher', 'searcher-password-1'), { name: 'bench', permissions: ['pull'] })) as { secret: string };

  // One real image, pushed over /v2; every seeded repository links it.
  const img = makeSmallImage('bench-search');
  const seedRepo = `${projectName(0)}/seed`;
  for (const [digest, bytes] of [[img.configDigest, img.config], [img.layerDigest, img.layer]] as const) {
    const r = await fetch(`${server.origin}/v2/${seedRepo}/blobs/uploads/?digest=${encodeURIComponent(digest)}`, {
      method: 'POST', body: bytes, headers: { authorization: admin, 'content-type': 'application/octet-stream' },
    });
    if (r.status !== 201) throw new Error(`seed blob upload: ${r.status} ${await r.text()}`);
  }
  const put = await fetch(`${server.origin}/v2/${seedRepo}/manifests/latest`, {
    method: 'PUT', body: img.manifest, headers: { authorization: admin, 'content-type': OCI_MANIFEST },
  });
  if (put.status !== 201) throw new Error(`seed manifest PUT: ${put.status} ${await put.text()}`);
  if (sha256(img.manifest) !== img.manifestDigest) throw new Error('seed manifest digest mismatch');

  const random = rng(42);
  const pick = (): string => WORDS[Math.floor(random() * WORDS.length)]!;
  const db = new Sqlite(join(server.dataDir, 'berth.db'));
  db.pragma('busy_timeout = 10000');
  const shortNames: string[] = [];
  try {
    const insertRepo = db.prepare(`insert into repositories (name, project, created_at, updated_at, description, labels, pull_count, star_count)
      values (?, ?, ?, ?, ?, ?, ?, ?)`);
    const linkBlob = db.prepare('insert into repository_blobs (repository_id, digest, created_at) values (?, ?, ?)');
    const linkManifest = db.prepare('insert into repository_manifests (repository_id, digest, subject_digest, pushed_at) values (?, ?, null, ?)');
    const tag = db.prepare('insert into tags (repository_id, name, digest, updated_at) values (?, ?, ?, ?)');
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const project = projectName(i % PROJECTS);
        const short = `${pick()}-${pick()}-${i}`;
        shortNames.push(short);
        const description = `${Array.from({ length: 6 + Math.floor(random() * 10) }, pick).join(' ')}.`;
        const labels = Array.from({ length: 1 + Math.floor(random() * 3) }, pick).join(' ');
        const at = now - Math.floor(random() * 86_400_000);
        const id = Number(insertRepo.run(`${project}/${short}`, project, at, at, description, labels, Math.floor(random() ** 3 * 1_000_000), Math.floor(random() ** 4 * 5000)).lastInsertRowid);
        linkBlob.run(id, img.configDigest, at);
        linkBlob.run(id, img.layerDigest, at);
        linkManifest.run(id, img.manifestDigest, at);
        tag.run(id, 'latest', img.manifestDigest, at);
      }
    })();
  } finally {
    db.close();
  }
  log(`  seeded ${count} repositories in ${PROJECTS} projects (${PROJECTS / 4} private) in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

  // Spot checks: a seeded repository pulls over /v2, and search finds it by its exact name.
  const probe = `${projectName(1)}/${shortNames[1]!}`;
  const get = await fetch(`${server.origin}/v2/${probe}/manifests/latest`, { headers: { authorization: admin, accept: MANIFEST_ACCEPT } });
  const got = Buffer.from(await get.arrayBuffer());
  if (get.status !== 200 || !got.equals(img.manifest)) throw new Error(`GET /v2/${probe}/manifests/latest: ${get.status}, not the seeded manifest`);
  const found = await fetch(`${server.origin}/v1/search?q=${encodeURIComponent(shortNames[1]!)}&n=5`);
  const answer = (await found.json()) as { results?: { name: string }[] };
  if (found.status !== 200 || answer.results?.[0]?.name !== probe) throw new Error(`/v1/search?q=${shortNames[1]!} did not put ${probe} first: ${JSON.stringify(answer)}`);
  return { memberAuth: basic('searcher', token.secret), shortNames };
}

/** A mix of what people type: whole words, 2-4 letter prefixes, two words, exact names, and no text (sorted by pulls). */
function queries(count: number, shortNames: readonly string[]): string[] {
  const random = rng(7);
  const pick = (): string => WORDS[Math.floor(random() * WORDS.length)]!;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 10;
    if (kind < 4) out.push(`q=${pick()}`);
    else if (kind < 6) out.push(`q=${pick().slice(0, 2 + (i % 3))}`);
    else if (kind < 8) out.push(`q=${encodeURIComponent(`${pick()} ${pick()}`)}`);
    else if (kind === 8) out.push(`q=${encodeURIComponent(shortNames[Math.floor(random() * shortNames.length)]!)}`);
    else out.push(i % 20 === 9 ? 'sort=pulls' : `q=${pick()}&sort=stars`);
  }
  return out;
}

async function measure(client: OciClient, path: (q: string) => string, qs: readonly string[], auth: string | undefined, pid: number, maxSeconds: number): Promise<Sample> {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  // Unmeasured warm-up: the first queries page the index in.
  for (const q of qs.slice(0, Math.min(50, qs.length))) await client.hitOk('GET', path(q), 200, headers);
  return runLoad({
    concurrency: 1,
    seconds: maxSeconds,
    maxOps: qs.length,
    pid,
    op: async (_w, seq) => {
      await client.hitOk('GET', path(qs[seq % qs.length]!), 200, headers);
    },
  });
}

export interface SearchOptions {
  repos: number;
  queries: number;
}

export async function searchWorkload(env: BenchEnv, opts: SearchOptions): Promise<void> {
  const label = (what: string, p: string): string => `search: ${what}, ${opts.repos.toLocaleString('en-US')} repos, ${p} (Berth only)`;
  const target = { absolute: 50, text: '< 50 ms' };
  const rows: Array<[Row, (s: Sample) => number]> = [];
  const add = (key: string, what: string, withTarget: boolean): Row[] => {
    const p50 = newRow(`${key}.p50`, label(what, 'p50'), 'ms', 'lower');
    const p95 = newRow(`${key}.p95`, label(what, 'p95'), 'ms', 'lower', withTarget ? target : undefined);
    env.rows.push(p50, p95);
    rows.push([p50, (s) => s.percentile(50)], [p95, (s) => s.percentile(95)]);
    return [p50, p95];
  };
  const v1 = add('search.v1', 'GET /v1/search, anonymous', true);
  const apiAnon = add('search.api', 'GET /api/v1/search, anonymous', true);
  const apiMember = add('search.api-member', 'GET /api/v1/search, member (token)', true);
  const all = [...v1, ...apiAnon, ...apiMember];

  const main = env.ctxs.find((c) => c.target === 'berth');
  if (!main) {
    for (const r of all) r.notes.push('Berth is not among the targets (--target distribution): search not measured');
    return;
  }
  const workDir = dirname(main.server.dataDir);
  let server: BuiltinBerth | undefined;
  let client: OciClient | undefined;
  try {
    server = await startBuiltinBerth(workDir, 'search', ADMIN_PASSWORD, env.cfg.berthArgs, env.log);
    const seeded = await seed(server, opts.repos, env.log);
    client = new OciClient(server.origin, 2);
    const qs = queries(opts.queries, seeded.shortNames);
    const seconds = Math.max(30, opts.queries / 10);
    const runs: Array<[Row[], Sample]> = [];
    runs.push([v1, await measure(client, (q) => `/v1/search?${q}&n=25`, qs, undefined, server.pid, seconds)]);
    runs.push([apiAnon, await measure(client, (q) => `/api/v1/search?${q}&n=25`, qs, undefined, server.pid, seconds)]);
    runs.push([apiMember, await measure(client, (q) => `/api/v1/search?${q}&n=25`, qs, seeded.memberAuth, server.pid, seconds)]);
    for (const [pair, sample] of runs) {
      for (const row of pair) {
        const fill = rows.find(([r]) => r === row)![1];
        if (sample.ops === 0) {
          row.errors.berth = sample.firstError ?? 'no query completed';
          continue;
        }
        row.values.berth = fill(sample);
        row.details.berth = { ...sample.summary(), p95Ms: Number(sample.percentile(95).toFixed(3)), queries: sample.ops };
        if (sample.errors > 0) row.notes.push(`${sample.errors} failed queries; first: ${sample.firstError}`);
      }
      const s = sample.summary();
      env.log(`  ${pair[0]!.label.replace(/, p50 .*$/, '')}: p50 ${Number(s.p50Ms).toFixed(1)} ms, p95 ${sample.percentile(95).toFixed(1)} ms over ${sample.ops} queries`);
    }
  } catch (err) {
    for (const r of all) r.errors.berth = (err as Error).message;
    env.log(`  search failed: ${(err as Error).message}`);
  } finally {
    await client?.close().catch(() => undefined);
    await server?.stop();
  }
}
