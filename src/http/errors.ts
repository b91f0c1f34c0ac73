// The one error mapper: renders RegistryError (and fastify's own errors) as the OCI JSON body.
// Nothing else writes an error body. Unexpected exceptions become 500 with the request id.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, type ErrorCode } from '../core/errors.ts';

export function toRegistryError(error: unknown, requestId: string): { error: RegistryError; unexpected: boolean } {
  if (error instanceof RegistryError) return { error, unexpected: false };
  // A full disk (the blob store's, or the database's) is the operator's to fix, not a bug: say so.
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return { error: new RegistryError('STORAGE_FULL', { requestId }), unexpected: false };
  const fe = error as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code: ErrorCode = status === 413 ? 'SIZE_INVALID' : status === 415 ? 'UNSUPPORTED' : status === 404 ? 'NOT_FOUND' : 'BLOB_UPLOAD_INVALID';
    return { error: new RegistryError(code, undefined, { status, message: fe.message ?? 'bad request' }), unexpected: false };
  }
  return { error: new RegistryError('INTERNAL', { requestId }), unexpected: true };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const { error: re, unexpected } = toRegistryError(error, request.id);
  if (unexpected) request.log.error({ err: error }, 'unexpected error');
  else if (re.code === 'STORAGE_FULL') request.log.error({ err: error }, 'storage is full');
  else request.log.debug({ code: re.code, status: re.status }, 'request refused');
  if (reply.sent || reply.raw.headersSent) {
    // Mid-stream failure: the only honest signal left is to cut the connection.
    reply.raw.destroy();
    return reply;
  }
  return reply.code(re.status).headers(re.headers).type('application/json; charset=utf-8').send(re.toBody());
}
