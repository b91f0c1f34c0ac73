// A driver whose module is loaded at its first call. It is used for drivers with heavy
// dependencies (the S3 driver's AWS SDK), so that every `berth` command and every filesystem
// setup does not pay for importing them.
import type { Readable } from 'node:stream';
import type { ByteRange, ByteSource, ObjectInfo, StagedObject, StorageDriver } from './driver.ts';

export function lazyStorage(name: string, load: () => Promise<StorageDriver>): StorageDriver {
  let loaded: Promise<StorageDriver> | undefined;
  const real = () => (loaded ??= load());
  return {
    name,
    stat: async (path: string): Promise<ObjectInfo | undefined> => (await real()).stat(path),
    read: async (path: string, range?: ByteRange): Promise<Readable> => (await real()).read(path, range),
    put: async (path: string, source: ByteSource | Uint8Array): Promise<number> => (await real()).put(path, source),
    append: async (path: string, source: ByteSource, offset: number, onChunk?: (chunk: Buffer) => void): Promise<number> => (await real()).append(path, source, offset, onChunk),
    truncate: async (path: string, size: number): Promise<void> => (await real()).truncate(path, size),
    commit: async (src: string, dest: string): Promise<void> => (await real()).commit(src, dest),
    stage: async (dest: string, source: ByteSource | Uint8Array, onChunk?: (chunk: Buffer) => void): Promise<StagedObject> => (await real()).stage(dest, source, onChunk),
    purgeStale: async (before: Date): Promise<number> => (await real()).purgeStale(before),
    delete: async (path: string): Promise<void> => (await real()).delete(path),
    deletePrefix: async (prefix: string): Promise<void> => (await real()).deletePrefix(prefix),
    async *list(prefix: string): AsyncIterable<string> {
      yield* (await real()).list(prefix);
    },
    close: async (): Promise<void> => {
      if (loaded) await (await loaded).close?.();
    },
  };
}
