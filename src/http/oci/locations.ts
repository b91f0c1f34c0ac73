// Location header values: relative by default (clients resolve them against the request URL),
// absolute when server.publicUrl is configured (e.g. behind a proxy that rewrites paths).
export function location(publicUrl: string, path: string): string {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${path}` : path;
}

export function uploadPath(repository: string, id: string): string {
  return `/v2/${repository}/blobs/uploads/${id}`;
}

export function blobPathOf(repository: string, digest: string): string {
  return `/v2/${repository}/blobs/${digest}`;
}

export function manifestPathOf(repository: string, reference: string): string {
  return `/v2/${repository}/manifests/${reference}`;
}

/** Upload progress as the spec gives it: "0-<last byte>" ("0-0" before any byte). */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}
