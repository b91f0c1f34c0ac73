// GET /v1/search (docs/discovery.md, Docker-compatible search) over real HTTP in every auth mode:
// the Docker Hub answer shape, is_official and the short name, n and page, bad parameters (400
// with a JSON error, never a 500), and visibility (builtin: Basic credentials widen it;
// htpasswd: a login is needed; none: everything).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, call, expectStatus, startApiServer } from './api-helpers.ts';
import { basicHeader, pushTinyImage, sqliteRepoEditor, type RepoEditor } from './search-helpers.ts';

interface Answer {
  num_results: number;
  num_pages: number;
  page: number;
  page_size: number;
  query: string;
  results: { name: string; description: string; star_count: number; pull_count: number; is_official: boolean; is_automated: boolean; is_trusted: boolean }[];
}

async function dockerSearch(server: BerthProcess, query: string, authorization?: string): Promise<{ status: number; body: Answer & { errors?: { code: string }[] }; type: string | null }> {
  const res = await fetch(`${server.url}/v1/search${query}`, { headers: authorization ? { authorization } : {} });
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { assert.fail(`not JSON (${res.status}): ${text}`); }
  return { status: res.status, body: body as Answer & { errors?: { code: string }[] }, type: res.headers.get('content-type') };
}

describe('GET /v1/search, auth none', () => {
  let server: BerthProcess;
  let editor: RepoEditor;
  before(async () => {
    server = await startBerth();
    editor = sqliteRepoEditor(server.dataDir);
    await pushTinyImage(server.url, 'library/nginx', 'latest');
    await pushTinyImage(server.url, 'acme/nginx-proxy', 'v1');
    await pushTinyImage(server.url, 'acme/webserver', 'v1');
    for (let i = 1; i <= 5; i++) await pushTinyImage(server.url, `tools/tool-${i}`, 'v1');
    await editor.set('library/nginx', { description: 'Official build of Nginx.\n\nSecond   paragraph.', star_count: 42, pull_count: 1234 });
    await editor.set('acme/nginx-proxy', { description: 'Reverse proxy', star_count: 3, pull_count: 10 });
    await editor.set('acme/webserver', { description: 'A webserver built on nginx', star_count: 1, pull_count: 5 });
  });
  after(async () => { await editor?.close(); await server?.stop(); });

  it('answers the Docker Hub shape: short names for library, official flag, counts, one-line descriptions', async () => {
    const res = await dockerSearch(server, '?q=nginx&n=25');
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /^application\/json/);
    assert.deepEqual(res.body, {
      num_results: 3,
      num_pages: 1,
      page: 1,
      page_size: 25,
      query: 'nginx',
      results: [
        { name: 'nginx', description: 'Official build of Nginx. Second paragraph.', star_count: 42, pull_count: 1234, is_official: true, is_automated: false, is_trusted: false },
        { name: 'acme/nginx-proxy', description: 'Reverse proxy', star_count: 3, pull_count: 10, is_official: false, is_automated: false, is_trusted: false },
        { name: 'acme/webserver', description: 'A webserver built on nginx', star_count: 1, pull_count: 5, is_official: false, is_automated: false, is_trusted: false },
      ],
    });
  });

  it('finds parts of names, as Distribution\'s catalog filter does ("ebserv" is in acme/webserver, "ginx" in both nginx)', async () => {
    assert.deepEqual((await dockerSearch(server, '?q=ebserv')).body.results.map((r) => r.name), ['acme/webserver']);
    // Parts of names only: acme/webserver has nginx in its description, not its name. By pulls.
    assert.deepEqual((await dockerSearch(server, '?q=ginx')).body.results.map((r) => r.name), ['nginx', 'acme/nginx-proxy']);
  });

  it('pages with n and page; defaults are n=25, page=1; no q lists everything', async () => {
    const p3 = await dockerSearch(server, '?q=tool&n=2&page=3');
    assert.equal(p3.status, 200);
    assert.deepEqual({ ...p3.body, results: p3.body.results.map((r) => r.name) }, { num_results: 5, num_pages: 3, page: 3, page_size: 2, query: 'tool', results: ['tools/tool-5'] });
    const walked: string[] = [];
    for (let page = 1; page <= 3; page++) walked.push(...(await dockerSearch(server, `?q=tool&n=2&page=${page}`)).body.results.map((r) => r.name));
    assert.deepEqual(walked.sort(), ['tools/tool-1', 'tools/tool-2', 'tools/tool-3', 'tools/tool-4', 'tools/tool-5']);
    const all = await dockerSearch(server, '');
    assert.deepEqual({ n: all.body.num_results, size: all.body.page_size, page: all.body.page, query: all.body.query }, { n: 8, size: 25, page: 1, query: '' });
    const none = await dockerSearch(server, '?q=nothingmatches');
    assert.deepEqual({ ...none.body }, { num_results: 0, num_pages: 0, page: 1, page_size: 25, query: 'nothingmatches', results: [] });
  });

  it('bad n, page or q: 400 with a JSON error, never a 500', async () => {
    for (const bad of ['n=0', 'n=101', 'n=abc', 'n=-5', 'n=2.5', 'n=', 'page=0', 'page=-1', 'page=x', 'page=99999999999', 'q=a&q=b', `q=${'x'.repeat(2000)}`]) {
      const res = await dockerSearch(server, `?${bad}`);
      assert.equal(res.status, 400, `${bad}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.errors?.[0]?.code, 'INVALID_REQUEST', bad);
    }
    for (const q of ['"', '*', 'AND', 'NEAR(', 'nginx"*', ')(', '\'']) {
      const res = await dockerSearch(server, `?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body)}`);
    }
  });
});

describe('GET /v1/search, auth builtin', () => {
  let server: BerthProcess;
  let editor: RepoEditor;
  before(async () => {
    server = await startApiServer();
    editor = sqliteRepoEditor(server.dataDir);
    await addUser(server, 'alice');
    await addUser(server, 'bob');
    expectStatus(await call(server, 'POST', '/projects', { as: ['alice', 'alice-password'], body: { name: 'acme', visibility: 'private' } }), 201);
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'vendor', visibility: 'public' } }), 201);
    expectStatus(await call(server, 'PATCH', '/projects/vendor', { as: ADMIN, body: { verified: true } }), 200);
    const admin = basicHeader(...ADMIN);
    for (const repo of ['library/nginx', 'acme/nginx-private', 'vendor/nginx-agent']) await pushTinyImage(server.url, repo, 'latest', admin);
  });
  after(async () => { await editor?.close(); await server?.stop(); });

  it('anonymous callers get 401 while a repository is private, whatever the text: a signed-in client then searches with its login', async () => {
    // Registry-wide, never per query: the same answer for text that matches the private
    // repository, text that matches only public ones, and text that matches nothing.
    for (const q of ['?q=nginx-private', '?q=nginx', '?q=nothingatall', '']) {
      const anon = await dockerSearch(server, q);
      assert.equal(anon.status, 401, q);
      assert.equal(anon.body.errors?.[0]?.code, 'UNAUTHORIZED');
      const res = await fetch(`${server.url}/v1/search${q}`);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Berth Registry"');
      await res.arrayBuffer();
    }
    // The API's search answers anonymous callers with what they may see.
    const api = expectStatus(await call(server, 'GET', '/search?q=nginx'), 200).body;
    assert.deepEqual(api.results.map((r: { name: string }) => r.name).sort(), ['library/nginx', 'vendor/nginx-agent']);
  });

  it('Basic credentials see what they may pull; bad ones are 401', async () => {
    const anon = await dockerSearch(server, '?q=nginx', basicHeader('bob', 'bob-password'));
    assert.equal(anon.status, 200);
    assert.deepEqual(anon.body.results.map((r) => r.name).sort(), ['nginx', 'vendor/nginx-agent']);
    assert.equal(anon.body.num_results, 2, 'the private repository is not counted');
    assert.deepEqual(anon.body.results.find((r) => r.name === 'vendor/nginx-agent')?.is_trusted, true);
    const member = await dockerSearch(server, '?q=nginx', basicHeader('alice', 'alice-password'));
    assert.deepEqual(member.body.results.map((r) => r.name).sort(), ['acme/nginx-private', 'nginx', 'vendor/nginx-agent']);
    assert.equal(member.body.num_results, 3);
    const bad = await dockerSearch(server, '?q=nginx', basicHeader('alice', 'wrong'));
    assert.equal(bad.status, 401);
    assert.equal(bad.body.errors?.[0]?.code, 'UNAUTHORIZED');
  });
});

describe('GET /v1/search, auth builtin, nothing hidden from anonymous callers', () => {
  let server: BerthProcess;
  before(async () => {
    server = await startApiServer();
    // A private project with no tagged repository hides nothing a search could show.
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'quiet', visibility: 'private' } }), 201);
    const admin = basicHeader(...ADMIN);
    await pushTinyImage(server.url, 'quiet/untagged', undefined, admin);
    await pushTinyImage(server.url, 'library/nginx', 'latest', admin);
  });
  after(async () => { await server?.stop(); });

  it('answers anonymous callers with the full answer', async () => {
    const anon = await dockerSearch(server, '?q=nginx');
    assert.equal(anon.status, 200, JSON.stringify(anon.body));
    assert.deepEqual(anon.body.results.map((r) => r.name), ['nginx']);
  });
});

describe('GET /v1/search, auth htpasswd', () => {
  let dir: string;
  let server: BerthProcess;
  const good = basicHeader('alice', 'correct horse');
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-docker-search-'));
    const file = join(dir, 'htpasswd');
    await writeFile(file, `alice:${bcrypt.hashSync('correct horse', 5).replace(/^\$2b\$/, '$2y$')}\n`);
    server = await startBerth({ dataDir: join(dir, 'data'), auth: 'htpasswd', config: { auth: { htpasswdFile: file } } });
    await pushTinyImage(server.url, 'team/nginx', 'v1', good);
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('needs a login, as every read does here; with one, everything is visible', async () => {
    const anon = await dockerSearch(server, '?q=nginx');
    assert.equal(anon.status, 401);
    const res = await dockerSearch(server, '?q=nginx', good);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.results.map((r) => r.name), ['team/nginx']);
    assert.equal((await dockerSearch(server, '?q=nginx', basicHeader('alice', 'nope'))).status, 401);
  });
});
