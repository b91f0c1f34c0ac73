// Search on many repositories, without a server: N tagged repositories (default 10,000; N=100000
// for more) written straight into a fresh SQLite file or PostgreSQL database (BERTH_TEST_PG_URL's
// server), then each query run 20 times through SearchService; prints the median and p90.
//   node --import tsx bench/search-scale.ts [sqlite|postgres]
// Issue 16's figures (substring search, migration 012) came from this.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { SearchService } from '../src/features/search/index.ts';
import { openMetadata } from '../src/metadata/db.ts';
import { createTestDatabase } from '../test/helpers/postgres.ts';

const dialect = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const N = Number(process.env.N ?? 10_000);
const QUERIES = ['nginx', 'ngin', 'ap', 'ootfs', 'xporter', 'debian-root', 'bian rootfs', 'zzzqqq'];
const WORDS = ['debian', 'rootfs', 'nginx', 'redis', 'alpine', 'python', 'node', 'golang', 'postgres', 'mysql', 'busybox', 'ubuntu', 'java', 'ruby', 'php',
  'httpd', 'tomcat', 'kafka', 'zookeeper', 'grafana', 'prometheus', 'exporter', 'agent', 'proxy', 'cache', 'worker', 'api', 'web', 'cli', 'tools'];

// mulberry32: the same names on every run.
let seed = 42;
const pick = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (((t ^ (t >>> 14)) >>> 0) % n);
};
const word = () => WORDS[pick(WORDS.length)]!;

let location: string;
let cleanup: () => Promise<void>;
if (dialect === 'sqlite') {
  const dir = mkdtempSync(join(tmpdir(), 'berth-search-scale-'));
  location = join(dir, 'berth.db');
  cleanup = async () => rmSync(dir, { recursive: true, force: true });
} else {
  const db = await createTestDatabase('berth_search_scale');
  location = db.url;
  cleanup = () => db.drop();
}
const meta = await openMetadata({ dialect, location });
try {
  const { db } = meta;
  const now = Date.now();
  const digest = `sha256:${'a'.repeat(64)}`;
  await db.insertInto('manifests').values({ digest, media_type: 'application/vnd.oci.image.manifest.v1+json', size: 100, created_at: now }).execute();
  const rows = Array.from({ length: N }, (_, i) => {
    const project = i % 10 === 0 ? 'library' : `team${pick(300)}`;
    return { name: `${project}/${word()}-${word()}-${i}`, project, created_at: now, updated_at: now + i, description: `The ${word()} image for ${word()} builds`, labels: word(), pull_count: pick(100_000) };
  });
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('repositories').values(rows.slice(i, i + 500)).execute();
  const ids = await db.selectFrom('repositories').select('id').execute();
  for (let i = 0; i < ids.length; i += 500) {
    await db.insertInto('tags').values(ids.slice(i, i + 500).map((r) => ({ repository_id: r.id, name: 'latest', digest, updated_at: now }))).execute();
  }
  await sql`analyze`.execute(db);
  const search = new SearchService({ db, dialect, open: true });
  console.log(`${dialect}, ${N} repositories`);
  for (const q of QUERIES) {
    for (let i = 0; i < 3; i++) await search.search(undefined, { q, n: 25 });
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      total = (await search.search(undefined, { q, n: 25 })).total;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`${q.padEnd(12)} ${String(total).padStart(6)} found  median ${times[10]!.toFixed(2).padStart(7)} ms  p90 ${times[18]!.toFixed(2).padStart(7)} ms`);
  }
} finally {
  await meta.close();
  await cleanup();
}
