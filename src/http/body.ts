// Request bodies. Blob bodies are never buffered: handlers pass the raw request stream to the
// registry. Only small documents (manifests) are read into memory, with a hard limit.
import type { IncomingMessage } from 'node:http';
import { RegistryError, type ErrorCode } from '../core/errors.ts';
import type { ByteSource } from '../storage/driver.ts';

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export function contentLength(req: IncomingMessage): number | undefined {
  const length = req.headers['content-length'];
  if (length === undefined) return undefined;
  const n = Number(length);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** When each request's small body must have arrived (set for every request by the app). */
const deadlines = new WeakMap<IncomingMessage, number>();

/** Small bodies of this request (read with readLimited) must arrive by `at` (epoch ms). */
export function setBodyDeadline(req: IncomingMessage, at: number): void {
  deadlines.set(req, at);
}

/**
 * An oversized body of up to this many bytes is read and discarded before the answer, so a
 * client that is still writing reads the 413 instead of a connection reset (even when it asked
 * for Connection: close). A larger one is answered at once and the connection closed.
 */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * Reads at most `limit` bytes; more is `tooLarge` (413), a body that ends early or is cut off is
 * BODY_INCOMPLETE, and one still incomplete at the request's deadline (setBodyDeadline) is
 * BODY_TIMEOUT (408, and the connection is closed): a client that sends headers and then goes
 * quiet, or trickles, cannot hold the request open. Plain listeners rather than for-await:
 * leaving a for-await early destroys the request, and with it the socket the answer must go out on.
 */
export function readLimited(req: IncomingMessage, limit: number, tooLarge: ErrorCode): Promise<Buffer> {
  const declared = contentLength(req);
  const drainable = declared !== undefined && declared <= DRAIN_LIMIT;
  const tooLargeError = () => new RegistryError(tooLarge, { limit, ...(declared !== undefined ? { length: declared } : {}) }, { headers: drainable ? {} : { Connection: 'close' } });
  if (declared !== undefined && declared > limit && !drainable) return Promise.reject(tooLargeError());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let overflow = declared !== undefined && declared > limit;
    const deadline = deadlines.get(req);
    const timer = deadline === undefined ? undefined : setTimeout(() => {
      cleanup();
      req.pause();
      reject(new RegistryError('BODY_TIMEOUT', { received: total, ...(declared !== undefined ? { declared } : {}) }, { headers: { Connection: 'close' } }));
    }, Math.max(0, deadline - Date.now()));
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onIncomplete);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (overflow) return; // draining: the client reads the answer instead of a reset
      if (total > limit) {
        overflow = true;
        chunks.length = 0;
        if (!drainable) {
          cleanup();
          req.pause();
          reject(tooLargeError());
        }
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      if (overflow) reject(tooLargeError());
      else if (declared !== undefined && total !== declared) reject(new RegistryError('BODY_INCOMPLETE', { received: total, declared }));
      else resolve(Buffer.concat(chunks, total));
    };
    const onIncomplete = () => {
      cleanup();
      reject(new RegistryError('BODY_INCOMPLETE', { received: total }));
    };
    const onClose = () => {
      if (!req.complete) onIncomplete();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onIncomplete);
    req.on('close', onClose);
  });
}

/**
 * A blob body as the registry consumes it. Reading it never destroys the request, even when the
 * consumer stops early (a chunk longer than its range, a full disk), so the refusal can still be
 * answered on the request's socket; what the client has not sent yet is then discarded by Node.
 * A body the client cut short (it closed, reset, or sent fewer bytes than its Content-Length)
 * fails with BODY_INCOMPLETE, so a dropped client is an ordinary refusal, not an unexpected error.
 */
export function blobBody(req: IncomingMessage): ByteSource {
  return {
    async *[Symbol.asyncIterator]() {
      let received = 0;
      try {
        for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
          received += chunk.length;
          yield chunk;
        }
      } catch {
        throw new RegistryError('BODY_INCOMPLETE', { received });
      }
      const declared = contentLength(req);
      if (!req.complete || (declared !== undefined && received !== declared)) {
        throw new RegistryError('BODY_INCOMPLETE', { received, ...(declared !== undefined ? { declared } : {}) });
      }
    },
  };
}

/**
 * Reads and discards what is left of a request body the handler refused without reading (a quota
 * refusal before a chunk): up to `limit` bytes and `timeoutMs`. Clients written in Go (skopeo,
 * podman) that are still writing a chunk when the refusal arrives may report their write's
 * "broken pipe" instead of the refusal; once the body is read they always read the answer.
 * Resolves when the body ended, was cut short, or a limit was reached (Node discards the rest).
 */
export function discardUnreadBody(req: IncomingMessage, limit = DRAIN_LIMIT, timeoutMs = 30_000): Promise<void> {
  if (req.complete || req.readableDidRead || !hasBody(req)) return Promise.resolve();
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let total = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      req.off('error', done);
      req.off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) done();
    };
    const timer = setTimeout(done, timeoutMs);
    req.on('data', onData);
    req.on('end', done);
    req.on('error', done);
    req.on('close', done);
  });
}
