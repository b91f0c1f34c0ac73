// Manifest rows, their references, and per-repository manifest links (and referrers).
import { IN_LIST_MAX, rowsPerInsert, slices } from './batches.ts';
import { compiledOnce } from './compiled.ts';
import type { Executor } from './executor.ts';

export interface ManifestRow {
  readonly digest: string;
  readonly media_type: string;
  readonly size: number;
}

export interface LinkedManifestRow extends ManifestRow {
  /** When GC reviews this link, if it is queued (null nearly always). */
  readonly review_after: number | null;
}

export interface ManifestRecord {
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly subjectDigest?: string;
  readonly configDigest?: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
  readonly refs: readonly {
    kind: 'config' | 'layer' | 'manifest';
    digest: string;
    mediaType: string;
    size: number;
    platform?: unknown;
  }[];
}

export interface ReferrerRow {
  readonly digest: string;
  readonly media_type: string;
  readonly size: number;
  readonly artifact_type: string | null;
  readonly annotations: string | null;
}

/** The manifest, if this repository links it. */
export async function findLinkedManifest(db: Executor, repositoryId: number, digest: string): Promise<LinkedManifestRow | undefined> {
  return linkedManifest(db, repositoryId, digest);
}

// The manifest GET-by-digest's query (compiled once), with the link's GC review time if queued.
const linkedManifest = compiledOnce((db: Executor, repositoryId: number, digest: string) => db.selectFrom('repository_manifests as rm')
  .innerJoin('manifests as m', 'm.digest', 'rm.digest')
  .leftJoin('gc_manifest_reviews as r', (j) => j.onRef('r.repository_id', '=', 'rm.repository_id').onRef('r.digest', '=', 'rm.digest'))
  .select(['m.digest', 'm.media_type', 'm.size', 'r.review_after'])
  .where('rm.repository_id', '=', repositoryId)
  .where('rm.digest', '=', digest));

/** Resolves a tag to its manifest in one query (the hot path of every pull by tag). */
export async function findTaggedManifest(db: Executor, repositoryId: number, tag: string): Promise<ManifestRow | undefined> {
  return taggedManifest(db, repositoryId, tag);
}

// The manifest GET's query: compiled once (compiled.ts).
const taggedManifest = compiledOnce((db: Executor, repositoryId: number, tag: string) => db.selectFrom('tags as t')
  .innerJoin('repository_manifests as rm', (j) => j.onRef('rm.repository_id', '=', 't.repository_id').onRef('rm.digest', '=', 't.digest'))
  .innerJoin('manifests as m', 'm.digest', 't.digest')
  .select(['m.digest', 'm.media_type', 'm.size'])
  .where('t.repository_id', '=', repositoryId)
  .where('t.name', '=', tag));

/** Inserts the manifest row and its references once (manifests are immutable by digest). */
export async function insertManifest(db: Executor, m: ManifestRecord, now: number): Promise<void> {
  const inserted = await db.insertInto('manifests')
    .values({
      digest: m.digest,
      media_type: m.mediaType,
      artifact_type: m.artifactType ?? null,
      subject_digest: m.subjectDigest ?? null,
      config_digest: m.configDigest ?? null,
      size: m.size,
      annotations: m.annotations ? JSON.stringify(m.annotations) : null,
      created_at: now,
    })
    .onConflict((oc) => oc.column('digest').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0 || m.refs.length === 0) return;
  const rows = m.refs.map((r, position) => ({
    manifest_digest: m.digest,
    position,
    kind: r.kind,
    child_digest: r.digest,
    media_type: r.mediaType,
    size: r.size,
    platform: r.platform === undefined ? null : JSON.stringify(r.platform),
  }));
  for (const batch of slices(rows, rowsPerInsert(7))) await db.insertInto('manifest_refs').values(batch).execute();
}

export async function linkManifest(db: Executor, repositoryId: number, digest: string, subjectDigest: string | undefined, now: number): Promise<void> {
  await db.insertInto('repository_manifests')
    .values({ repository_id: repositoryId, digest, subject_digest: subjectDigest ?? null, pushed_at: now })
    .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ pushed_at: now }))
    .execute();
}

export async function unlinkManifest(db: Executor, repositoryId: number, digest: string): Promise<boolean> {
  const r = await db.deleteFrom('repository_manifests').where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Which of these digests this repository links as manifests. */
export async function linkedManifestDigests(db: Executor, repositoryId: number, digests: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const batch of slices([...new Set(digests)], IN_LIST_MAX)) {
    const rows = await db.selectFrom('repository_manifests').select('digest')
      .where('repository_id', '=', repositoryId).where('digest', 'in', batch).execute();
    for (const r of rows) found.add(r.digest);
  }
  return found;
}

/** Manifests in this repository whose subject is `subjectDigest`, oldest first. */
export async function listReferrers(db: Executor, repositoryId: number, subjectDigest: string, artifactType?: string): Promise<ReferrerRow[]> {
  let q = db.selectFrom('repository_manifests as rm')
    .innerJoin('manifests as m', 'm.digest', 'rm.digest')
    .select(['m.digest', 'm.media_type', 'm.size', 'm.artifact_type', 'm.annotations'])
    .where('rm.repository_id', '=', repositoryId)
    .where('rm.subject_digest', '=', subjectDigest)
    .orderBy('rm.pushed_at')
    .orderBy('m.digest');
  if (artifactType !== undefined) q = q.where('m.artifact_type', '=', artifactType);
  return q.execute();
}
