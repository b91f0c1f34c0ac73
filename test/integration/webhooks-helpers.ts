// Helpers for the webhook suites: a real HTTP receiver on loopback that records what it gets,
// and pushes of small images over /v2.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { digestOf } from '../../src/core/digest.ts';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
  /** What the receiver answered. */
  readonly status: number;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Resolves when `count` requests matching `pred` arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs: number, pred?: (r: Received) => boolean): Promise<Received[]>;
  close(): Promise<void>;
}

/** `answer(n)` gives the status of the n-th request (0-based) and an optional delay. */
export async function startReceiver(answer: (n: number, body: string) => number | { status: number; delayMs: number } = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  let n = 0;
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const a = answer(n++, body);
      const { status, delayMs } = typeof a === 'number' ? { status: a, delayMs: 0 } : a;
      const reply = () => {
        received.push({ headers: req.headers, body, at: Date.now(), status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `receiver says ${status}`);
        for (const w of waiters) w();
      };
      if (delayMs) setTimeout(reply, delayMs);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    waitFor(count, timeoutMs, pred = (r) => r.status < 300) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const got = received.filter(pred);
          if (got.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(got);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${received.filter(pred).length} of ${count} expected requests within ${timeoutMs} ms (${received.length} in all)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Pushes a one-layer image (config and layer uploaded once per repository) and returns its digest. */
export class Pusher {
  private readonly uploaded = new Set<string>();
  constructor(private readonly base: string, private readonly authorization?: string) {}

  async push(repository: string, tag: string, salt = randomBytes(8).toString('hex')): Promise<string> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
    const layer = Buffer.from('berth webhook test layer');
    const headers: Record<string, string> = this.authorization ? { authorization: this.authorization } : {};
    if (!this.uploaded.has(repository)) {
      for (const blob of [config, layer]) {
        const r = await fetch(`${this.base}/v2/${repository}/blobs/uploads/?digest=${digestOf(blob)}`, { method: 'POST', body: blob, headers: { ...headers, 'content-type': 'application/octet-stream' } });
        if (r.status !== 201) throw new Error(`blob upload to ${repository}: ${r.status} ${await r.text()}`);
      }
      this.uploaded.add(repository);
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
      annotations: { salt },
    });
    const r = await fetch(`${this.base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    if (r.status !== 201) throw new Error(`manifest push ${repository}:${tag}: ${r.status} ${await r.text()}`);
    return r.headers.get('docker-content-digest')!;
  }
}
