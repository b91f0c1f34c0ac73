// The fastify application: request ids, JSON logs, the error mapper, metrics, health, and the
// /v2 protocol. Bodies are never parsed by fastify: the raw request stream is the upload body.
import { randomUUID } from 'node:crypto';
import type { TlsMaterial } from './tls.ts';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AuthProvider } from '../auth/provider.ts';
import { RegistryError } from '../core/errors.ts';
import type { Registry } from '../registry/registry.ts';
import { hasBody, setBodyDeadline } from './body.ts';
import { sendError } from './errors.ts';
import type { HttpMetrics } from './metrics.ts';
import { registerHealthRoutes, type Readiness } from './health.ts';
import type { DeniedListener } from './oci/access.ts';
import { registerOciRoutes } from './oci/router.ts';
import { createWebUi } from './web.ts';

export interface AppOptions {
  readonly registry: Registry;
  readonly auth: AuthProvider;
  readonly publicUrl: string;
  readonly logLevel: string;
  /** Readiness for /readyz: resolves when the database and storage answer (health.ts). */
  readonly readiness: Readiness;
  /** The HTTP metrics this app records; served by the metrics listener, not here. */
  readonly httpMetrics: HttpMetrics;
  /** server.trustProxy: the proxies whose X-Forwarded-* headers are believed. */
  readonly trustProxy?: readonly string[];
  /** Small bodies must arrive within this long of their headers (server.bodyTimeoutSeconds). */
  readonly bodyTimeoutMs: number;
  /** A connection that moves no bytes this long is closed (server.idleTimeoutSeconds). */
  readonly idleTimeoutMs: number;
  /** Told about 403 refusals on /v2, for the audit log. */
  readonly onDenied?: DeniedListener;
  /** Serve HTTPS with this certificate (server.tls); plain HTTP when absent. */
  readonly tls?: TlsMaterial;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function buildApp(options: AppOptions): FastifyInstance {
  const app = (Fastify as unknown as (o: object) => FastifyInstance)({
    logger: {
      level: options.logLevel,
      // Secrets never reach the logs.
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Fastify's two lines per request are replaced by one access-log line (below).
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Uploads stream for as long as the client sends, so there is no total request time;
    // a connection that moves no bytes for idleTimeoutMs is closed (a stalled upload rolls its
    // chunk back), and small bodies have their own deadline (setBodyDeadline below).
    requestTimeout: 0,
    connectionTimeout: options.idleTimeoutMs,
    keepAliveTimeout: Math.min(75_000, options.idleTimeoutMs),
    // Headers that trickle in are cut off like small bodies are; Node checks every second.
    ...(options.tls
      ? { https: { ...options.tls, headersTimeout: options.bodyTimeoutMs, connectionsCheckingInterval: 1000 } }
      : { http: { headersTimeout: options.bodyTimeoutMs, connectionsCheckingInterval: 1000 } }),
    return503OnClosing: true,
    // X-Forwarded-* only from the configured proxies (request.ip, .protocol and .host follow them).
    ...(options.trustProxy?.length ? { trustProxy: [...options.trustProxy] } : {}),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 4096 },
  });

  // Leave every body unread for the handlers: blobs stream to storage, manifests are read with a limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    setBodyDeadline(request.raw, Date.now() + options.bodyTimeoutMs);
  });
  // A body the handler answered without reading is not drained at the client's pace: the
  // connection closes after the answer. Blob uploads are exempt: a client sending a large chunk
  // must be able to read the refusal after it (docker and podman do not read before sending).
  app.addHook('onSend', async (request, reply, payload) => {
    if (hasBody(request.raw) && !request.raw.complete && !isBlobUpload(request.raw)) reply.header('Connection', 'close');
    return payload;
  });
  // One access-log line per request (method, path, status, time), never headers or bodies.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime), ip: request.ip }, 'request');
  });

  options.httpMetrics.install(app);

  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  // The web UI (dist/web) answers GETs no route took, outside /v2, /api and the other reserved paths.
  const web = createWebUi();
  app.setNotFoundHandler((request, reply) => (web.handle(request, reply) ? reply : sendError(request, reply, new RegistryError('NOT_FOUND'))));

  registerHealthRoutes(app, options.readiness);
  registerOciRoutes(app, { registry: options.registry, auth: options.auth, publicUrl: options.publicUrl, ...(options.onDenied ? { onDenied: options.onDenied } : {}) });
  return app;
}

/** /v2 upload requests, whose bodies stream to storage (POST, PATCH and PUT under /blobs/uploads/). */
function isBlobUpload(req: { method?: string; url?: string }): boolean {
  return req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE' && (req.url ?? '').startsWith('/v2/') && (req.url ?? '').includes('/blobs/uploads/');
}
