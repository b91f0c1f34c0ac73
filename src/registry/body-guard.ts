// Guards a chunk body against the length its Content-Range declares, when no Content-Length
// enforces it (chunked transfer encoding). It is a lazy async iterable, not a stream: nothing is
// read, and no error can be raised, before the storage driver starts consuming it, so a body of
// the wrong length fails the driver's all-or-nothing append (which rolls the chunk back) and
// never surfaces as an 'error' event without a listener.
import type { RegistryError } from '../core/errors.ts';
import type { ByteSource } from '../storage/driver.ts';

export function exactLength(source: ByteSource, expected: number, onMismatch: (received: number) => RegistryError): ByteSource {
  return {
    async *[Symbol.asyncIterator]() {
      let received = 0;
      for await (const chunk of source) {
        received += chunk.length;
        // Too long: refuse the whole chunk at once, before its excess reaches the driver.
        if (received > expected) throw onMismatch(received);
        yield chunk;
      }
      if (received !== expected) throw onMismatch(received);
    },
  };
}
