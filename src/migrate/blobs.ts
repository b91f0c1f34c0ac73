// Copying the blob bytes (blobs and manifests, content-addressed) from the source's storage to
// the target's, streamed: a blob is never held in memory. Each one is
//   - skipped when the target already has it and its bytes hash to its digest (a resumed run);
//   - otherwise staged on the target while the source bytes are hashed in the same pass (a
//     source blob that does not match its digest is refused, and nothing becomes visible),
//     committed, then read back from the target and hashed again: the far side must give back
//     exactly the digest. A mismatch is an error that names the blob and says what to do.
import { newHash, parseDigest, type DigestAlgorithm } from '../core/digest.ts';
import { StorageNotFoundError, type StorageDriver } from '../storage/driver.ts';
import { blobPath } from '../storage/paths.ts';
import { MigrateError } from './source.ts';

export interface BlobToCopy {
  readonly digest: string;
  readonly size: number;
}

export interface BlobCopyResult {
  copied: number;
  skipped: number;
  bytesCopied: number;
  bytesSkipped: number;
  /** Time spent in this phase. */
  ms: number;
}

export interface BlobCopyOptions {
  readonly source: StorageDriver;
  readonly target: StorageDriver;
  /** Where a target path is, for messages (an s3:// URL or a file). */
  readonly locate: (path: string) => string;
  readonly concurrency: number;
  /** Called as bytes are handled (copied or verified), and when a blob is done. */
  readonly onProgress: (done: { blobs: number; bytes: number }) => void;
  /** Test seam: called after a blob is committed on the target, before it is read back. */
  readonly afterCommit?: (path: string) => Promise<void>;
}

async function hashOf(storage: StorageDriver, path: string, algorithm: DigestAlgorithm, onBytes: (n: number) => void): Promise<{ digest: string; size: number }> {
  const hash = newHash(algorithm);
  let size = 0;
  for await (const chunk of await storage.read(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    onBytes((chunk as Buffer).length);
  }
  return { digest: `${algorithm}:${hash.digest('hex')}`, size };
}

export async function copyBlobs(blobs: readonly BlobToCopy[], options: BlobCopyOptions): Promise<BlobCopyResult> {
  const started = Date.now();
  const result: BlobCopyResult = { copied: 0, skipped: 0, bytesCopied: 0, bytesSkipped: 0, ms: 0 };
  let doneBlobs = 0;
  let doneBytes = 0;
  const tick = (n: number) => {
    doneBytes += n;
    options.onProgress({ blobs: doneBlobs, bytes: doneBytes });
  };
  let next = 0;
  let failure: unknown;

  const one = async (blob: BlobToCopy) => {
    const parsed = parseDigest(blob.digest);
    const path = blobPath(parsed);
    const where = options.locate(path);
    const existing = await options.target.stat(path);
    if (existing) {
      let handled = 0;
      const back = existing.size === blob.size ? await hashOf(options.target, path, parsed.algorithm, (n) => { handled += n; tick(n); }) : { digest: '(not read: the size differs)', size: existing.size };
      if (back.digest !== blob.digest || back.size !== blob.size) {
        throw new MigrateError(`blob ${blob.digest} is already in the target at ${where}, but its bytes do not match: ${back.size} bytes with digest ${back.digest}, expected ${blob.size} bytes`,
          `The target holds damaged or foreign bytes under that digest. Delete that object from the target storage and run the same berth migrate command again: the blob is then copied and verified again.`);
      }
      result.skipped++;
      result.bytesSkipped += blob.size;
      doneBytes += blob.size - handled;
      doneBlobs++;
      options.onProgress({ blobs: doneBlobs, bytes: doneBytes });
      return;
    }

    let stream;
    try {
      stream = await options.source.read(path);
    } catch (error) {
      if (error instanceof StorageNotFoundError) {
        throw new MigrateError(`blob ${blob.digest} (${blob.size} bytes) is in the source's database but its bytes are missing from the source storage (${path})`,
          'The source registry is damaged: restore the file from a backup, or delete the image that uses it, then run berth migrate again.');
      }
      throw error;
    }
    const hash = newHash(parsed.algorithm);
    let written = 0;
    const staged = await options.target.stage(path, stream, (chunk) => {
      hash.update(chunk);
      written += chunk.length;
      tick(chunk.length);
    });
    const sourceDigest = `${parsed.algorithm}:${hash.digest('hex')}`;
    if (sourceDigest !== blob.digest || staged.size !== blob.size) {
      await staged.discard();
      throw new MigrateError(`source blob ${blob.digest} is damaged: its file has ${staged.size} bytes with digest ${sourceDigest}, expected ${blob.size} bytes`,
        'Nothing was written for it. Restore the file from a backup (or delete the image that uses it), then run berth migrate again.');
    }
    await staged.commit();
    await options.afterCommit?.(path);
    // Read back from the far side: what the target serves must hash to the digest.
    const back = await hashOf(options.target, path, parsed.algorithm, () => {});
    if (back.digest !== blob.digest || back.size !== blob.size) {
      await options.target.delete(path).catch(() => {});
      throw new MigrateError(`blob ${blob.digest} was written to the target at ${where}, but reading it back gave ${back.size} bytes with digest ${back.digest} (expected ${blob.size} bytes)`,
        'The target storage did not keep the bytes it was sent, so the object was removed again. Check the storage (its disks, a proxy or gateway in front of it), then run the same berth migrate command again: finished blobs are verified and skipped, this one is copied again.');
    }
    result.copied++;
    result.bytesCopied += written;
    doneBlobs++;
    options.onProgress({ blobs: doneBlobs, bytes: doneBytes });
  };

  const worker = async () => {
    while (failure === undefined && next < blobs.length) {
      const blob = blobs[next++]!;
      try {
        await one(blob);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, blobs.length)) }, worker));
  result.ms = Date.now() - started;
  if (failure !== undefined) throw failure;
  return result;
}
