// The marker a migration leaves in the target's storage before it copies anything: which source
// it copies. A second run finds it and continues (a resumed copy), while a target that holds
// anything without this marker, or the marker of another source, is refused. The object lives
// outside blobs/ and uploads/, so neither GC nor the upload purge ever touch it.
import type { StorageDriver } from '../storage/driver.ts';

export const MARKER_PATH = 'migrate/source.json';

export interface Marker {
  readonly sourceId: string;
  /** The source's data directory, for messages. */
  readonly source: string;
  readonly startedAt: string;
  /** Set when a run has copied and verified everything. */
  readonly finishedAt?: string;
}

export async function readMarker(storage: StorageDriver): Promise<Marker | undefined> {
  if (!(await storage.stat(MARKER_PATH))) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of await storage.read(MARKER_PATH)) chunks.push(c as Buffer);
  try {
    const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Marker;
    if (typeof m.sourceId !== 'string') throw new Error('no sourceId');
    return m;
  } catch (error) {
    throw new Error(`the migration marker ${MARKER_PATH} in the target is unreadable (${(error as Error).message})`);
  }
}

export async function writeMarker(storage: StorageDriver, marker: Marker): Promise<void> {
  await storage.put(MARKER_PATH, Buffer.from(`${JSON.stringify(marker, null, 2)}\n`));
}
