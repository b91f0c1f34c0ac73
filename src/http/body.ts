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
 * Past this many bytes, an oversized body is not drained: the answer is sent and the connection
 * closed. Below it, Node discards the rest of the body after the answer, so the client (still
 * writing) reads the 413 instead of a connection reset.
 */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Reads at most `limit` bytes; more is `tooLarge` (413), an aborted body is BODY_INCOMPLETE. */
export async function readLimited(req: IncomingMessage, limit: number, tooLarge: ErrorCode): Promise<Buffer> {
  const declared = contentLength(req);
  const closeHeaders: Record<string, string> = declared === undefined || declared > DRAIN_LIMIT ? { Connection: 'close' } : {};
  if (declared !== undefined && declared > limit) {
    throw new RegistryError(tooLarge, { limit, length: declared }, { headers: closeHeaders });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req) {
      total += (chunk as Buffer).length;
      if (total > limit) throw new RegistryError(tooLarge, { limit }, { headers: closeHeaders });
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError('BODY_INCOMPLETE', { received: total });
  }
  if (declared !== undefined && total !== declared) throw new RegistryError('BODY_INCOMPLETE', { received: total, declared });
  return Buffer.concat(chunks, total);
}
