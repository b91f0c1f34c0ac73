// The blob path layout: the only place that builds storage paths (DESIGN.md, Layers).
//   blobs/<alg>/<first two hex>/<hex>     committed, content-addressed bytes (blobs and manifests)
//   uploads/<id>/data                     an upload in progress
import type { ParsedDigest } from '../core/digest.ts';

const UPLOAD_ID = /^[A-Za-z0-9_-]{8,64}$/;

export function blobPath(digest: ParsedDigest): string {
  return `blobs/${digest.algorithm}/${digest.hex.slice(0, 2)}/${digest.hex}`;
}

/** The folder that holds every upload in progress. */
export const UPLOADS_ROOT = 'uploads/';

export function uploadPrefix(uploadId: string): string {
  if (!UPLOAD_ID.test(uploadId)) throw new Error(`invalid upload id ${JSON.stringify(uploadId)}`);
  return `uploads/${uploadId}/`;
}

export function uploadDataPath(uploadId: string): string {
  return `${uploadPrefix(uploadId)}data`;
}

export function isValidUploadId(uploadId: string): boolean {
  return UPLOAD_ID.test(uploadId);
}

/** The upload id of a path under uploads/ (e.g. from list()), or undefined for anything else. */
export function uploadIdOf(path: string): string | undefined {
  const m = /^uploads\/([^/]+)\//.exec(path);
  return m && UPLOAD_ID.test(m[1]!) ? m[1] : undefined;
}
