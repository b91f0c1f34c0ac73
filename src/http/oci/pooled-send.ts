// Sends a large blob body from a positional reader through a few reused buffers. A file stream
// allocates a fresh buffer for every read, and that much external memory makes V8 run a full
// mark-compact about every 30 MiB: with --trace-gc, a 1 GiB pull ran ~40 of them and GC took
// 18% of the main thread in a --cpu-prof. Here a buffer is read into again only after the
// socket's write callback says the kernel has its bytes.
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { PositionalReader } from '../../storage/driver.ts';

const CHUNK = 1024 * 1024;
/** Buffers per response: one being read while two are being written. */
const DEPTH = 3;

/**
 * Takes over the reply (fastify's onResponse hooks still run on 'finish'): writes the status and
 * the headers already set on it, then `length` bytes from `start`. A read error or a vanished
 * client destroys the connection, as a failed piped stream does. Always closes the reader.
 */
export async function sendPooled(reply: FastifyReply, reader: PositionalReader, start: number, length: number): Promise<void> {
  const res = reply.raw;
  reply.hijack();
  const free: Buffer[] = [];
  const size = Math.min(CHUNK, length);
  for (let i = 0; i < DEPTH; i++) free.push(Buffer.allocUnsafeSlow(size));
  let wake: (() => void) | undefined;
  let gone = false;
  const onClose = (): void => {
    gone = true;
    wake?.();
  };
  res.on('close', onClose);
  const wait = (): Promise<void> => new Promise((resolve) => { wake = resolve; });
  try {
    res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
    let position = start;
    let remaining = length;
    while (remaining > 0 && !gone) {
      while (free.length === 0 && !gone) await wait();
      if (gone) break;
      const buf = free.pop()!;
      const n = await reader.read(buf, Math.min(buf.length, remaining), position);
      if (n <= 0) throw new Error(`blob shorter than expected: ${remaining} bytes missing at ${position}`);
      position += n;
      remaining -= n;
      // Back to the pool only once written; on an error the buffer is simply dropped.
      const more = res.write(n === buf.length ? buf : buf.subarray(0, n), (err) => {
        if (err) return;
        free.push(buf);
        wake?.();
      });
      if (!more && !gone) await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
    if (!gone) res.end();
  } catch (err) {
    res.destroy(err as Error);
  } finally {
    res.off('close', onClose);
    await reader.close().catch(() => undefined);
  }
}
