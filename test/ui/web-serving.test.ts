// How `berth serve` serves the web UI at `/` (src/http/web.ts, docs/discovery.md): content types,
// a year's cache for hashed assets and none for index.html, index.html for deep links but never
// under /v2, /v1, /api, /auth, /healthz or /metrics, the security headers, no way out of dist/web,
// and a short page instead of a crash when the UI was not built.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { createWebUi } from '../../src/http/web.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { requireBrowserAndBuild, WEB_BUILD } from './helpers/browser.ts';

/** A request with the path sent byte for byte (fetch would normalise `..` away). */
function rawGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((res, rej) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => { body += c; });
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

describe('web UI serving', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let indexHtml: string;
  let jsAsset: string;
  let cssAsset: string;

  before(async () => {
    requireBrowserAndBuild();
    indexHtml = await readFile(WEB_BUILD, 'utf8');
    const assets = await readdir(join(WEB_BUILD, '..', 'assets'));
    jsAsset = `/assets/${assets.find((a) => a.endsWith('.js'))!}`;
    cssAsset = `/assets/${assets.find((a) => a.endsWith('.css'))!}`;
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: 'serving-Admin-pw1' } });
  });
  after(async () => {
    await server?.stop();
  });

  it('serves index.html at / with no-cache and the security headers', async () => {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(await res.text(), indexHtml);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('referrer-policy'));
    assert.ok(res.headers.get('etag'));
  });

  it('serves hashed assets with their content types and a year-long immutable cache, compressed when asked', async () => {
    for (const [path, type] of [[jsAsset, 'text/javascript; charset=utf-8'], [cssAsset, 'text/css; charset=utf-8']] as const) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), type, path);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', path);
      assert.equal(await res.text(), await readFile(join(WEB_BUILD, '..', path), 'utf8'), path);
    }
    const gz = await rawGet(server.url, jsAsset, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    const svg = await fetch(`${server.url}/favicon.svg`);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
  });

  it('answers 304 to a matching If-None-Match, and HEAD without a body', async () => {
    const first = await fetch(`${server.url}${jsAsset}`);
    await first.arrayBuffer();
    const again = await fetch(`${server.url}${jsAsset}`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    assert.equal(again.status, 304);
    const head = await fetch(`${server.url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await head.text(), '');
  });

  it('answers index.html for deep links', async () => {
    for (const path of ['/search?q=nginx', '/r/library/nginx', '/r/acme/team/app/-/tags', '/projects/acme/members', '/admin', '/signin?next=%2Fadmin', '/_/nginx']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.equal(await res.text(), indexHtml, path);
    }
  });

  it('never answers index.html under the registry, API and operational paths', async () => {
    for (const path of ['/v2/nothing/here', '/v1/nothing', '/v1', '/api', '/api/v1/nothing', '/api/other', '/auth/nothing', '/healthz/x', '/metrics/x']) {
      const res = await fetch(`${server.url}${path}`);
      const text = await res.text();
      assert.ok(res.status === 404 || res.status === 401, `${path}: ${res.status}`);
      assert.notEqual(text, indexHtml, path);
      assert.doesNotMatch(res.headers.get('content-type') ?? '', /text\/html/, path);
    }
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.match(health.headers.get('content-type') ?? '', /json/);
    // Only GET and HEAD reach the UI.
    const post = await fetch(`${server.url}/r/library/nginx`, { method: 'POST' });
    assert.equal(post.status, 404);
    assert.notEqual(await post.text(), indexHtml);
  });

  it('answers 404 (not index.html) for a missing hashed asset', async () => {
    const res = await fetch(`${server.url}/assets/index-DOESNOTEXIST.js`);
    assert.equal(res.status, 404);
    assert.notEqual(await res.text(), indexHtml);
  });

  it('cannot be walked out of dist/web', async () => {
    const packageJson = await readFile(join(WEB_BUILD, '..', '..', '..', 'package.json'), 'utf8');
    const attempts = [
      '/../package.json',
      '/../../package.json',
      '/assets/../../package.json',
      '/assets/../../../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..%2f..%2fpackage.json',
      '/%2e%2e%5c%2e%2e%5cpackage.json',
      '/..\\..\\package.json',
      '/assets/..%252f..%252fpackage.json',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/.%2e/.%2e/src/http/web.ts',
      '/index.html%00.js',
    ];
    for (const path of attempts) {
      const res = await rawGet(server.url, path);
      assert.ok(!res.body.includes('"name": "berth"'), `${path} leaked package.json`);
      assert.ok(!res.body.includes(packageJson.slice(0, 60)), `${path} leaked package.json`);
      assert.ok(!res.body.includes('root:x:0:0'), `${path} leaked /etc/passwd`);
      assert.ok(!res.body.includes('createWebUi'), `${path} leaked the source`);
      assert.ok(res.status === 200 || res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      if (res.status === 200) assert.equal(res.body, indexHtml, `${path} answered something other than index.html`);
    }
  });
});

describe('web UI without a build', () => {
  it('answers / with a page that says to run npm run build:web, and keeps the API 404s', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-web-missing-'));
    const secretDir = await mkdtemp(join(tmpdir(), 'berth-web-outside-'));
    await writeFile(join(secretDir, 'secret.txt'), 'do-not-serve');
    const app = Fastify();
    const web = createWebUi({ root: join(root, 'dist', 'web') });
    app.setNotFoundHandler((request, reply) => (web.handle(request, reply) ? reply : reply.code(404).send({ errors: [{ code: 'NOT_FOUND' }] })));
    try {
      const home = await app.inject({ method: 'GET', url: '/' });
      assert.equal(home.statusCode, 200);
      assert.match(home.headers['content-type'] as string, /text\/html/);
      assert.match(home.body, /npm run build:web/);
      assert.match(home.headers['content-security-policy'] as string, /default-src 'self'/);
      const deep = await app.inject({ method: 'GET', url: '/r/library/nginx' });
      assert.equal(deep.statusCode, 404);
      assert.match(deep.body, /npm run build:web/);
      const api = await app.inject({ method: 'GET', url: '/api/v1/nothing' });
      assert.equal(api.statusCode, 404);
      assert.match(api.body, /NOT_FOUND/);

      // A build that appears later is picked up without a restart, and serves only its own files.
      await mkdir(join(root, 'dist', 'web', 'assets'), { recursive: true });
      await writeFile(join(root, 'dist', 'web', 'index.html'), '<!doctype html><title>built</title>');
      await new Promise((r) => setTimeout(r, 2100));
      const built = await app.inject({ method: 'GET', url: '/' });
      assert.equal(built.body, '<!doctype html><title>built</title>');
      const rel = join('..', '..', '..', secretDir.split('/').pop()!, 'secret.txt');
      for (const url of [`/${rel}`, `/assets/${encodeURIComponent(rel)}`, `/${encodeURIComponent(`../../../${secretDir}/secret.txt`)}`]) {
        const r = await app.inject({ method: 'GET', url });
        assert.ok(!r.body.includes('do-not-serve'), `${url} left dist/web`);
      }
    } finally {
      await app.close();
      await rm(root, { recursive: true, force: true });
      await rm(secretDir, { recursive: true, force: true });
    }
  });
});
