// Liveness and readiness, as orchestrators probe them:
// - /healthz (liveness): the process answers. It never looks at the database, so a database
//   outage does not get every instance restarted;
// - /readyz (readiness): the database and the storage answer, so a load balancer sends traffic
//   only to an instance that can serve it. During shutdown both answer 503 (return503OnClosing).
// Both are unauthenticated and cheap: a readiness result is reused for a second, so a flood of
// probes costs one database query and one storage write per second.
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  /** Each check's outcome: "ok", or what failed (no secrets: error messages only). */
  readonly checks: Readonly<Record<string, string>>;
}

export class Readiness {
  private last: { at: number; report: Promise<ReadinessReport> } | undefined;

  constructor(private readonly checks: readonly ReadinessCheck[], private readonly cacheMs = 1000, private readonly timeoutMs = 5000) {}

  report(): Promise<ReadinessReport> {
    const now = Date.now();
    if (this.last && now - this.last.at < this.cacheMs) return this.last.report;
    const report = this.run();
    this.last = { at: now, report };
    return report;
  }

  private async run(): Promise<ReadinessReport> {
    const outcomes = await Promise.all(this.checks.map(async (c) => [c.name, await this.one(c)] as const));
    return { ready: outcomes.every(([, o]) => o === 'ok'), checks: Object.fromEntries(outcomes) };
  }

  private async one(c: ReadinessCheck): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.check(),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs); }),
      ]);
      return 'ok';
    } catch (error) {
      return (error as Error).message || String(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Sends a readiness answer: 200 when ready, 503 with the failing checks otherwise. */
export async function sendReadiness(readiness: Readiness, reply: FastifyReply, log: { warn: (o: object, m: string) => void }): Promise<FastifyReply> {
  const report = await readiness.report();
  if (!report.ready) log.warn({ checks: report.checks }, 'not ready');
  return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'unavailable', checks: report.checks });
}

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', async (request, reply) => {
    request.routeKind = 'healthz';
    return reply.code(200).send({ status: 'ok' });
  });
  app.get('/readyz', async (request, reply) => {
    request.routeKind = 'readyz';
    return sendReadiness(readiness, reply, request.log);
  });
}

/**
 * The storage answers when a small object can be written and read back: a read-only or full
 * volume (or an unreachable bucket) is not ready, though a plain stat would still succeed.
 */
export async function probeStorage(storage: { put(path: string, bytes: Uint8Array): Promise<number>; stat(path: string): Promise<{ size: number } | undefined> }): Promise<void> {
  const body = Buffer.from(`${Date.now()}\n`);
  await storage.put('_health/readyz', body);
  const info = await storage.stat('_health/readyz');
  if (!info) throw new Error('storage: a probe object written just now is not there');
}
