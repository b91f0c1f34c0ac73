// Request bodies. Blob bodies are never buffered: handlers pass the raw request stream to the
// registry. Only small documents (manifests) are read into memory, with a hard limit.
import type { IncomingMessage } from 'node:http';
import { RegistryError, type ErrorCode } from '../core/errors.ts';

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

/**
 * An oversized body of up to this many bytes is read and discarded before the answer, so a
 * client that is still writing reads the 413 instead of a connection reset (even when it asked
 * for Connection: close). A larger one is answered at once and the connection closed.
 */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * Reads at most `limit` bytes; more is `tooLarge` (413), a body that ends early or is cut off is
 * BODY_INCOMPLETE. Plain listeners rather than for-await: leaving a for-await early destroys the
 * request, and with it the socket the answer must go out on.
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
    const cleanup = () => {
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
