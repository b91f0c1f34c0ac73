// The GC torture run (issue 13), shared by the SQLite test and the two-instance PostgreSQL one:
// clients push, retag, delete and pull random images that share layers, across three
// repositories, while the servers' continuous collectors run. The clients behave as docker and
// podman do: HEAD each blob and skip the upload when it is there, sometimes mount it from another
// repository, then PUT the manifest. Afterwards every tag pulls, every stored blob re-hashes to its
// digest, storage holds exactly what the DB references (plus deletions still pending), and no
// client ever saw "blob unknown", "manifest blob unknown" or any other unexpected answer.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { hashStored, storedDigests, type DbFacts } from './gc-checks.ts';
import { call, descriptor, digestOf, MediaType, putManifest, sleep, type Server } from '../integration/helpers.ts';

const REPOS = ['library/torture-a', 'library/torture-b', 'team/torture-c'];
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

interface Image { repo: string; digest: string; manifest: Buffer; blobs: Buffer[] }

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

export interface TortureOptions {
  /** Client i talks to servers[i % servers.length]; all share one database and one store. */
  readonly servers: readonly Server[];
  /** The filesystem store they share. */
  readonly dataDir: string;
  readonly clients: number;
  readonly runMs: number;
  /** What the database holds now. */
  facts(): Promise<DbFacts>;
  /** Rows of digests whose bytes are missing, for the failure message. */
  explain?(digests: string[]): Promise<unknown>;
  logs(): string;
}

export async function torture(options: TortureOptions): Promise<void> {
  const serverOf = (id: number): Server => options.servers[id % options.servers.length]!;
  const pool = Array.from({ length: 24 }, (_, i) => randomBytes(2048 + i * 512));
  const problems: string[] = [];
  const counts = { push: 0, retag: 0, untag: 0, delete: 0, pull: 0, mount: 0, skipped: 0, uploaded: 0 };
  const problem = (what: string) => { if (problems.length < 50) problems.push(what); };

  async function ensureBlob(repo: string, data: Buffer, id: number): Promise<void> {
    const srv = serverOf(id);
    const digest = digestOf(data);
    doing[id] = { what: `ensureBlob ${repo} ${digest.slice(0, 19)}`, since: Date.now() };
    const head = await call(srv, 'HEAD', `/v2/${repo}/blobs/${digest}`);
    await head.arrayBuffer();
    if (head.status === 200) { counts.skipped++; return; }
    if (head.status !== 404) return problem(`HEAD ${repo} blob: ${head.status}`);
    let res: Response;
    if (Math.random() < 0.3) {
      const from = pick(REPOS.filter((r) => r !== repo));
      res = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`);
      await res.arrayBuffer();
      if (res.status === 201) { counts.mount++; return; }
      if (res.status !== 202) return problem(`mount into ${repo}: ${res.status}`);
    } else {
      res = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/`);
      await res.arrayBuffer();
      if (res.status !== 202) return problem(`POST upload ${repo}: ${res.status}`);
    }
    const loc = new URL(res.headers.get('location')!, srv.url);
    loc.searchParams.set('digest', digest);
    const put = await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: data });
    const text = await put.text();
    if (put.status !== 201) return problem(`PUT blob ${repo}: ${put.status} ${text.slice(0, 200)}`);
    counts.uploaded++;
  }

  // What each client is doing, for the watchdog: a request that hangs is a failure too.
  const doing: { what: string; since: number }[] = Array.from({ length: options.clients }, () => ({ what: 'starting', since: Date.now() }));
  const watchdog = setInterval(() => {
    for (const [i, d] of doing.entries()) if (Date.now() - d.since > 30_000) problem(`client ${i} stuck for ${Math.round((Date.now() - d.since) / 1000)} s in ${d.what}`);
  }, 5000);

  // The run lasts runMs, and longer (up to 3x) until it has done enough work to mean something: on
  // a loaded machine (CI runs suites side by side) 20 s may hold too few deletes to prove anything.
  const enough = () => counts.push > 200 && counts.delete + counts.untag > 100 && counts.pull > 100;
  const going = (deadline: number, hardDeadline: number) => Date.now() < deadline || (!enough() && Date.now() < hardDeadline);

  async function client(id: number, deadline: number, hardDeadline: number): Promise<void> {
    const srv = serverOf(id);
    const tags = new Map<string, Image>();
    let n = 0;
    while (going(deadline, hardDeadline)) {
      const roll = Math.random();
      doing[id] = { what: `op ${roll.toFixed(2)} with ${tags.size} tags`, since: Date.now() };
      const own = [...tags.keys()];
      if (roll < 0.4 || own.length < 2) {
        const repo = pick(REPOS);
        const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', salt: `${id}-${n++}-${randomBytes(4).toString('hex')}` }));
        const layers = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => pick(pool));
        if (Math.random() < 0.3) layers.push(randomBytes(1500));
        const unique = [...new Map(layers.map((l) => [digestOf(l), l])).values()];
        for (const b of [...unique, config]) await ensureBlob(repo, b, id);
        doing[id] = { what: `PUT manifest ${repo}`, since: Date.now() };
        const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: descriptor(MediaType.OciConfig, config), layers: unique.map((l) => descriptor(LAYER, l)) }));
        const tag = `c${id}-${Math.floor(Math.random() * 6)}`;
        const res = await putManifest(srv, repo, tag, manifest, MediaType.OciManifest);
        const text = await res.text();
        if (res.status !== 201) { problem(`PUT manifest ${repo}:${tag}: ${res.status} ${text.slice(0, 300)}`); continue; }
        // A tag names one image per client: a push to a tag this client used in another repository drops that entry.
        tags.set(tag, { repo, digest: digestOf(manifest), manifest, blobs: [...unique, config] });
        counts.push++;
      } else if (roll < 0.55) {
        const from = tags.get(pick(own))!;
        const tag = `c${id}-${Math.floor(Math.random() * 6)}`;
        if (tags.get(tag) && tags.get(tag)!.repo !== from.repo) continue;
        const res = await putManifest(srv, from.repo, tag, from.manifest, MediaType.OciManifest);
        const text = await res.text();
        if (res.status !== 201) { problem(`retag ${from.repo}:${tag}: ${res.status} ${text.slice(0, 300)}`); continue; }
        tags.set(tag, from);
        counts.retag++;
      } else if (roll < 0.68) {
        const tag = pick(own);
        const image = tags.get(tag)!;
        const res = await call(srv, 'DELETE', `/v2/${image.repo}/manifests/${tag}`);
        await res.arrayBuffer();
        if (res.status !== 202) { problem(`untag ${image.repo}:${tag}: ${res.status}`); continue; }
        tags.delete(tag);
        counts.untag++;
      } else if (roll < 0.76) {
        const image = tags.get(pick(own))!;
        const res = await call(srv, 'DELETE', `/v2/${image.repo}/manifests/${image.digest}`);
        await res.arrayBuffer();
        if (res.status !== 202) { problem(`delete ${image.repo}@${image.digest}: ${res.status}`); continue; }
        for (const [t, i] of tags) if (i.digest === image.digest) tags.delete(t);
        counts.delete++;
      } else {
        const tag = pick(own);
        const image = tags.get(tag)!;
        const res = await call(srv, 'GET', `/v2/${image.repo}/manifests/${tag}`, { headers: { accept: MediaType.OciManifest } });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200 || digestOf(body) !== image.digest) { problem(`pull ${image.repo}:${tag}: ${res.status} ${body.toString().slice(0, 200)}`); continue; }
        for (const b of image.blobs) {
          const blob = await call(srv, 'GET', `/v2/${image.repo}/blobs/${digestOf(b)}`);
          const data = Buffer.from(await blob.arrayBuffer());
          if (blob.status !== 200 || !data.equals(b)) problem(`pull blob of ${image.repo}:${tag}: ${blob.status} ${data.toString().slice(0, 200)}`);
        }
        counts.pull++;
      }
    }
  }

  try {
    const deadline = Date.now() + options.runMs;
    const hardDeadline = Date.now() + 3 * options.runMs;
    await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i, deadline, hardDeadline).catch((error: unknown) => {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      problem(`client ${i} stopped: ${(error as Error).message} ${cause?.code ?? cause?.message ?? ''}`);
    })));
    process.stderr.write(`torture: clients done: ${JSON.stringify(counts)}; problems: ${JSON.stringify(problems.slice(0, 10))}\n`);
    if (problems.length) process.stderr.write(`torture: server log tail:\n${options.logs().split('\n').slice(-40).join('\n')}\n`);
    clearInterval(watchdog);
    const during = problems.slice();

    // Let the collector finish what became due (review delay 2 s, passes every 0.2 s).
    await sleep(3500);
    let facts = await options.facts();
    for (let i = 0; i < 20 && facts.pendingDeletes.size > 0; i++) {
      await sleep(250);
      facts = await options.facts();
    }

    const srv = options.servers[0]!;
    process.stderr.write('torture: checking tags\n');
    // Every tag pulls, with every blob.
    let tagsPulled = 0;
    for (const repo of REPOS) {
      const list = await (await call(srv, 'GET', `/v2/${repo}/tags/list`)).json() as { tags?: string[] | null };
      for (const tag of list.tags ?? []) {
        const res = await call(srv, 'GET', `/v2/${repo}/manifests/${tag}`, { headers: { accept: MediaType.OciManifest } });
        const body = Buffer.from(await res.arrayBuffer());
        assert.equal(res.status, 200, `${repo}:${tag} pulls after the run`);
        const m = JSON.parse(body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
        for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
          const blob = await call(srv, 'GET', `/v2/${repo}/blobs/${d}`);
          const data = Buffer.from(await blob.arrayBuffer());
          assert.equal(blob.status, 200, `${repo}:${tag} blob ${d}`);
          assert.equal(`sha256:${createHash('sha256').update(data).digest('hex')}`, d, 'served bytes hash to their digest');
        }
        tagsPulled++;
      }
    }

    process.stderr.write('torture: checking storage\n');
    // Every stored blob re-hashes to its digest; storage holds what the DB references, nothing else.
    // Rows read before and after the listing: a row there both times must have had its bytes.
    const factsBefore = await options.facts();
    const stored = await storedDigests(options.dataDir);
    facts = await options.facts();
    for (const d of stored) {
      // A collector may still be removing what became garbage; what vanished is not checked.
      const actual = await hashStored(options.dataDir, d).catch((error: NodeJS.ErrnoException) => { if (error.code === 'ENOENT') return d; throw error; });
      assert.equal(actual, d, `stored ${d} re-hashes to its digest`);
    }
    const extra = [...stored].filter((d) => !facts.referenced.has(d) && !facts.pendingDeletes.has(d) && !factsBefore.pendingDeletes.has(d));
    const missing = [...facts.referenced].filter((d) => factsBefore.referenced.has(d) && !stored.has(d));
    process.stderr.write(`torture: ${tagsPulled} tags pull at the end; ${stored.size} stored objects, ${facts.blobRows} blob rows, ${facts.manifestRows} manifest rows, ${facts.pendingDeletes.size} deletions pending, ${facts.queued} reviews queued\n`);
    if (missing.length) process.stderr.write(`torture: missing bytes of ${JSON.stringify(await options.explain?.(missing.slice(0, 5)), null, 1)}\n`);
    assert.deepEqual(missing, [], 'no row points at missing bytes');
    assert.deepEqual(extra, [], 'no bytes without rows (beyond deletions still pending)');
    assert.deepEqual(during, [], 'no client saw an unexpected answer (blob unknown, manifest blob unknown, ...)');
    assert.ok(enough(), `the run did real work: ${JSON.stringify(counts)}`);
    assert.ok(stored.size < counts.uploaded, 'GC removed bytes during the run');
  } finally {
    clearInterval(watchdog);
  }
}
