// The web UI: serves dist/web (the `vite build` of web/) at `/`. Files are read once into memory
// (the build is a few hundred kB), so only files that exist in the build can ever be served: no
// request path reaches the file system, and path traversal is impossible by construction.
// Hashed assets under /assets/ are cached for a year; index.html is revalidated every time.
// Any other GET that is not under /v2, /v1, /api, /auth, /healthz, /readyz or /metrics answers index.html,
// so the UI's deep links work. Without a build, `/` answers a short page saying how to make one.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Paths the UI never answers: the registry, the API and the operational endpoints keep their 404s. */
const RESERVED = ['/v2', '/v1', '/api', '/auth', '/healthz', '/readyz', '/metrics'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};

const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json|javascript)|image\/svg\+xml)/;

/** The security headers of every UI answer. The UI loads only its own scripts and styles and talks only to its own origin. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

interface WebFile {
  readonly body: Buffer;
  readonly gzip?: Buffer;
  readonly br?: Buffer;
  readonly type: string;
  readonly etag: string;
  readonly cache: string;
}

/** The package root: the nearest folder above this file with Berth's package.json (src/http under tsx, dist/http after tsc). */
export function packageRoot(from: string = import.meta.dirname): string {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'berth') return dir;
      } catch {
        /* not ours; keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve(from, '..', '..');
    dir = up;
  }
}

export function defaultWebRoot(): string {
  return join(packageRoot(), 'dist', 'web');
}

function isReserved(path: string): boolean {
  return RESERVED.some((p) => path === p || path.startsWith(`${p}/`));
}

function load(root: string): Map<string, WebFile> | undefined {
  if (!existsSync(join(root, 'index.html'))) return undefined;
  const files = new Map<string, WebFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) {
        walk(full);
        continue;
      }
      if (!st.isFile()) continue;
      const urlPath = `/${relative(root, full).split(sep).join('/')}`;
      const body = readFileSync(full);
      const type = TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
      const compress = COMPRESSIBLE.test(type) && body.length > 1024;
      files.set(urlPath, {
        body,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        cache: urlPath === '/index.html'
          ? 'no-cache'
          : urlPath.startsWith('/assets/')
            ? 'public, max-age=31536000, immutable'
            : 'public, max-age=3600',
        ...(compress
          ? {
              gzip: gzipSync(body, { level: 9 }),
              br: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
            }
          : {}),
      });
    }
  };
  walk(root);
  return files;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Berth</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Berth is running</h1>
<p>The web UI has not been built. Run <code>npm run build:web</code> in Berth's folder (or <code>npm start</code>, which builds it), then reload this page.</p>
<p>The registry answers at <a href="/v2/">/v2/</a> and the management API at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
`;

export interface WebOptions {
  /** The built UI; dist/web under the package root when omitted. */
  readonly root?: string;
}

export interface WebUi {
  /**
   * Answers a request the UI owns (GET or HEAD outside the reserved prefixes) and returns true,
   * or returns false and leaves the request to the caller (the 404 handler).
   */
  handle(request: FastifyRequest, reply: FastifyReply): boolean;
}

export function createWebUi(options: WebOptions = {}): WebUi {
  const root = resolve(options.root ?? defaultWebRoot());
  let files: Map<string, WebFile> | undefined;
  let checkedAt = 0;
  // A missing build is looked for again (at most every 2 s), so building while Berth runs works.
  const current = () => {
    if (!files && Date.now() - checkedAt > 2000) {
      checkedAt = Date.now();
      files = load(root);
    }
    return files;
  };

  const send = (request: FastifyRequest, reply: FastifyReply, file: WebFile, status = 200) => {
    reply.headers(SECURITY_HEADERS);
    reply.header('Cache-Control', file.cache).header('ETag', file.etag).header('Vary', 'Accept-Encoding');
    if (status === 200 && request.headers['if-none-match'] === file.etag) {
      reply.code(304).send();
      return;
    }
    const accept = String(request.headers['accept-encoding'] ?? '');
    let body = file.body;
    if (file.br && /\bbr\b/.test(accept)) {
      body = file.br;
      reply.header('Content-Encoding', 'br');
    } else if (file.gzip && /\bgzip\b/.test(accept)) {
      body = file.gzip;
      reply.header('Content-Encoding', 'gzip');
    }
    reply.code(status).type(file.type).header('Content-Length', String(body.length));
    reply.send(request.method === 'HEAD' ? undefined : body);
  };

  return {
    handle(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const raw = request.url.split('?')[0] ?? '/';
      let path: string;
      try {
        path = decodeURIComponent(raw);
      } catch {
        path = raw;
      }
      if (isReserved(raw) || isReserved(path)) return false;
      request.routeKind = 'web';
      const built = current();
      if (!built) {
        reply.headers(SECURITY_HEADERS);
        reply.code(raw === '/' ? 200 : 404).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(request.method === 'HEAD' ? undefined : NOT_BUILT);
        return true;
      }
      const file = built.get(path === '/' ? '/index.html' : path);
      if (file) {
        send(request, reply, file);
        return true;
      }
      // A missing hashed asset is a real 404 (an old page asking for a file the new build replaced).
      if (path.startsWith('/assets/')) return false;
      send(request, reply, built.get('/index.html')!);
      return true;
    },
  };
}
