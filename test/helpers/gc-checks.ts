// Checks of what garbage collection leaves behind, read straight from a filesystem data
// directory: the blob files in storage, and the rows of the SQLite database beside them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Every digest that has a file under storage/blobs. */
export async function storedDigests(dataDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const root = join(dataDir, 'storage', 'blobs');
  for (const alg of await readdir(root).catch(() => [] as string[])) {
    for (const prefix of await readdir(join(root, alg)).catch(() => [] as string[])) {
      for (const hex of await readdir(join(root, alg, prefix)).catch(() => [] as string[])) out.add(`${alg}:${hex}`);
    }
  }
  return out;
}

/** Runs `fn` on the data directory's SQLite database, opened read-only. */
export function withDb<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'berth.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface DbFacts {
  /** Digests of blob rows and manifest rows: what the DB says storage holds. */
  readonly referenced: Set<string>;
  /** Bytes whose rows are gone and whose removal is still pending. */
  readonly pendingDeletes: Set<string>;
  readonly blobRows: number;
  readonly manifestRows: number;
  /** Blob rows no repository links (allowed only while queued for review). */
  readonly unlinkedBlobs: string[];
  /** Queued reviews (not yet due or not yet processed). */
  readonly queued: number;
}

export function dbFacts(dataDir: string): DbFacts {
  return withDb(dataDir, (db) => {
    const blobs = db.prepare('select digest from blobs').all() as { digest: string }[];
    const manifests = db.prepare('select digest from manifests').all() as { digest: string }[];
    const pending = db.prepare('select digest from gc_byte_deletes where done_at is null').all() as { digest: string }[];
    const unlinked = db.prepare('select b.digest from blobs b where not exists (select 1 from repository_blobs rb where rb.digest = b.digest)').all() as { digest: string }[];
    const queued = (db.prepare('select (select count(*) from gc_manifest_reviews) + (select count(*) from gc_blob_reviews) as n').get() as { n: number }).n;
    return {
      referenced: new Set([...blobs, ...manifests].map((r) => r.digest)),
      pendingDeletes: new Set(pending.map((r) => r.digest)),
      blobRows: blobs.length,
      manifestRows: manifests.length,
      unlinkedBlobs: unlinked.map((r) => r.digest),
      queued,
    };
  });
}

/** The SHA-256 of a stored blob file. */
export async function hashStored(dataDir: string, digest: string): Promise<string> {
  const [alg, hex] = digest.split(':') as [string, string];
  const hash = createHash(alg);
  for await (const chunk of createReadStream(join(dataDir, 'storage', 'blobs', alg, hex.slice(0, 2), hex))) hash.update(chunk as Buffer);
  return `${alg}:${hash.digest('hex')}`;
}
