// The metrics listener (server.metrics.listen, default 127.0.0.1:5001): /metrics, /healthz and
// /readyz on their own address, like Distribution's debug address. Prometheus output names
// repositories' traffic and the process's internals, so it stays off the registry port, where
// anyone who can pull could read it; loopback by default, and an operator who scrapes from
// another machine chooses the address (and a firewall) deliberately.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry as PromRegistry } from 'prom-client';
import type { Readiness } from './health.ts';

export interface MetricsListener {
  /** e.g. http://127.0.0.1:5001 */
  readonly address: string;
  close(): Promise<void>;
}

export interface MetricsListenerOptions {
  readonly host: string;
  readonly port: number;
  /** Read at each scrape: features add their registries after the server is built. */
  readonly registries: () => readonly PromRegistry[];
  readonly readiness: Readiness;
  readonly onError: (error: unknown) => void;
}

export async function startMetricsListener(options: MetricsListenerOptions): Promise<MetricsListener> {
  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      options.onError(error);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE'
        ? new Error(`server.metrics.listen ${options.host}:${options.port} is in use; set server.metrics.listen (BERTH_SERVER_METRICS_LISTEN) to a free address, or to "" to turn the metrics listener off`)
        : error);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', options.onError);
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    address: `http://${shownHost}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: MetricsListenerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  if (path === '/metrics') {
    const registries = options.registries();
    const text = (await Promise.all(registries.map((r) => r.metrics()))).join('\n');
    return send(res, 200, registries[0]?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8', text, req.method === 'HEAD');
  }
  if (path === '/healthz') return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }), req.method === 'HEAD');
  if (path === '/readyz') {
    const report = await options.readiness.report();
    return send(res, report.ready ? 200 : 503, 'application/json', JSON.stringify({ status: report.ready ? 'ready' : 'unavailable', checks: report.checks }), req.method === 'HEAD');
  }
  send(res, 404, 'text/plain; charset=utf-8', 'not found: this listener serves /metrics, /healthz and /readyz\n');
}

function send(res: ServerResponse, status: number, type: string, body: string, head = false): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}
