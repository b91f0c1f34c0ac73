// Guards a chunk body against its declared length when no Content-Length enforces it (chunked
// transfer encoding): the stream errors on too many or too few bytes, so the storage driver's
// all-or-nothing append rolls the chunk back.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { RegistryError } from '../core/errors.ts';

export function exactLength(source: Readable, expected: number, onMismatch: (received: number) => RegistryError): Readable {
  let received = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      received += chunk.length;
      if (received > expected) done(onMismatch(received));
      else done(null, chunk);
    },
    flush(done: TransformCallback) {
      done(received === expected ? null : onMismatch(received));
    },
  });
  source.on('error', (e) => guard.destroy(e));
  return source.pipe(guard);
}
