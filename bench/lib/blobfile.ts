// The big test blob: random bytes written once per run to a file in the temp dir, 1 MiB at a
// time, hashed in the same pass. Nothing ever holds the whole blob in memory.
import { createHash, randomFill } from 'node:crypto';
import { open } from 'node:fs/promises';

const fill = (buf: Buffer): Promise<void> =>
  new Promise((ok, fail) => randomFill(buf, (err) => (err ? fail(err) : ok())));
export const MiB = 1024 * 1024;

export interface BlobFile {
  path: string;
  size: number;
  digest: string;
}

export async function createBlobFile(path: string, sizeMiB: number): Promise<BlobFile> {
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  const chunk = Buffer.allocUnsafe(MiB);
  try {
    for (let i = 0; i < sizeMiB; i++) {
      await fill(chunk);
      hash.update(chunk);
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    }
  } finally {
    await fh.close();
  }
  return { path, size: sizeMiB * MiB, digest: `sha256:${hash.digest('hex')}` };
}
