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

/** Reads at most `limit` bytes; more is `tooLarge` (413), an aborted body is BODY_INCOMPLETE. */
export async function readLimited(req: IncomingMessage, limit: number, tooLarge: ErrorCode): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) {
    throw new RegistryError(tooLarge, { limit, length: declared }, { headers: { Connection: 'close' } });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req) {
      total += (chunk as Buffer).length;
      if (total > limit) throw new RegistryError(tooLarge, { limit }, { headers: { Connection: 'close' } });
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError('BODY_INCOMPLETE', { received: total });
  }
  if (declared !== undefined && total !== declared) throw new RegistryError('BODY_INCOMPLETE', { received: total, declared });
  return Buffer.concat(chunks, total);
}
