// Prometheus metrics for /metrics: request counts and latency by route kind, bytes in and out.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

declare module 'fastify' {
  interface FastifyRequest {
    /** A low-cardinality route label, e.g. "manifest_get"; set by the router. */
    routeKind?: string;
    /** Body bytes received, when the handler counted them (chunked uploads). */
    bytesIn?: number;
  }
}

export class HttpMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'berth_http_requests_total', help: 'HTTP requests by route kind, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'berth_http_request_duration_seconds', help: 'HTTP request latency by route kind', labelNames: ['route', 'method'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60], registers: [this.registry] });
  private readonly bytesIn = new Counter({ name: 'berth_http_received_bytes_total', help: 'Request body bytes received', registers: [this.registry] });
  private readonly bytesOut = new Counter({ name: 'berth_http_sent_bytes_total', help: 'Response body bytes sent', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
  }

  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeKind ?? 'other';
      const status = String(reply.statusCode);
      this.requests.inc({ route, method: request.method, status });
      this.duration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
      const inBytes = request.bytesIn ?? Number(request.headers['content-length'] ?? 0);
      if (inBytes > 0) this.bytesIn.inc(inBytes);
      const outBytes = Number(reply.getHeader('content-length') ?? 0);
      if (outBytes > 0 && request.method !== 'HEAD') this.bytesOut.inc(outBytes);
    });
  }
}
