// One HTTP delivery attempt: bounded in time, through the SSRF guard, reading at most a few KiB
// of the answer (a receiver that streams forever cannot hold the worker).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { SsrfGuard } from './ssrf.ts';

export interface SendResult {
  readonly statusCode: number | null;
  readonly latencyMs: number;
  /** The first bytes of the answer, trimmed for the delivery log. */
  readonly response: string | null;
  readonly error: string | null;
}

const KEEP_BYTES = 1024;

export function send(url: string, body: string, headers: Record<string, string>, timeoutMs: number, guard: SsrfGuard): Promise<SendResult> {
  const started = performance.now();
  const done = (statusCode: number | null, response: string | null, error: string | null): SendResult =>
    ({ statusCode, latencyMs: Math.round(performance.now() - started), response, error });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(done(null, null, 'invalid URL'));
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.resolve(done(null, null, `unsupported scheme ${target.protocol}`));
  // Literal addresses never reach the lookup hook, so check them here.
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = guard.refusal(host);
    if (why) return Promise.resolve(done(null, null, `SSRF guard: ${why}`));
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      lookup: guard.lookup as never,
      agent: false, // no pooled sockets: each attempt resolves and checks the address again
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (c: Buffer) => {
        if (kept < KEEP_BYTES) { chunks.push(c); kept += c.length; }
        if (kept >= KEEP_BYTES * 4) res.destroy();
      });
      const end = () => finish(done(res.statusCode ?? null, Buffer.concat(chunks).toString('utf8').slice(0, KEEP_BYTES), null));
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(done(null, null, `timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish(done(null, null, e.message.startsWith('SSRF guard') ? e.message : `${e.code ?? 'error'}: ${e.message}`)));
    req.end(body);
  });
}
