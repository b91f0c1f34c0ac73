// One HTTP delivery attempt: bounded in time, through the SSRF guard. The answer's body is
// counted, never kept: a delivery log that shows what an internal service answered would turn a
// webhook into a way to read it. Reading stops after RESPONSE_READ_LIMIT bytes, so a receiver
// that streams forever cannot hold the worker.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { literalHost, type AddressCheck } from './ssrf.ts';

export interface SendResult {
  readonly statusCode: number | null;
  readonly latencyMs: number;
  /** Bytes of the answer's body that were read; null when there was no answer. */
  readonly responseBytes: number | null;
  /** Reading stopped at the limit: the answer was longer than responseBytes. */
  readonly responseTruncated: boolean;
  readonly error: string | null;
}

export const RESPONSE_READ_LIMIT = 64 * 1024;

export function send(url: string, body: string, headers: Record<string, string>, timeoutMs: number, guard: AddressCheck): Promise<SendResult> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null, responseBytes: number | null = null, responseTruncated = false): SendResult =>
    ({ statusCode, latencyMs: Math.round(performance.now() - started), responseBytes, responseTruncated, error });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve(done(null, 'invalid URL'));
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.resolve(done(null, `unsupported scheme ${target.protocol}`));
  // Literal addresses never reach the lookup hook, so they are checked here, before any socket
  // exists. Names (localhost too) are checked by the hook, on what they resolve to.
  const literal = literalHost(target.hostname);
  const why = literal === undefined ? undefined : guard.refusal(literal);
  if (why) return Promise.resolve(done(null, `SSRF guard: ${why}`));
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
      let bytes = 0;
      let truncated = false;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > RESPONSE_READ_LIMIT && !truncated) {
          truncated = true;
          res.destroy();
        }
      });
      const end = () => finish(done(res.statusCode ?? null, null, Math.min(bytes, RESPONSE_READ_LIMIT), truncated));
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(done(null, `timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish(done(null, e.message.startsWith('SSRF guard') ? e.message : `${e.code ?? 'error'}: ${e.message}`)));
    req.end(body);
  });
}
